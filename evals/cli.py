"""``rag eval``: run question sets, resume a run, or compare two earlier runs.

Examples::

    rag eval                                   # every set, ours + baseline, report in runs/
    rag eval --set evals/sets/article.jsonl --no-baseline --limit 20
    rag eval --ci --model qwen2.5-0.5b         # the CI slice only
    rag eval --set ../shared/squad2-dev/questions.jsonl --corpus ../shared/squad2-dev/corpus \\
             --sample 400 --seed 0 --baseline-sample 100
    rag eval --resume runs/20260101-120000     # finish an interrupted run, same options
    rag eval --compare runs/A runs/B
    rag eval open --split dev                   # the open questions (evals/open_eval.py)

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

# Options a resumed run may set anew; every other one is the run's own.
_RESUMABLE = {"resume", "no_progress"}


def _names(value: str) -> list[str]:
    return [s.strip() for s in value.split(",") if s.strip()]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rag eval", description=__doc__.split("\n")[0])
    p.add_argument("--set", dest="sets", action="append", type=Path, metavar="FILE",
                   help="a question set (JSONL, ours or an external benchmark's format); "
                        "repeat for several (default: evals/sets/*)")
    p.add_argument("--corpus", type=Path, metavar="DIR",
                   help="corpus folder for sets whose rows name none (external sets)")
    p.add_argument("--no-baseline", action="store_true",
                   help="run only our pipeline, not the LangChain tutorial baseline")
    p.add_argument("--baseline-sample", type=int, metavar="N",
                   help="the baseline answers only a stratified N of the chosen questions")
    p.add_argument("--limit", type=int, metavar="N", help="only the first N questions of each set")
    p.add_argument("--sample", type=int, metavar="N",
                   help="a sample of N questions stratified by article and answerable/unanswerable")
    p.add_argument("--seed", type=int, default=0, help="seed of --sample and --baseline-sample")
    p.add_argument("--articles", "--sources", dest="articles", type=_names, metavar="A,B",
                   help="only questions about these documents (file names, comma-separated)")
    p.add_argument("--tag", default="", metavar="NAME",
                   help="a name for this split of the questions (e.g. fit, report)")
    p.add_argument("--split", choices=("all", "dev", "heldout"), default="all",
                   help="which part of the sets (heldout is kept out of tuning)")
    p.add_argument("--ci", action="store_true",
                   help="only the CI slice (rows marked ci, and the SQuAD ids in "
                        "evals/ci_squad_ids.txt when ../shared is there)")
    p.add_argument("--id", dest="ids", action="append", metavar="ID",
                   help="only this question id; repeat for several")
    p.add_argument("--model", metavar="M", help="model preset or .gguf path (default: settings)")
    p.add_argument("--out", type=Path, default=Path("runs"), help="folder for run folders")
    p.add_argument("--resume", type=Path, metavar="RUN",
                   help="finish an earlier run with its own options: skip rows it has")
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


def choose(args: argparse.Namespace) -> list[Question]:
    """The questions a run asks: load, filter, restrict to articles, then sample."""
    from evals.sampling import only_articles, stratified_sample

    for path in args.sets or ():
        if not Path(path).is_file() and "shared" in Path(path).parts:
            from evals.shared_sets import MISSING

            raise QuestionSetError(f"question set {path} does not exist: {MISSING}")
    questions = load_questions(args.sets or default_set_files(), corpus=args.corpus)
    if args.ci and not args.sets:
        from evals import shared_sets

        extra = shared_sets.ci_questions()
        if not extra:
            print(f"note: {shared_sets.MISSING}", file=sys.stderr)
        questions += extra
    picked = select(questions, args.split, args.ci, args.ids, args.limit)
    if args.articles:
        known = {q.article for q in picked}
        unknown = sorted(set(args.articles) - known)
        if unknown:
            raise QuestionSetError(f"--articles: no question is about {', '.join(unknown)}; "
                                   f"known: {', '.join(sorted(a for a in known if a))}")
        picked = only_articles(picked, args.articles)
    if args.sample is not None:
        picked = stratified_sample(picked, args.sample, args.seed)
    return picked


def choose_open(args: argparse.Namespace) -> list[Any]:
    """The open and conversation rows (a ``kind``, issue 16) of the chosen sets, filtered
    like the factoid ones (split, CI slice, ids, the first `limit` of each document)."""
    from evals.open_sets import kind_set_files, load_kind_rows, shared_dir

    if args.articles or args.sample is not None or args.corpus:
        return []  # options of factoid sets (articles, samples, external corpora)
    rows = load_kind_rows(args.sets or kind_set_files())
    if shared_dir() is None and any(r.corpus.startswith("squad:") for r in rows):
        from evals.shared_sets import MISSING

        print(f"note: open questions about SQuAD-dev articles left out: {MISSING}",
              file=sys.stderr)
        rows = [r for r in rows if not r.corpus.startswith("squad:")]
    rows = [r for r in rows
            if (args.split == "all" or r.split == args.split) and (r.ci or not args.ci)
            and (not args.ids or r.id in args.ids)]
    if args.limit is not None:
        kept, seen = [], dict.fromkeys((r.corpus for r in rows), 0)
        for r in rows:
            seen[r.corpus] += 1
            if seen[r.corpus] <= args.limit:
                kept.append(r)
        rows = kept
    return rows


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


def _check(args: argparse.Namespace) -> str:
    for name in ("limit", "sample", "baseline_sample"):
        value = getattr(args, name)
        if value is not None and value < 1:
            return f"--{name.replace('_', '-')} must be at least 1"
    if args.baseline_sample is not None and args.no_baseline:
        return "--baseline-sample and --no-baseline contradict each other"
    return ""


def _resumed(argv: list[str], parser: argparse.ArgumentParser) -> tuple[argparse.Namespace,
                                                                          list[str]]:
    """The options of the run being resumed; refuses others given now."""
    given = parser.parse_args(argv)
    changed = [k for k, v in vars(given).items()
               if k not in _RESUMABLE and v != parser.get_default(k)]
    if changed:
        raise QuestionSetError("--resume takes the run's own options; drop "
                               + ", ".join(f"--{k.replace('_', '-')}" for k in changed))
    path = given.resume / "settings.json"
    if not path.is_file():
        raise QuestionSetError(f"{given.resume} has no settings.json: is it a run folder?")
    saved = json.loads(path.read_text(encoding="utf-8"))
    args = parser.parse_args(saved["argv"])
    args.resume, args.no_progress = given.resume, given.no_progress
    return args, saved["argv"]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(argv) if argv is not None else sys.argv[1:]
    if argv[:1] == ["open"]:  # issue 16: `rag eval open [--split dev] [--set seed]`
        from evals.open_eval import main as open_main

        return open_main(argv[1:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.compare:
        from evals.compare import compare

        try:
            out = compare(*args.compare, out_dir=args.out)
        except FileNotFoundError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"written to {out}")
        return 0
    run_argv = [portable(a) for a in argv]
    try:
        if args.resume:
            args, run_argv = _resumed(argv, parser)
        problem = _check(args)
        if problem:
            raise QuestionSetError(problem)
        questions = choose(args)
        open_rows = [] if args.resume else choose_open(args)
    except (QuestionSetError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not questions and not open_rows:
        print("error: no question matches the chosen sets and filters", file=sys.stderr)
        return 2
    return _run(args, run_argv, questions, open_rows)


def _run(args: argparse.Namespace, run_argv: list[str], questions: list[Question],
         open_rows: Sequence[Any] = ()) -> int:
    from evals.runner import RealBuilder, new_run_dir, run_eval
    from evals.sampling import stratified_sample
    from rag import Settings, SettingsError
    from rag.settings import public_settings

    try:
        settings = Settings(temperature=0.0, **({"model": args.model} if args.model else {}))
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    dumped = {k: portable(v) for k, v in public_settings(settings).items()}
    if args.resume:
        run_dir = args.resume
        before = json.loads((run_dir / "settings.json").read_text(encoding="utf-8"))["settings"]
        differ = sorted(k for k in set(before) | set(dumped) if before.get(k) != dumped.get(k))
        if differ:
            print(f"error: settings differ from the run being resumed: {', '.join(differ)} "
                  "(rag.yaml or RAG_* changed?)", file=sys.stderr)
            return 2
    else:
        run_dir = new_run_dir(args.out)
    sets = sorted({q.set_name for q in questions} | {f"open:{r.corpus}" for r in open_rows})
    only: dict[str, list[str]] = {}
    if args.baseline_sample and not args.no_baseline:
        only["baseline"] = [q.id for q in
                            stratified_sample(questions, args.baseline_sample, args.seed)]
    meta = {"model": settings.model, "sets": sets, "split": args.split, "ci_only": args.ci,
            "limit": args.limit, "sample": args.sample, "seed": args.seed,
            "articles": args.articles, "baseline": not args.no_baseline,
            "baseline_sample": args.baseline_sample,
            "decline_threshold": getattr(settings, "decline_threshold", None)}
    if not args.resume:
        (run_dir / "settings.json").write_text(json.dumps(
            {**meta, "tag": args.tag, "argv": run_argv,
             "note": "corpus_dir and store_dir are set per corpus by the runner: each question "
                     "names its corpus, and stores live in this run folder",
             "settings": dumped}, indent=2) + "\n", encoding="utf-8")
    print(f"{'resuming' if args.resume else 'evaluating'} {len(questions)} questions from "
          f"{', '.join(sets)} and {len(open_rows)} open or conversation questions with "
          f"{settings.model}; writing {run_dir}", file=sys.stderr)
    factoid: list[str] = []
    interrupted = False
    if questions:
        doc = run_eval(questions, RealBuilder(args.model, baseline=not args.no_baseline), run_dir,
                       progress=not args.no_progress, meta=meta, only=only,
                       resume=bool(args.resume), tag=args.tag)
        interrupted = doc.interrupted
        for name, s in doc.pipelines.items():
            factoid.append(
                f"{name:9s} right {fmt(s.accuracy)} · declined unanswerable "
                f"{fmt(s.refusal_accuracy)} · false refusals {fmt(s.false_refusal_rate)} · "
                f"p50 {fmt(s.latency.get('p50'), pct=False)} s · citation violations "
                f"{s.citation_violations} · shown phrases outside their quote "
                f"{s.phrases_outside_quote}")
            print(factoid[-1])
    if open_rows and not interrupted:  # issue 16: open questions and conversations, per kind
        from evals.open_eval import report_section, run

        summary = run(open_rows, run_dir / "open", args.model,
                      getattr(settings, "open_answers", "extractive"), not args.no_baseline)
        section = report_section(summary, factoid)
        with open(run_dir / "report.md", "a", encoding="utf-8") as fh:
            fh.write(section)
        print(section)
    print(f"report: {run_dir / 'report.md'}")
    return 130 if interrupted else 0


if __name__ == "__main__":
    sys.exit(main())
