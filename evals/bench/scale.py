"""``rag bench --scale --corpus DIR``: how the pipeline holds up on a large corpus.

Measured on our pipeline alone (no baseline), with the settings in force
(so ``RAG_CHROMA_URL`` / ``RAG_LLM_URL`` measure server mode):

- indexing from an empty store: passages/s and seconds;
- store size on disk (the embedded store; 0 with a Chroma server);
- cold start in a fresh process: imports → pipeline ready to retrieve (store
  opened, retriever loaded), and then the model loaded;
- retrieval p50/p95 over `queries` queries taken from random passages;
- answer p50/p95 over `questions` questions (first, cold answer apart).

``--make-corpus N`` first writes about N passages of the Python documentation
(`evals.bench.pydocs`) into DIR. A benchmark, not a test: nothing asserts a time.

Example::

    rag bench --scale --make-corpus 10000 --corpus /tmp/pydocs-10k --questions 5
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from evals import metrics as m

COLD_START = """
import json, sys, time
t0 = time.perf_counter()
from rag import Settings
from rag.pipeline import Pipeline
p = Pipeline.from_settings(Settings(corpus_dir=sys.argv[1], store_dir=sys.argv[2]), progress=False)
p.corpus.retriever.retrieve("how do I open a file", 4)
ready = time.perf_counter() - t0
_ = p.chat_model
print(json.dumps({"ready_s": ready, "with_model_s": time.perf_counter() - t0}))
"""


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


SHARED_FILES = 20  # questions come from the first files, which every size of corpus holds


def _queries(passages: list[Any], n: int, seed: int = 0) -> list[str]:
    """`n` queries, each the first words of a passage of the first `SHARED_FILES`
    files (by name): the same queries for every corpus `--make-corpus` writes, so
    retrieval and answer latency compare across sizes.

    >>> from types import SimpleNamespace as P
    >>> sorted(_queries([P(source="b", start=0, text="two words"),
    ...                  P(source="a", start=0, text="one")], 5))
    ['one', 'two words']
    """
    first = sorted({p.source for p in passages})[:SHARED_FILES]
    pool = sorted((p for p in passages if p.source in first), key=lambda p: (p.source, p.start))
    picks = random.Random(seed).sample(pool, min(n, len(pool)))
    return [" ".join(p.text.split()[:10]) for p in picks]


def run_scale(corpus: Path, queries: int = 200, questions: int = 5,
              store: Path | None = None) -> dict[str, Any]:
    """Index `corpus` from scratch into a fresh store and measure; returns the figures."""
    from rag import Settings
    from rag.pipeline import Pipeline

    tmp = None
    if store is None:
        tmp = tempfile.TemporaryDirectory(prefix="rag-scale-")
        store = Path(tmp.name) / "store"
    settings = Settings(corpus_dir=corpus, store_dir=store, context_mode="retrieve")
    out: dict[str, Any] = {"corpus": str(corpus), "model": settings.model,
                           "chroma_url": settings.chroma_url, "llm_url": settings.llm_url}
    reused = store.exists() and any(store.iterdir())
    t = time.perf_counter()
    pipe = Pipeline.from_settings(settings, progress=True)  # indexes an empty store
    build = time.perf_counter() - t
    n = pipe.corpus.store.count()
    out["index"] = {"passages": n, "files": len(pipe.sources()), "reused_store": reused,
                    "seconds": None if reused else build,
                    "passages_per_s": None if reused or not build else n / build}
    out["store_mb"] = _du(store) / 1e6
    proc = subprocess.run([sys.executable, "-c", COLD_START, str(corpus), str(store)],
                          capture_output=True, text=True, check=False,
                          env={**__import__("os").environ, "RAG_CONTEXT_MODE": "retrieve"})
    out["cold_start"] = (json.loads(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0
                         else {"error": proc.stderr[-500:]})
    qs = _queries(list(pipe.corpus.retriever.passages.values()), queries)
    times = []
    for q in qs:
        t = time.perf_counter()
        pipe.corpus.retriever.retrieve(q, settings.top_k)
        times.append(time.perf_counter() - t)
    out["retrieve"] = m.latency_summary(times)
    totals = []
    for q in qs[:questions]:
        t = time.perf_counter()
        pipe.answer(f"What does the documentation say about {q}?")
        totals.append(time.perf_counter() - t)
    out["first_answer_s"] = totals[0] if totals else None
    out["answer"] = m.latency_summary(totals[1:] if len(totals) > 1 else totals)
    if tmp is not None:
        tmp.cleanup()
    return out


def report(r: dict[str, Any]) -> str:
    ix, cs, rt, an = r["index"], r["cold_start"], r["retrieve"], r["answer"]

    def f(v: Any, unit: str = "", scale: float = 1.0) -> str:
        return "n/a" if v is None else f"{v * scale:,.2f}{unit}"

    return "\n".join([
        f"corpus {r['corpus']}: {ix['files']:,} files, {ix['passages']:,} passages",
        "indexing        not measured (an existing --store was reused)" if ix.get("reused_store")
        else f"indexing        {f(ix['seconds'], ' s')}  ({f(ix['passages_per_s'], ' passages/s')})",
        f"store size      {f(r['store_mb'], ' MB')}",
        f"cold start      ready {f(cs.get('ready_s'), ' s')}; with the model "
        f"{f(cs.get('with_model_s'), ' s')}",
        f"retrieval       p50 {f(rt.get('p50'), ' ms', 1000)}  p95 {f(rt.get('p95'), ' ms', 1000)}"
        f"  (n={rt.get('n')})",
        f"answer          p50 {f(an.get('p50'), ' s')}  p95 {f(an.get('p95'), ' s')}"
        f"  (n={an.get('n')}; first, cold {f(r['first_answer_s'], ' s')})",
    ])


def main(args: Any) -> int:
    """Called by `rag bench --scale` (evals.bench.cli) with its parsed arguments."""
    if args.corpus is None:
        print("error: --scale needs --corpus DIR", file=sys.stderr)
        return 2
    if args.make_corpus:
        from evals.bench.pydocs import make_corpus

        files, est = make_corpus(args.corpus, args.make_corpus)
        print(f"wrote {files} files (~{est:,} passages) to {args.corpus}", file=sys.stderr)
    r = run_scale(args.corpus.resolve(), questions=args.questions, store=args.store)
    text = report(r)
    print(text)
    out = Path(args.out) / f"scale-{datetime.now():%Y%m%d-%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)
    (out / "scale.json").write_text(json.dumps(r, indent=2) + "\n", encoding="utf-8")
    (out / "scale.md").write_text(text + "\n", encoding="utf-8")
    print(f"saved to {out}", file=sys.stderr)
    return 0
