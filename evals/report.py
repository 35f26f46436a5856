"""Write a run's report: ``report.md`` with PNG plots, readable without the code.

Both pipelines side by side on every metric, speed with the ratio, breakdowns
by question type and split, failure kinds, and the failed questions
themselves. Plots use matplotlib's Agg backend (no display needed).

Example:
    >>> write_report(Path("runs/20250101-120000"), rows, summary_doc)   # doctest: +SKIP
    PosixPath('runs/20250101-120000/report.md')
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals import plots
from evals.rows import EvalRow
from evals.summary import HEADLINE, SPEED, Breakdown, PipelineSummary, RunSummary, speed_ratio

Pipes = dict[str, PipelineSummary]

MAX_FAILURES_LISTED = 60
FAILURE_HELP = {
    "error": "the pipeline raised an error",
    "injection_followed": "obeyed an injected instruction (a forbidden string is in the answer)",
    "answered_unanswerable": "wrongly answered: the documents do not hold the answer",
    "not_retrieved": "evidence not retrieved: no passage returned held the gold evidence",
    "false_refusal": "wrongly declined: the evidence was retrieved",
    "wrong_answer": "retrieved but answered wrong",
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


def headline_lines(pipes: Pipes) -> list[str]:
    """The side-by-side quality table."""
    names = list(pipes)
    lines = ["| metric | " + " | ".join(names) + " | better |",
             "|---|" + "---|" * len(names) + "---|"]
    for key, label, higher in HEADLINE:
        vals = [fmt(pipes[n].metric(key), pct=key != "mrr") for n in names]
        if key == "citation_invariant":
            vals = [v if pipes[n].citations else "n/a (no citations)"
                    for v, n in zip(vals, names, strict=True)]
        if key in ("citation_precision", "citation_recall"):
            vals = [v + (" (no citations)" if not pipes[n].citations else "")
                    for v, n in zip(vals, names, strict=True)]
        lines.append(f"| {label} | " + " | ".join(vals) + f" | {'higher' if higher else 'lower'} |")
    return lines


def speed_lines(pipes: Pipes) -> list[str]:
    """Speed table; the last column says how many times slower the baseline is."""
    names = list(pipes)
    other = "baseline" if "baseline" in pipes and "ours" in pipes else None
    head = "| seconds | " + " | ".join(names) + (" | baseline ÷ ours |" if other else " |")
    lines = [head, "|---|" + "---|" * (len(names) + (1 if other else 0))]
    for key, label in SPEED:
        for stat in ("p50", "p95"):
            vals = [pipes[n].metric(key).get(stat) for n in names]
            row = f"| {label} {stat} | " + " | ".join(fmt(v, pct=False) for v in vals) + " |"
            if other:
                ratio = speed_ratio(pipes["ours"].metric(key).get(stat),
                                    pipes[other].metric(key).get(stat))
                row += f" {'n/a' if ratio is None else f'{ratio:.1f}×'} |"
            lines.append(row)
    tps = [fmt(pipes[n].tokens_per_s, pct=False) for n in names]
    lines.append("| Decoding after the first token, tokens/s (p50) | " + " | ".join(tps)
                 + (" | |" if other else " |"))
    return lines


def _groups(pipes: Pipes, key: str) -> dict[str, dict[str, Breakdown]]:
    return {n: getattr(s, key) for n, s in pipes.items()}


def _breakdown_lines(pipes: Pipes, key: str, title: str) -> list[str]:
    names = list(pipes)
    by = _groups(pipes, key)
    groups = sorted({g for n in names for g in by[n]})
    lines = [f"| {title} | n | " + " | ".join(f"{n} right" for n in names) + " |",
             "|---|---|" + "---|" * len(names)]
    for g in groups:
        first = next(by[n][g] for n in names if g in by[n])
        cells = []
        for n in names:
            b = by[n].get(g)
            cells.append("n/a" if not b else f"{b.right}/{b.n} ({fmt(b.rate)})")
        lines.append(f"| {g} | {first.n} | " + " | ".join(cells) + " |")
    return lines


def split_lines(pipes: Pipes, key: str, title: str) -> list[str]:
    """Per group (set or corpus) and pipeline: answerable right, unanswerable declined, and
    every wrong answer split by kind."""
    kinds = [k for k in FAILURE_HELP if k not in ("error", "injection_followed")]
    short = {"answered_unanswerable": "wrongly answered", "not_retrieved": "not retrieved",
             "false_refusal": "wrongly declined", "wrong_answer": "retrieved, wrong"}
    lines = [f"| {title} | pipeline | answerable right | unanswerable declined | "
             + " | ".join(short[k] for k in kinds) + " | other |",
             "|---|---|---|---|" + "---|" * (len(kinds) + 1)]
    by = _groups(pipes, key)
    for g in sorted({g for s in by.values() for g in s}):
        for n, groups in by.items():
            b = groups.get(g)
            if b is None:
                continue
            other = sum(v for k, v in b.failures.items() if k not in kinds)
            lines.append(
                f"| {g} | {n} | {b.answerable_right}/{b.n_answerable} | "
                f"{b.unanswerable_declined}/{b.n_unanswerable} | "
                + " | ".join(str(b.failures.get(k, 0)) for k in kinds) + f" | {other} |")
    return lines


def _failure_lines(rows: Sequence[EvalRow], pipes: Pipes) -> list[str]:
    names = list(pipes)
    kinds = [k for k in FAILURE_HELP if any(k in pipes[n].failures for n in names)]
    lines = ["| failure kind | what it means | " + " | ".join(names) + " |",
             "|---|---|" + "---|" * len(names)]
    for k in kinds:
        counts = [str(pipes[n].failures.get(k, 0)) for n in names]
        lines.append(f"| {k} | {FAILURE_HELP[k]} | " + " | ".join(counts) + " |")
    for name in names:
        failed = [r for r in rows if r.pipeline == name and r.failure]
        lines += ["", f"### Questions {name} got wrong ({len(failed)})", ""]
        if not failed:
            continue
        lines += ["| id | kind | question | expected | answer |", "|---|---|---|---|---|"]
        for r in failed[:MAX_FAILURES_LISTED]:
            expected = " / ".join(r.expected) if r.answerable else "(decline)"
            got = r.error or ("[declined] " if r.refused else "") + r.answer
            lines.append(f"| {r.id} | {r.failure} | {_cell(r.question, 90)} | "
                         f"{_cell(expected, 60)} | {_cell(got)} |")
        if len(failed) > MAX_FAILURES_LISTED:
            lines.append(f"\n… and {len(failed) - MAX_FAILURES_LISTED} more in rows.jsonl.")
    return lines


def _one_look(pipes: Pipes) -> list[str]:
    out = []
    for name, s in pipes.items():
        out.append(
            f"- **{name}**: {fmt(s.accuracy)} of answerable questions right, declined "
            f"{fmt(s.refusal_accuracy)} of unanswerable ones and "
            f"{fmt(s.false_refusal_rate)} of answerable ones; "
            f"p50 {fmt(s.latency.get('p50'), pct=False)} s per answer"
            + (f"; {s.citation_violations} citation(s) not byte-exact"
               if s.citations else "; no citations")
            + (f"; {s.errors} error(s)" if s.errors else "") + "."
        )
    if "ours" in pipes and "baseline" in pipes:
        ratio = speed_ratio(pipes["ours"].latency.get("p50"),
                            pipes["baseline"].latency.get("p50"))
        if ratio:
            out.append(f"- The baseline's median answer takes **{ratio:.1f}×** as long as ours.")
    return out


def risk_coverage_lines(pipes: Pipes) -> list[str]:
    """The operating point each pipeline ran at, and where its curve was computed from."""
    lines = ["| pipeline | threshold | answered | accuracy of answered | answerable right | "
             "unanswerable declined | curve points |", "|---|---|---|---|---|---|---|"]
    for name, s in pipes.items():
        p = s.operating_point or {}
        t = p.get("threshold")
        lines.append(f"| {name} | {'n/a' if t is None else f'{t:.3f}'} | {fmt(p.get('coverage'))} "
                     f"| {fmt(p.get('accuracy_answered'))} | {fmt(p.get('answerable_right'))} | "
                     f"{fmt(p.get('unanswerable_declined'))} | "
                     f"{len(s.risk_coverage) or 'none (no confidence in signals)'} |")
    return lines


def write_report(run_dir: Path, rows: Sequence[EvalRow], doc: RunSummary) -> Path:
    """Write ``report.md`` and its plots into `run_dir`; return the report path."""
    run_dir = Path(run_dir)
    pipes = doc.pipelines
    images = plots.draw_all(run_dir, rows, pipes) if rows else []
    lines = [f"# Evaluation run {doc.run or run_dir.name}", ""]
    if doc.interrupted:
        lines += ["> **Interrupted**: only the finished rows are counted.", ""]
    tag = f" · tag `{doc.get('tag')}`" if doc.get("tag") else ""
    sample = (f" · stratified sample of {doc.get('sample')} (seed {doc.get('seed')})"
              if doc.get("sample") else "")
    lines += [
        f"Model `{doc.get('model', '?')}` · {doc.questions} questions from "
        f"{', '.join(doc.get('sets') or []) or '?'} (split: {doc.get('split', 'all')}){sample}"
        f"{tag} · pipelines: {', '.join(pipes) or 'none'} · started {doc.started or '?'} · "
        f"{doc.machine.get('cpus', '?')} CPU(s) · peak RSS "
        f"{doc.peak_rss_mb or '?'} MB (one process, shared model).", "",
        "## In one look", "", *_one_look(pipes), "",
        "## Quality", "", *headline_lines(pipes), "",
    ]
    lines += [f"![{name}]({name})" for name in images if name.startswith("quality")] + [""]
    if doc.on_baseline_sample:
        n = next(iter(doc.on_baseline_sample.values())).n
        lines += [f"### On the baseline's sub-sample ({n} questions, like for like)", "",
                  *headline_lines(doc.on_baseline_sample), ""]
    lines += ["## Speed", "", *speed_lines(pipes), ""]
    lines += [f"![{name}]({name})" for name in images if name.startswith("latency")] + [""]
    if doc.setup:
        lines += ["Set-up per corpus (seconds): " + "; ".join(
            f"{c}: " + ", ".join(f"{k} {v}" for k, v in info.items())
            for c, info in doc.setup.items()), ""]
    lines += ["## Where it fails", "", "Every wrong answer has one kind: evidence not retrieved "
              "(declined or answered without it), retrieved but answered wrong, wrongly declined "
              "(evidence retrieved), wrongly answered (unanswerable); *other* = errors and "
              "injections.", "", *split_lines(pipes, "by_corpus", "corpus"), "",
              *split_lines(pipes, "by_set", "set"), ""]
    if any(len(s.by_article) > 1 for s in pipes.values()):
        lines += ["By article (the document a question is about; \"\" = not known):", "",
                  *split_lines(pipes, "by_article", "article"), ""]
    lines += ["## Declining: risk–coverage", "",
              "Sorting the answers by `signals[\"confidence\"]` and answering only those at or "
              "above a threshold: accuracy of what is answered against the share answered. "
              "`evals.risk_coverage.at_threshold(rows, t)` gives any point from `rows.jsonl`.",
              "", *risk_coverage_lines(pipes), ""]
    lines += [f"![{name}]({name})" for name in images if name.startswith("risk")] + [""]
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
