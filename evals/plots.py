"""The report's PNG plots (matplotlib, Agg backend: no display needed).

Figures comparing the pipelines of one run: quality rates, latency
distributions, right answers by question type, and (when some pipeline reported
a confidence) the risk–coverage curve with the operating point used.

Example:
    >>> draw_all(Path("runs/x"), rows, summary.pipelines)   # doctest: +SKIP
    ['quality.png', 'latency.png', 'by_type.png', 'risk_coverage.png']
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.rows import EvalRow
from evals.summary import HEADLINE, PipelineSummary

Pipes = dict[str, PipelineSummary]

COLORS = {"ours": "#1f77b4", "baseline": "#ff7f0e"}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")  # headless: CI and servers have no display
    import matplotlib.pyplot as plt

    return plt


def draw_all(run_dir: Path, rows: Sequence[EvalRow], pipes: Pipes) -> list[str]:
    """Draw every plot into `run_dir`; return the file names."""
    names = [quality(run_dir, pipes), latency(run_dir, rows, list(pipes)),
             by_type(run_dir, pipes)]
    if any(s.risk_coverage for s in pipes.values()):
        names.append(risk_coverage(run_dir, pipes))
    return names


def _bars(ax: Any, labels: list[str], series: dict[str, list[float | None]]) -> None:
    n = len(series)
    height = 0.8 / max(1, n)
    for i, (name, values) in enumerate(series.items()):
        ys = [j + (i - (n - 1) / 2) * height for j in range(len(labels))]
        ax.barh(ys, [v or 0.0 for v in values], height=height, label=name,
                color=COLORS.get(name))
        for y, v in zip(ys, values, strict=True):
            label = "n/a" if v is None else f"{100 * v:.0f}%"
            ax.text((v or 0.0) + 0.01, y, label, va="center", fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    ax.legend(loc="lower right", fontsize=8)


def quality(run_dir: Path, pipes: Pipes) -> str:
    """Horizontal bars of every rate metric (arrows say which way is better)."""
    plt = _pyplot()
    keys = [(k, f"{label} {'↑' if up else '↓'}") for k, label, up in HEADLINE]
    fig, ax = plt.subplots(figsize=(8, 0.42 * len(keys) + 1))
    _bars(ax, [lab for _, lab in keys],
          {n: [s.metric(k) for k, _ in keys] for n, s in pipes.items()})
    ax.set_title("Quality (MRR drawn on the same 0-1 scale)")
    fig.tight_layout()
    fig.savefig(Path(run_dir) / "quality.png", dpi=110)
    plt.close(fig)
    return "quality.png"


def latency(run_dir: Path, rows: Sequence[EvalRow], names: list[str]) -> str:
    """Box plots of end-to-end latency and time to first token, per pipeline."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for ax, key, title in ((axes[0], "wall_total", "End-to-end latency (s)"),
                           (axes[1], "wall_first_token", "Time to first token (s)")):
        data = [[r.timings[key] for r in rows if r.pipeline == n and key in r.timings]
                for n in names]
        keep = [(n, d) for n, d in zip(names, data, strict=True) if d]
        if keep:
            box = ax.boxplot([d for _, d in keep], patch_artist=True, showfliers=True)
            ax.set_xticks(range(1, len(keep) + 1), [n for n, _ in keep])
            for patch, (n, _) in zip(box["boxes"], keep, strict=True):
                patch.set_facecolor(COLORS.get(n, "#999999"))
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(Path(run_dir) / "latency.png", dpi=110)
    plt.close(fig)
    return "latency.png"


def by_type(run_dir: Path, pipes: Pipes) -> str:
    """Share right per question type, per pipeline."""
    plt = _pyplot()
    types = sorted({t for s in pipes.values() for t in s.by_type})
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(types) + 1.2))
    _bars(ax, [f"{t} (n={next(s.by_type[t].n for s in pipes.values() if t in s.by_type)})"
               for t in types],
          {n: [b.rate if (b := s.by_type.get(t)) else None for t in types]
           for n, s in pipes.items()})
    ax.set_title("Right answers by question type")
    fig.tight_layout()
    fig.savefig(Path(run_dir) / "by_type.png", dpi=110)
    plt.close(fig)
    return "by_type.png"


def risk_coverage(run_dir: Path, pipes: Pipes) -> str:
    """Accuracy of what is answered against the share answered, with the point used."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for name, s in pipes.items():
        pts = [p for p in s.curve_points() if p.coverage and p.accuracy_answered is not None]
        if not pts:
            continue
        color = COLORS.get(name)
        ax.plot([p.coverage for p in pts], [p.accuracy_answered for p in pts], label=name,
                color=color)
        used = s.operating_point or {}
        if used.get("coverage") is not None and used.get("accuracy_answered") is not None:
            ax.scatter([used["coverage"]], [used["accuracy_answered"]], color=color, zorder=3,
                       marker="o", edgecolors="black", label=f"{name}: point used")
    ax.set_xlabel("share answered (coverage)")
    ax.set_ylabel("accuracy of what is answered")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left")
    ax.set_title("Risk–coverage (sorted by signals['confidence'])", fontsize=10)
    fig.tight_layout()
    fig.savefig(Path(run_dir) / "risk_coverage.png", dpi=110)
    plt.close(fig)
    return "risk_coverage.png"
