"""``rag eval``: run the question sets, or compare two earlier runs.

Examples::

    rag eval                                   # every set, ours + baseline, report in runs/
    rag eval --set evals/sets/article.jsonl --no-baseline --limit 20
    rag eval --ci --model qwen2.5-0.5b         # the CI slice only
    rag eval --compare runs/A runs/B

`main` takes the arguments after ``eval`` and returns the exit code: 0 done,
2 bad arguments or sets, 130 interrupted (finished rows are kept and reported).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.questions import Question, QuestionSetError, default_set_files, load_questions
from evals.report import fmt


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rag eval", description=__doc__.split("\n")[0])
    p.add_argument("--set", dest="sets", action="append", type=Path, metavar="FILE",
                   help="a question set (JSONL); repeat for several (default: evals/sets/*)")
    p.add_argument("--no-baseline", action="store_true",
                   help="run only our pipeline, not the LangChain tutorial baseline")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N questions of each set")
    p.add_argument("--split", choices=("all", "dev", "heldout"), default="all",
                   help="which part of the sets (heldout is kept out of tuning)")
    p.add_argument("--ci", action="store_true", help="only the CI slice (rows marked ci)")
    p.add_argument("--id", dest="ids", action="append", metavar="ID",
                   help="only this question id; repeat for several")
    p.add_argument("--model", metavar="M", help="model preset or .gguf path (default: settings)")
    p.add_argument("--out", type=Path, default=Path("runs"), help="folder for run folders")
    p.add_argument("--compare", nargs=2, type=Path, metavar=("RUN_A", "RUN_B"),
                   help="compare two earlier runs instead of running")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    return p


def select(questions: list[Question], split: str = "all", ci: bool = False,
           ids: Sequence[str] | None = None, limit: int | None = None) -> list[Question]:
    """Filter by split, CI slice and ids, then keep the first `limit` of each set."""
    picked = [q for q in questions
              if (split == "all" or q.split == split) and (q.ci or not ci)
              and (not ids or q.id in ids)]
    if limit is not None:
        per_set: dict[str, int] = {}
        kept = []
        for q in picked:
            per_set[q.set_name] = per_set.get(q.set_name, 0) + 1
            if per_set[q.set_name] <= limit:
                kept.append(q)
        picked = kept
    return picked


def portable(value: Any) -> Any:
    """Paths in a run's settings, relative to the working folder or home where possible."""
    if not isinstance(value, str) or not value.startswith(os.sep):
        return value
    path = Path(value)
    for base, label in ((Path.cwd(), ""), (Path.home(), "~")):
        if path.is_relative_to(base):
            rel = path.relative_to(base).as_posix()
            return f"{label}/{rel}" if label else rel
    return value


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(argv) if argv is not None else sys.argv[1:]
    args = build_parser().parse_args(argv)
    if args.compare:
        from evals.compare import compare

        try:
            out = compare(*args.compare, out_dir=args.out)
        except FileNotFoundError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"written to {out}")
        return 0
    if args.limit is not None and args.limit < 1:
        print("error: --limit must be at least 1", file=sys.stderr)
        return 2
    try:
        questions = select(load_questions(args.sets or default_set_files()),
                           args.split, args.ci, args.ids, args.limit)
    except QuestionSetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not questions:
        print("error: no question matches the chosen sets and filters", file=sys.stderr)
        return 2

    from evals.runner import RealBuilder, new_run_dir, run_eval
    from rag import Settings, SettingsError

    try:
        settings = Settings(temperature=0.0, **({"model": args.model} if args.model else {}))
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    run_dir = new_run_dir(args.out)
    sets = sorted({q.set_name for q in questions})
    meta = {"model": settings.model, "sets": sets, "split": args.split, "ci_only": args.ci,
            "limit": args.limit, "baseline": not args.no_baseline}
    (run_dir / "settings.json").write_text(json.dumps(
        {**meta, "argv": argv,
         "note": "corpus_dir and store_dir are set per corpus by the runner: each question "
                 "names its corpus, and stores live in this run folder",
         "settings": {k: portable(v) for k, v in settings.model_dump(mode="json").items()}},
        indent=2) + "\n", encoding="utf-8")
    print(f"evaluating {len(questions)} questions from {', '.join(sets)} with "
          f"{settings.model}; writing {run_dir}", file=sys.stderr)
    doc = run_eval(questions, RealBuilder(args.model, baseline=not args.no_baseline), run_dir,
                   progress=not args.no_progress, meta=meta)
    for name, s in doc["pipelines"].items():
        print(f"{name:9s} right {fmt(s['accuracy'])} · declined unanswerable "
              f"{fmt(s['refusal_accuracy'])} · false refusals {fmt(s['false_refusal_rate'])} · "
              f"p50 {fmt(s['latency']['p50'], pct=False)} s · citation violations "
              f"{s['citation_violations']}")
    print(f"report: {run_dir / 'report.md'}")
    return 130 if doc["interrupted"] else 0


if __name__ == "__main__":
    sys.exit(main())
