"""The packaged embedder in both precisions: the same neighbours, one store for both."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index.embed import native_bfloat16, packaged_embeddings, resolve_precision
from tests.conftest import SEED, read_exact

pytestmark = pytest.mark.slow


def test_bfloat16_vectors_match_float32_and_auto_follows_the_cpu() -> None:
    text = read_exact(SEED)
    paragraphs = [p for p in text.split("\n\n") if len(p) > 80][:40]
    questions = ["Who were the envoys?", "When did it happen?", "What was decided?"]
    vecs = {}
    for precision in ("float32", "bfloat16"):
        emb = packaged_embeddings(precision=precision)
        docs = np.asarray(emb.embed_documents(paragraphs))
        queries = np.asarray([emb.embed_query(q) for q in questions])
        vecs[precision] = (docs, queries)
    (d32, q32), (d16, q16) = vecs["float32"], vecs["bfloat16"]
    assert np.all(np.sum(d32 * d16, axis=1) > 0.99)  # measured ≥ 0.998 on 2,000 paragraphs
    # a query in one precision finds the same best passage in a store of the other
    assert np.array_equal(np.argmax(q16 @ d32.T, axis=1), np.argmax(q32 @ d32.T, axis=1))
    assert resolve_precision("auto") == ("bfloat16" if native_bfloat16() else "float32")


MIXED = """
import sys
from rag import Settings
from rag.pipeline import Pipeline
p = Pipeline.from_settings(Settings(corpus_dir=sys.argv[1], store_dir=sys.argv[2],
                                    embed_precision="bfloat16"), progress=False)
for q in ["Who were the envoys?", "Where did they meet?", "What did the copy 3 say?",
          "When was the meeting?"]:
    p.answer(q)  # retrieval (torch) and reading (llama.cpp) alternate on this thread
print("answered")
"""


def test_bfloat16_embedder_and_llama_cpp_share_a_process(tmp_path: Path) -> None:
    # Before the embedder got a thread of its own, this died with SIGILL on AMX CPUs:
    # torch released the AMX tiles that llama.cpp had configured for the thread.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    text = read_exact(SEED)
    for copy in range(8):
        body = "\n\n".join(f"{p} (copy {copy})" for p in text.split("\n\n") if p.strip())
        (corpus / f"article-{copy}.txt").write_text(body, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-c", MIXED, str(corpus), str(tmp_path / "store")],
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "answered" in proc.stdout
