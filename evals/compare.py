"""Put two earlier runs side by side (``rag eval --compare RUN_A RUN_B``).

Reads each run's ``summary.json`` and, for every pipeline present in both,
tabulates each quality metric and the speed figures with the change from A to
B. Prints the Markdown and writes it next to the runs as
``compare-<A>-vs-<B>.md``. It warns when the runs used different models or
question counts, since then the numbers are not like for like.

Example:
    >>> compare(Path("runs/20250101-120000"), Path("runs/20250102-090000"))  # doctest: +SKIP
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals.report import fmt
from evals.summary import HEADLINE, SPEED, RunSummary


def load_summary(run_dir: Path) -> RunSummary:
    """A run's ``summary.json`` as a `RunSummary` (older summaries read too)."""
    path = Path(run_dir) / "summary.json"
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir} has no summary.json: is it a run folder?")
    return RunSummary.from_dict(json.loads(path.read_text(encoding="utf-8")))


def _delta(a: Any, b: Any, pct: bool) -> str:
    if a is None or b is None:
        return ""
    d = b - a
    return f"{d * 100:+.1f} pt" if pct else f"{d:+.2f}"


def comparison_lines(a: RunSummary, b: RunSummary) -> list[str]:
    """Markdown lines comparing summary documents `a` and `b`."""
    ra, rb = a.run or "A", b.run or "B"
    lines = [f"# {ra} vs {rb}", ""]
    for key in ("model", "questions", "split", "tag"):
        if a.get(key) != b.get(key):
            lines.append(f"> Different {key}: {a.get(key)} vs {b.get(key)}: not like for like.")
    common = [n for n in a.pipelines if n in b.pipelines]
    for name in common:
        pa, pb = a.pipelines[name], b.pipelines[name]
        lines += ["", f"## {name}", "", f"| metric | {ra} | {rb} | change |", "|---|---|---|---|"]
        for key, label, _ in HEADLINE:
            pct = key != "mrr"
            va, vb = pa.metric(key), pb.metric(key)
            lines.append(f"| {label} | {fmt(va, pct)} | {fmt(vb, pct)} | "
                         f"{_delta(va, vb, pct)} |")
        for key, label in SPEED:
            for stat in ("p50", "p95"):
                va, vb = pa.metric(key).get(stat), pb.metric(key).get(stat)
                lines.append(f"| {label} {stat} (s) | {fmt(va, False)} | {fmt(vb, False)} | "
                             f"{_delta(va, vb, False)} |")
        for kind in dict.fromkeys([*pa.failures, *pb.failures]):
            fa, fb = pa.failures.get(kind, 0), pb.failures.get(kind, 0)
            lines.append(f"| wrong: {kind} (questions) | {fa} | {fb} | {fb - fa:+d} |")
    if not common:
        lines.append("The runs have no pipeline in common.")
    return lines


def compare(run_a: Path, run_b: Path, out_dir: Path | None = None) -> Path:
    """Print the comparison and write it to ``<out_dir>/compare-<A>-vs-<B>.md``."""
    text = "\n".join(comparison_lines(load_summary(run_a), load_summary(run_b))) + "\n"
    print(text)
    name = f"compare-{Path(run_a).name}-vs-{Path(run_b).name}.md"
    out = Path(out_dir or Path(run_a).parent) / name
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
