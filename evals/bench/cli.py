"""``rag bench``: how fast ours is beside the LangChain tutorial pipeline.

Each pipeline is measured in a fresh worker process of its own, one after the
other (never both at once on a 2-core machine), so cold start and peak memory
are its own and not shared with the other. Per pipeline:

- cold start: process start → ready to answer (imports, embedder, indexing an
  empty store, model load);
- index throughput: re-indexing the corpus from scratch with a warm embedder;
- retrieval latency; first answer (cold prompt cache) apart from the rest;
- time to first token and end-to-end p50/p95 over the questions, tokens/s;
- peak RSS of the worker.

Printed as a table and saved to ``<out>/bench-<timestamp>/bench.{json,md}``. A
benchmark, not a test: nothing here asserts a time.

Example::

    rag bench --model qwen2.5-0.5b --questions 8
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from evals import metrics as m
from evals.report import fmt

ROWS = (  # (label, key path in a worker's result, unit)
    ("Cold start (process → ready)", ("cold_start_s",), "s"),
    ("  of which model load", ("model_load_s",), "s"),
    ("Index from scratch", ("index", "seconds"), "s"),
    ("Index throughput", ("index", "chars_per_s"), "chars/s"),
    ("Index throughput", ("index", "passages_per_s"), "passages/s"),
    ("Retrieval p50", ("retrieve", "p50"), "s"),
    ("First answer (cold prompt cache)", ("first_answer_s",), "s"),
    ("Time to first token p50", ("first_token", "p50"), "s"),
    ("Time to first token p95", ("first_token", "p95"), "s"),
    ("End-to-end p50", ("latency", "p50"), "s"),
    ("End-to-end p95", ("latency", "p95"), "s"),
    ("Decoding after the first token p50", ("tokens_per_s",), "tokens/s"),
    ("Peak RSS", ("peak_rss_mb",), "MB"),
)


def _questions(n: int) -> list[str]:
    """The first `n` answerable dev questions without history, from the article set."""
    from evals.questions import default_set_files, load_questions

    files = [f for f in default_set_files() if f.stem == "article"]
    qs = [q for q in load_questions(files) if q.answerable and q.split == "dev"]
    return [q.question for q in qs[:n]]


# --- the worker (runs in its own process) --------------------------------------


def _worker(name: str, model: str | None, corpus: Path, store: Path, questions: list[str]) -> dict:
    started = time.perf_counter()
    from rag import Settings

    values: dict[str, Any] = {"temperature": 0.0, **({"model": model} if model else {})}
    settings = Settings(corpus_dir=corpus, store_dir=store, **values)
    out: dict[str, Any] = {"name": name, "model": settings.model}
    if name == "ours":
        from rag import Pipeline

        pipe: Any = Pipeline.from_settings(settings, progress=False)
        t = time.perf_counter()
        _ = pipe.chat_model
        out["model_load_s"] = time.perf_counter() - t
        out["ready_at"] = time.time()
        t = time.perf_counter()
        report = pipe.index(reset=True, progress=False)
        seconds = time.perf_counter() - t
        n_passages = float(report.passages)

        def retrieve(q: str) -> Any:
            return pipe.corpus.retriever.retrieve(q, settings.top_k)
    else:
        from evals.baseline import BaselinePipeline
        from index.embed import packaged_embeddings
        from rag.llm import load_chat_model

        emb = packaged_embeddings()
        t = time.perf_counter()
        chat = load_chat_model(settings)
        out["model_load_s"] = time.perf_counter() - t
        pipe = BaselinePipeline(chat, emb, corpus, store / "baseline")
        pipe.index()
        out["ready_at"] = time.time()
        rep = pipe.index(reset=True)
        seconds, n_passages = rep["seconds"], rep["chunks"]
        retrieve = pipe.retrieve
    chars = sum(len(p.read_text(encoding="utf-8", errors="replace"))
                for p in corpus.rglob("*") if p.suffix in {".txt", ".md"} and p.is_file())
    out["index"] = {"seconds": seconds, "passages": n_passages, "chars": chars,
                    "chars_per_s": chars / seconds if seconds else None,
                    "passages_per_s": n_passages / seconds if seconds else None}
    r_times = []
    for q in questions:
        t = time.perf_counter()
        retrieve(q)
        r_times.append(time.perf_counter() - t)
    out["retrieve"] = m.latency_summary(r_times)
    firsts, totals, tps = [], [], []
    for q in questions:
        t = time.perf_counter()
        first = None
        final = None
        for item in pipe.stream_answer(q):
            if isinstance(item, str):
                if first is None and item.strip():
                    first = time.perf_counter() - t
            else:
                final = item
        total = time.perf_counter() - t
        firsts.append(first if first is not None else total)
        totals.append(total)
        timings = getattr(final, "timings", {}) or {}
        tps.append(m.decode_speed(timings.get("completion_tokens"), timings.get("generate"),
                                  timings.get("first_token")))
    out["first_answer_s"] = totals[0] if totals else None
    # the first answer pays for reading the fixed prompt prefix: keep it out of the rest
    rest_f, rest_t = (firsts[1:], totals[1:]) if len(totals) > 1 else (firsts, totals)
    out["first_token"] = m.latency_summary(rest_f)
    out["latency"] = m.latency_summary(rest_t)
    out["tokens_per_s"] = m.percentile([v for v in tps if v is not None], 50)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["worker_s"] = time.perf_counter() - started
    return out


# --- the parent ------------------------------------------------------------------


def _measure(name: str, model: str | None, corpus: Path, questions: list[str]) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        qfile = Path(tmp) / "questions.json"
        qfile.write_text(json.dumps(questions), encoding="utf-8")
        cmd = [sys.executable, "-m", "evals.bench.cli", "--worker", name, "--corpus", str(corpus),
               "--store", str(Path(tmp) / "store"), "--questions-file", str(qfile)]
        if model:
            cmd += ["--model", model]
        spawned = time.time()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise RuntimeError(f"the {name} benchmark worker failed:\n{proc.stderr[-2000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["cold_start_s"] = result.pop("ready_at") - spawned
    return result


def _get(result: dict, path: tuple[str, ...]) -> Any:
    for key in path:
        result = result.get(key) if isinstance(result, dict) else None  # type: ignore[assignment]
    return result


def table(results: dict[str, dict]) -> str:
    """Markdown table, pipelines side by side, with baseline ÷ ours."""
    names = list(results)
    both = "ours" in results and "baseline" in results
    lines = ["| | unit | " + " | ".join(names) + (" | baseline ÷ ours |" if both else " |"),
             "|---|---|" + "---|" * (len(names) + both)]
    for label, path, unit in ROWS:
        vals = [_get(results[n], path) for n in names]
        row = f"| {label} | {unit} | " + " | ".join(fmt(v, pct=False) for v in vals) + " |"
        if both:
            a, b = _get(results["ours"], path), _get(results["baseline"], path)
            row += f" {b / a:.1f}× |" if a and b is not None else " n/a |"
        lines.append(row)
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="rag bench", description="Benchmark ours vs the baseline.")
    p.add_argument("--model", help="model preset or .gguf path (default: settings)")
    p.add_argument("--corpus", type=Path, help="corpus folder (default: settings' corpus_dir)")
    p.add_argument("--questions", type=int, default=10, help="questions per pipeline")
    p.add_argument("--no-baseline", action="store_true", help="measure only our pipeline")
    p.add_argument("--out", type=Path, default=Path("runs"), help="where results are saved")
    p.add_argument("--scale", action="store_true",
                   help="measure ours alone on a large --corpus (see evals/bench/scale.py)")
    p.add_argument("--make-corpus", type=int, metavar="N",
                   help="with --scale: first write ~N passages of the Python docs into --corpus")
    p.add_argument("--embed", action="store_true",
                   help="compare the embedder's precisions (speed, recall@4) on --corpus and "
                   "--set (see evals/bench/embed.py)")
    p.add_argument("--set", action="append", help="with --embed: a question set (repeatable)")
    p.add_argument("--worker", choices=("ours", "baseline"), help=argparse.SUPPRESS)
    p.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--questions-file", type=Path, help=argparse.SUPPRESS)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(argv) if argv is not None else None)
    if args.scale:
        from evals.bench.scale import main as scale_main

        return scale_main(args)
    if args.embed:
        from evals.bench.embed import main as embed_main

        return embed_main(args)
    if args.worker:
        questions = json.loads(args.questions_file.read_text(encoding="utf-8"))
        print(json.dumps(_worker(args.worker, args.model, args.corpus, args.store, questions)))
        return 0
    from rag import Settings

    corpus = (args.corpus or Settings().corpus_dir).resolve()
    questions = _questions(args.questions)
    results = {}
    for name in ["ours"] + ([] if args.no_baseline else ["baseline"]):
        print(f"measuring {name} ({len(questions)} questions)…", file=sys.stderr)
        results[name] = _measure(name, args.model, corpus, questions)
    text = table(results)
    model = next(iter(results.values()))["model"]
    head = (f"# Benchmark {datetime.now():%Y-%m-%d %H:%M}\n\nModel `{model}`, corpus "
            f"`{corpus.name}`, {len(questions)} questions; each pipeline in its own process.\n")
    print(head + "\n" + text)
    out = Path(args.out) / f"bench-{datetime.now():%Y%m%d-%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    (out / "bench.md").write_text(head + "\n" + text + "\n", encoding="utf-8")
    print(f"\nsaved to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
