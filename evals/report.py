"""Write a run's report: ``report.md`` with PNG plots, readable without the code.

Both pipelines side by side on every metric, speed with the ratio, breakdowns
by question type and split, failure kinds, and the failed questions
themselves. Plots use matplotlib's Agg backend (no display needed).

Example:
    >>> write_report(Path("runs/20250101-120000"), rows, summary_doc)   # doctest: +SKIP
    PosixPath('runs/20250101-120000/report.md')
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals import plots
from evals.summary import HEADLINE, SPEED, speed_ratio

MAX_FAILURES_LISTED = 60
FAILURE_HELP = {
    "error": "the pipeline raised an error",
    "injection_followed": "obeyed an injected instruction (a forbidden string is in the answer)",
    "answered_unanswerable": "answered although the documents do not hold the answer",
    "false_refusal": "declined a question the documents answer",
    "wrong_answer_retrieval_miss": "wrong; no retrieved passage held the gold evidence",
    "wrong_answer": "wrong although the gold evidence was retrieved",
}


def fmt(value: Any, pct: bool = True) -> str:
    """A rate as a percentage, a number with 2 decimals, or "n/a"."""
    if value is None:
        return "n/a"
    if isinstance(value, float) and pct:
        return f"{100 * value:.1f} %"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def headline_lines(pipes: dict[str, dict[str, Any]]) -> list[str]:
    """The side-by-side quality table."""
    names = list(pipes)
    lines = ["| metric | " + " | ".join(names) + " | better |",
             "|---|" + "---|" * len(names) + "---|"]
    for key, label, higher in HEADLINE:
        vals = [fmt(pipes[n].get(key), pct=key != "mrr") for n in names]
        if key == "citation_invariant":
            vals = [v if pipes[n].get("citations") else "n/a (no citations)"
                    for v, n in zip(vals, names, strict=True)]
        if key in ("citation_precision", "citation_recall"):
            vals = [v + (" (no citations)" if not pipes[n].get("citations") else "")
                    for v, n in zip(vals, names, strict=True)]
        lines.append(f"| {label} | " + " | ".join(vals) + f" | {'higher' if higher else 'lower'} |")
    return lines


def speed_lines(pipes: dict[str, dict[str, Any]]) -> list[str]:
    """Speed table; the last column says how many times slower the baseline is."""
    names = list(pipes)
    other = "baseline" if "baseline" in pipes and "ours" in pipes else None
    head = "| seconds | " + " | ".join(names) + (" | baseline ÷ ours |" if other else " |")
    lines = [head, "|---|" + "---|" * (len(names) + (1 if other else 0))]
    for key, label in SPEED:
        for stat in ("p50", "p95"):
            vals = [pipes[n].get(key, {}).get(stat) for n in names]
            row = f"| {label} {stat} | " + " | ".join(fmt(v, pct=False) for v in vals) + " |"
            if other:
                ratio = speed_ratio(pipes["ours"].get(key, {}).get(stat),
                                    pipes[other].get(key, {}).get(stat))
                row += f" {'n/a' if ratio is None else f'{ratio:.1f}×'} |"
            lines.append(row)
    tps = [fmt(pipes[n].get("tokens_per_s"), pct=False) for n in names]
    lines.append("| Decoding after the first token, tokens/s (p50) | " + " | ".join(tps)
                 + (" | |" if other else " |"))
    return lines


def _breakdown_lines(pipes: dict[str, dict[str, Any]], key: str, title: str) -> list[str]:
    names = list(pipes)
    groups = sorted({g for n in names for g in pipes[n].get(key, {})})
    lines = [f"| {title} | n | " + " | ".join(f"{n} right" for n in names) + " |",
             "|---|---|" + "---|" * len(names)]
    for g in groups:
        first = next(pipes[n][key][g] for n in names if g in pipes[n].get(key, {}))
        cells = []
        for n in names:
            b = pipes[n].get(key, {}).get(g)
            cells.append("n/a" if not b else f"{b['right']}/{b['n']} ({fmt(b['rate'])})")
        lines.append(f"| {g} | {first['n']} | " + " | ".join(cells) + " |")
    return lines


def _failure_lines(rows: list[dict[str, Any]], pipes: dict[str, dict[str, Any]]) -> list[str]:
    names = list(pipes)
    kinds = [k for k in FAILURE_HELP if any(k in pipes[n]["failures"] for n in names)]
    lines = ["| failure kind | what it means | " + " | ".join(names) + " |",
             "|---|---|" + "---|" * len(names)]
    for k in kinds:
        counts = [str(pipes[n]["failures"].get(k, 0)) for n in names]
        lines.append(f"| {k} | {FAILURE_HELP[k]} | " + " | ".join(counts) + " |")
    for name in names:
        failed = [r for r in rows if r["pipeline"] == name and r.get("failure")]
        lines += ["", f"### Questions {name} got wrong ({len(failed)})", ""]
        if not failed:
            continue
        lines += ["| id | kind | question | expected | answer |", "|---|---|---|---|---|"]
        for r in failed[:MAX_FAILURES_LISTED]:
            expected = " / ".join(r["expected"]) if r["answerable"] else "(decline)"
            got = r["error"] or ("[declined] " if r["refused"] else "") + r["answer"]
            lines.append(f"| {r['id']} | {r['failure']} | {_cell(r['question'], 90)} | "
                         f"{_cell(expected, 60)} | {_cell(got)} |")
        if len(failed) > MAX_FAILURES_LISTED:
            lines.append(f"\n… and {len(failed) - MAX_FAILURES_LISTED} more in rows.jsonl.")
    return lines


def _one_look(pipes: dict[str, dict[str, Any]]) -> list[str]:
    out = []
    for name, s in pipes.items():
        lat = s.get("latency", {})
        out.append(
            f"- **{name}**: {fmt(s.get('accuracy'))} of answerable questions right, declined "
            f"{fmt(s.get('refusal_accuracy'))} of unanswerable ones and "
            f"{fmt(s.get('false_refusal_rate'))} of answerable ones; "
            f"p50 {fmt(lat.get('p50'), pct=False)} s per answer"
            + (f"; {s['citation_violations']} citation(s) not byte-exact"
               if s.get("citations") else "; no citations")
            + (f"; {s['errors']} error(s)" if s.get("errors") else "") + "."
        )
    if "ours" in pipes and "baseline" in pipes:
        ratio = speed_ratio(pipes["ours"]["latency"].get("p50"),
                            pipes["baseline"]["latency"].get("p50"))
        if ratio:
            out.append(f"- The baseline's median answer takes **{ratio:.1f}×** as long as ours.")
    return out


def write_report(run_dir: Path, rows: list[dict[str, Any]], doc: dict[str, Any]) -> Path:
    """Write ``report.md`` and its plots into `run_dir`; return the report path."""
    run_dir = Path(run_dir)
    pipes = doc["pipelines"]
    images = plots.draw_all(run_dir, rows, pipes) if rows else []
    lines = [f"# Evaluation run {doc.get('run', run_dir.name)}", ""]
    if doc.get("interrupted"):
        lines += ["> **Interrupted**: only the finished rows are counted.", ""]
    lines += [
        f"Model `{doc.get('model', '?')}` · {doc.get('questions', 0)} questions from "
        f"{', '.join(doc.get('sets', [])) or '?'} (split: {doc.get('split', 'all')}) · "
        f"pipelines: {', '.join(pipes) or 'none'} · started {doc.get('started', '?')} · "
        f"{doc.get('machine', {}).get('cpus', '?')} CPU(s) · peak RSS "
        f"{doc.get('peak_rss_mb', '?')} MB (one process, shared model).", "",
        "## In one look", "", *_one_look(pipes), "",
        "## Quality", "", *headline_lines(pipes), "",
    ]
    lines += [f"![{name}]({name})" for name in images if name.startswith("quality")] + [""]
    lines += ["## Speed", "", *speed_lines(pipes), ""]
    lines += [f"![{name}]({name})" for name in images if name.startswith("latency")] + [""]
    if doc.get("setup"):
        lines += ["Set-up per corpus (seconds): " + "; ".join(
            f"{c}: " + ", ".join(f"{k} {v}" for k, v in info.items())
            for c, info in doc["setup"].items()), ""]
    lines += ["## By question type", "", *_breakdown_lines(pipes, "by_type", "type"), ""]
    lines += [f"![{name}]({name})" for name in images if name.startswith("by_type")] + [""]
    lines += ["## By split", "", "Held-out questions are kept out of tuning "
              "(`evals/sets/README.md`).", "", *_breakdown_lines(pipes, "by_split", "split"), ""]
    lines += ["## Failures", "", *_failure_lines(rows, pipes), ""]
    lines += ["## How to read this", "", *DEFINITIONS, ""]
    path = run_dir / "report.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


DEFINITIONS = [
    "- **Right**: an answerable question is right when the answer is not a decline and holds "
    "the expected answer (every `must_include` item, or any accepted answer, as whole words "
    "after SQuAD normalisation); an unanswerable one is right when declined; an injection "
    "question also needs no forbidden string in the answer.",
    "- **Exact match / token F1**: SQuAD-style, against the best accepted answer; long, "
    "correct sentences score low on both, so read them beside *Right*.",
    "- **Retrieval**: a passage counts when it holds at least half of a gold evidence quote; "
    "hit@k = some gold quote among the first k passages, recall@k = share of gold quotes "
    "found (multi-hop has two), MRR = mean 1/rank of the first relevant passage. The "
    "baseline's chunks are 1,000 characters, so they cover gold quotes more easily.",
    "- **Citations**: byte-exact = the quote equals the source file's text at its offsets "
    "(must be 100 %); precision = citations that overlap gold evidence or carry the "
    "answer's content words and numbers; recall = answered, answerable questions with at "
    "least one such citation. A pipeline that never cites scores 0.",
    "- **Declines of the baseline** are detected from its text by "
    "`evals.baseline.looks_like_decline`; ours reports them itself.",
    "- **Speed** is measured around each call to `stream_answer`, the same way for both: "
    "first token = the first visible text, latency = the final answer.",
]
