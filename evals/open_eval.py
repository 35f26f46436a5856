"""Run the open-question sets against the real pipeline and print the figures.

    python -m evals.open_eval                       # every open set, into runs/open-<time>/
    python -m evals.open_eval --split dev --set seed --set bikeshare
    python -m evals.open_eval --limit 5             # the first 5 rows of each set

Each document of the sets is indexed into its own store inside the run folder
(the SQuAD-dev articles are read from ``../shared`` or ``$SHARED_DIR`` and copied
there, never into the repository). Each answer is scored by `evals.open_metrics`;
``rows.jsonl`` holds one line per question, ``summary.json`` the figures per kind,
per split and overall.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from evals.open_metrics import (
    Scored,
    baseline_supported,
    key_points_hit,
    summarise,
    supported_sentences,
)
from evals.open_sets import OPEN_FILES, OpenRow, build_corpus, load_open


def _timed(answerer, row: OpenRow) -> tuple[Any, float, float | None]:  # type: ignore[no-untyped-def]
    """The final `Answer`, the seconds it took, and the seconds to its first shown text."""
    from rag.types import Answer

    started = time.perf_counter()
    first = None
    final = None
    for item in answerer.stream_answer(row.question, list(row.history)):
        if isinstance(item, Answer):
            final = item
        elif first is None and item.strip():
            first = time.perf_counter() - started
    total = time.perf_counter() - started
    assert final is not None
    return final, total, first


def ask(pipeline, row: OpenRow) -> tuple[Scored, dict]:  # type: ignore[no-untyped-def]
    """Ask one row, timing the first shown text and the whole answer."""
    final, total, first = _timed(pipeline, row)
    quotes = [c.quote for c in final.citations]
    exact = sum(1 for c in final.citations
                if pipeline.document_text(c.source)[c.start : c.end] == c.quote)
    points = 0 if final.refused else key_points_hit(row.key_points, final.text)
    supported, shown = (0, 0) if final.refused else supported_sentences(final.text, quotes)
    scored = Scored(row.id, row.kind, row.split, row.off_topic, final.refused,
                    (not final.refused) and points >= row.min, points, supported, shown,
                    len(final.citations), exact, total, first if first is not None else total)
    detail = {**asdict(scored), "question": row.question, "answer": final.text,
              "reason": final.reason, "citations": [c.to_dict() for c in final.citations],
              "signals": final.signals}
    return scored, detail


def ask_baseline(baseline, row: OpenRow) -> tuple[Scored, dict]:  # type: ignore[no-untyped-def]
    """Ask the tutorial baseline one row. It cites nothing: a sentence counts as supported
    when its best-matching retrieved chunk passes the strict rule; declines are detected
    in its text (`evals.baseline.looks_like_decline`)."""
    final, total, first = _timed(baseline, row)
    points = 0 if final.refused else key_points_hit(row.key_points, final.text)
    supported, shown = ((0, 0) if final.refused else
                        baseline_supported(final.text, [p.text for p in final.passages]))
    scored = Scored(row.id, row.kind, row.split, row.off_topic, final.refused,
                    (not final.refused) and points >= row.min, points, supported, shown,
                    0, 0, total, first if first is not None else total)
    return scored, {**asdict(scored), "question": row.question, "answer": final.text,
                    "reason": final.reason}


def summarise_by(scored: Sequence[Scored]) -> dict:
    """Figures overall, per split and per kind."""
    summary = {"overall": summarise(scored)}
    for key in ("split", "kind"):
        for value in sorted({getattr(s, key) for s in scored}):
            summary[f"{key}={value}"] = summarise([s for s in scored if getattr(s, key) == value])
    return summary


def run(rows: Sequence[OpenRow], run_dir: Path, model: str | None = None,
        open_answers: str = "extractive", baseline: bool = False) -> dict:
    """Answer every row, corpus by corpus; write rows.jsonl and summary.json; return the
    summary (ours; with `baseline`, the tutorial baseline's under ``"baseline"``, same model)."""
    from evals.baseline import BaselinePipeline
    from rag import Settings
    from rag.pipeline import Pipeline

    run_dir.mkdir(parents=True, exist_ok=True)
    scored: list[Scored] = []
    theirs: list[Scored] = []
    with open(run_dir / "rows.jsonl", "w", encoding="utf-8") as out:
        for corpus in dict.fromkeys(r.corpus for r in rows):
            folder = build_corpus(corpus, run_dir / "corpora" / corpus.replace(":", "_"))
            extra = {"model": model} if model else {}
            settings = Settings(corpus_dir=folder, store_dir=folder.parent / f"{folder.name}.store",
                                temperature=0.0, open_answers=open_answers, **extra)
            pipeline = Pipeline.from_settings(settings, progress=False)
            tutorial = None
            if baseline:  # the same model object and embedder, its own Chroma store
                tutorial = BaselinePipeline(pipeline.chat_model, pipeline.corpus.embeddings,
                                            folder, folder.parent / f"{folder.name}.baseline")
                tutorial.index()
            for row in (r for r in rows if r.corpus == corpus):
                s, detail = ask(pipeline, row)
                scored.append(s)
                out.write(json.dumps({**detail, "corpus": corpus, "pipeline": "ours"},
                                     ensure_ascii=False) + "\n")
                if tutorial is not None:
                    b, bdetail = ask_baseline(tutorial, row)
                    theirs.append(b)
                    out.write(json.dumps({**bdetail, "corpus": corpus, "pipeline": "baseline"},
                                         ensure_ascii=False) + "\n")
                out.flush()
    summary = summarise_by(scored)
    if baseline:
        summary["baseline"] = summarise_by(theirs)
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def table(summary: dict) -> str:
    """The summary as a Markdown table."""
    cols = ["questions", "key_points", "declined_on_topic", "declined_off_topic", "supported",
            "exact", "p50_s", "p95_s", "first_p50_s"]
    lines = ["| pipeline | part | " + " | ".join(cols) + " |", "|---" * (len(cols) + 2) + "|"]
    parts = [("ours", k, v) for k, v in summary.items() if k != "baseline"]
    parts += [("baseline", k, v) for k, v in summary.get("baseline", {}).items()]
    for who, part, figures in parts:
        lines.append(f"| {who} | {part} | " + " | ".join(
            "—" if who == "baseline" and c == "exact"  # it cites nothing
            else f"{figures[c]:.0f}" if c == "questions" else f"{figures[c]:.3f}"
            for c in cols) + " |")
    return "\n".join(lines)


def report_section(summary: dict, factoid: Sequence[str] = ()) -> str:
    """The Markdown section `rag eval` adds to its report: per kind, ours beside the tutorial
    baseline (same model), after the factoid figures of the same run."""
    out = ["", "## Open questions and conversations (issue 16)", ""]
    if factoid:
        out += ["Factoid figures of this run:", "", "```", *factoid, "```", ""]
    out += ["Per kind: key points = on-topic answered with ≥ `min` key points; supported = shown "
            "sentences passing the strict rule of `evals/open_metrics.py` against the span they "
            "cite (the baseline's: against its best-matching retrieved chunk); exact = byte-exact "
            "citations (the baseline cites nothing); first = time to the first shown text.", "",
            table(summary), ""]
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.open_eval", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", action="append", choices=OPEN_FILES, help="open set(s) to run")
    parser.add_argument("--split", choices=["dev", "heldout"])
    parser.add_argument("--limit", type=int, default=0, help="the first N rows of each set")
    parser.add_argument("--stride", type=int, default=1,
                        help="every Nth on-topic row of each set (off-topic rows all): a sample "
                             "for slow variants")
    parser.add_argument("--model", default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--baseline", action="store_true",
                        help="also the LangChain tutorial baseline with the same model")
    parser.add_argument("--open-answers", choices=["extractive", "written"], default="extractive",
                        help="quoted sentences, or model-written then verified (issue 16)")
    args = parser.parse_args(argv)
    rows: list[OpenRow] = []
    for name in args.set or OPEN_FILES:
        chosen = [r for r in load_open((name,)) if not args.split or r.split == args.split]
        on = [r for r in chosen if not r.off_topic][:: max(1, args.stride)]
        chosen = [r for r in chosen if r.off_topic or r in on]
        rows += chosen[: args.limit] if args.limit else chosen
    out = args.out or Path("runs") / time.strftime("open-%Y%m%d-%H%M%S")
    summary = run(rows, out, args.model, args.open_answers, args.baseline)
    print(table(summary))
    print(f"\nrows and summary in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
