"""The `rag` command: index, list, ask, chat, and (lazily) serve, eval, bench.

Library errors become one-line messages and a non-zero exit here, at the
edge, and nowhere else. This is the one module that may import `ui` and
`evals`, and only inside their subcommands.

Example:
    $ rag index                       # sync the store with ./seeds
    $ rag index ~/papers --watch      # and keep it in sync
    $ rag ask "Where did the envoys meet?" --json
    $ RAG_MODEL=qwen2.5-1.5b rag chat
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from rag import __version__
from rag.errors import RagError
from rag.settings import Settings

EXIT_ERROR = 1


def _pipeline(settings: Settings | None = None):  # type: ignore[no-untyped-def]
    from rag.pipeline import Pipeline

    return Pipeline.from_settings(settings or Settings())


def cmd_index(args: argparse.Namespace) -> int:
    from rag.corpus import open_corpus

    if not args.verbose:  # the summary below names every skipped file once
        logging.getLogger("index.sync").setLevel(logging.ERROR)
    overrides = {"corpus_dir": args.folder} if args.folder else {}
    corpus = open_corpus(Settings(**overrides))
    s = corpus.settings

    def sync(reset: bool = False, progress: bool = True):  # type: ignore[no-untyped-def]
        report = corpus.index(reset=reset, progress=progress)
        if report.skipped:
            print(f"{len(report.skipped)} file(s) skipped:", file=sys.stderr)
            for line in report.skipped_lines():
                print("  " + line, file=sys.stderr)
        print(report.summary(), flush=True)
        return report

    sync(reset=args.reset)
    if args.watch:
        from index.watch import watch_folder

        print(f"watching {s.corpus_dir} for changes (Ctrl+C stops)", flush=True)
        watch_folder(s.corpus_dir, lambda: _sync_or_say(sync), ignore=s.store_dir)
    return 0


def _sync_or_say(sync):  # type: ignore[no-untyped-def]
    """In watch mode a bad moment (the last document deleted) is said, not fatal."""
    try:
        return sync(progress=False)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return None


def cmd_sources(args: argparse.Namespace) -> int:
    """List what is indexed; only reads (an interrupted index is left for `rag index`)."""
    from rag.corpus import open_corpus

    corpus = open_corpus()
    rows = corpus.sources()
    for row in rows:
        print(f"{row.passages:6d}  {row.source}")
    s = corpus.settings
    print(f"{len(rows)} document(s) in {s.store_dir} from {s.corpus_dir}")
    if not corpus.is_complete():
        print("The index is incomplete (indexing was interrupted or is running): "
              "`rag index` finishes it." if rows else "Nothing is indexed yet: run `rag index`.",
              file=sys.stderr)
    return 0


def _print_answer(a, as_json: bool) -> None:  # type: ignore[no-untyped-def]
    if as_json:
        print(json.dumps(a.to_dict(), indent=2, ensure_ascii=False))
        return
    print(a.text)
    for i, c in enumerate(a.citations, 1):
        quote = " ".join(c.quote.split())
        page = f" p.{c.page}" if getattr(c, "page", None) else ""
        print(f"  [{i}] {c.source}{page}:{c.start}-{c.end}  \"{quote}\"")
    t = a.timings
    print(f"  ({t.get('total', 0):.1f} s; first token {t.get('first_token', 0):.1f} s; "
          f"{a.model})", file=sys.stderr)


def cmd_ask(args: argparse.Namespace) -> int:
    p = _pipeline()
    if args.json:
        _print_answer(p.answer(args.question), as_json=True)
        return 0
    final = None
    for item in p.stream_answer(args.question):
        if isinstance(item, str):
            print(item, end="", flush=True, file=sys.stderr)
        else:
            final = item
    print(file=sys.stderr)
    _print_answer(final, as_json=False)
    return 0


def cmd_chat(args: argparse.Namespace) -> int:
    p = _pipeline()
    print(f"Chatting with {len(p.sources())} document(s) using {p.model_name}. "
          "Empty line or Ctrl-D to quit; /reset to start over.")
    history: list[tuple[str, str]] = []
    while True:
        try:
            question = input("\nyou> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if not question:
            return 0
        if question == "/reset":
            history.clear()
            continue
        try:
            a = p.answer(question, history)
        except RagError as exc:
            print(f"error: {exc}", file=sys.stderr)
            continue
        if a.rewritten_question != a.question:
            print(f"(searched for: {a.rewritten_question})")
        _print_answer(a, as_json=False)
        history.append((question, a.text))


def cmd_models(args: argparse.Namespace) -> int:
    from rag.models import PRESETS, resolve_model_path

    s = Settings().resolved()
    print(f"model cache: {s.model_cache_dir}")
    for name, preset in PRESETS.items():
        mark = "*" if name == s.model else " "
        path = s.model_cache_dir / f"{name}.gguf"
        state = f"{path.stat().st_size / 1e6:,.0f} MB assembled" if path.exists() else "not assembled"
        if preset.single_file:
            state = "used in place from its package"
        print(f"{mark} {name:14s} {preset.size / 1e6:7,.0f} MB  {preset.description}  [{state}]")
    if args.assemble:
        print(f"ready: {resolve_model_path(s)}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rag",
        description="Answer questions from your documents with verified citations. "
        "Settings come from rag.yaml and RAG_* environment variables.",
    )
    parser.add_argument("--version", action="version", version=f"rag {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("index", help="sync the store with a folder")
    p.add_argument("folder", nargs="?", help="corpus folder (default: corpus_dir)")
    p.add_argument("--reset", action="store_true", help="drop the store and re-embed everything")
    p.add_argument("--watch", action="store_true",
                   help="then keep the index in sync with the folder (Ctrl+C stops)")
    p.set_defaults(func=cmd_index)
    sub.add_parser("sources", help="list indexed documents").set_defaults(func=cmd_sources)
    p = sub.add_parser("ask", help="answer one question")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the whole Answer as JSON")
    p.set_defaults(func=cmd_ask)
    sub.add_parser("chat", help="terminal chat with history").set_defaults(func=cmd_chat)
    p = sub.add_parser("models", help="show model presets and the model cache")
    p.add_argument("--assemble", action="store_true", help="assemble/verify the chosen model now")
    p.set_defaults(func=cmd_models)
    for name, help_text in (
        ("serve", "start the web chat (rag serve --help)"),
        ("eval", "run the evaluation question sets (rag eval --help)"),
        ("calibrate", "fit the decline decision for the configured model (rag calibrate --help)"),
        ("bench", "benchmark ours against the tutorial pipeline (rag bench --help)"),
        ("bench-ingest", "measure text extraction: PDF pages/s, HTML and DOCX files/s"),
        ("bench-history", "what a long conversation history costs an answer"),
        ("loadtest", "bounded load test of a running rag serve (rag loadtest --help)"),
    ):
        sub.add_parser(name, help=help_text, add_help=False)  # dispatched in main()
    return parser


# Subcommands whose own parser (in ui/ or evals/) takes every argument after the name.
PASSTHROUGH = {"serve": "ui.server", "eval": "evals.cli", "bench": "evals.bench.cli",
               "bench-ingest": "evals.bench.ingest", "loadtest": "evals.bench.loadtest",
               "bench-history": "evals.bench.history", "calibrate": "evals.tuning.calibrate"}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in PASSTHROUGH:
        # argparse's REMAINDER drops options such as --port, so hand them over whole.
        import importlib

        try:
            return int(importlib.import_module(PASSTHROUGH[argv[0]]).main(argv[1:]))
        except RagError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_ERROR
        except KeyboardInterrupt:
            return 130
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        for name in ("rag.pipeline", "rag.corpus"):
            logging.getLogger(name).setLevel(logging.INFO)
    try:
        return int(args.func(args))
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
