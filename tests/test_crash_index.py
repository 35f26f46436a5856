"""`kill -9` during indexing, then start again: never a half index.

The indexer is killed for real (SIGKILL) at points where a write certainly
happened — once the log shows a number of files stored, and once mid-way
through one large file's passages — while it updates an existing index
(one file edited, one deleted, files added). Then:

* the store says it is incomplete, so nothing answers from it before the
  interrupted work is finished (`PassageStore.is_complete`,
  `index.sync.finish_interrupted`);
* the next run finishes the job and the store holds exactly the passages a
  clean index of the same folder holds.

The fast variant kills `tests.index_driver` (the real sync and Chroma with
the hashing fake embedder); the slow one kills the real `rag -v index`.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.store import ADD_BATCH, PassageStore
from index.sync import SplitOptions, finish_interrupted, sync_folder
from tests.conftest import ROOT
from tests.fakes import HashingFakeEmbeddings

WORDS = ("harbour crane ferry valley orchard council library clinic convoy bakery river "
         "market school bridge station tower garden museum").split()


def _sentence(i: int) -> str:
    a, b, c = WORDS[i % len(WORDS)], WORDS[(i * 7) % len(WORDS)], WORDS[(i * 11) % len(WORDS)]
    return f"Report {i}: the {a} near the {b} reopened after {i % 90 + 3} days beside the {c}."


def _write_corpus(corpus: Path, version: int) -> None:
    corpus.mkdir(exist_ok=True)
    for n in range(1, 6):
        (corpus / f"a_{n}.txt").write_text(
            "\n\n".join(" ".join(_sentence(n * 100 + k * 3 + j) for j in range(3))
                        for k in range(8)) + f"\n\nVersion {version}.\n",
            encoding="utf-8")
    if version == 2:
        (corpus / "a_5.txt").unlink()
        big = "\n\n".join(" ".join(_sentence(10_000 + k * 4 + j) for j in range(4))
                          for k in range(3 * ADD_BATCH))  # several store batches
        (corpus / "z_big.txt").write_text(big, encoding="utf-8")


def _snapshot(store: PassageStore) -> set[tuple]:
    return {(p.id, p.source, p.start, p.end, p.text) for p in store.all_passages()}


def _run_until(cmd: list[str], pattern: str, env: dict[str, str], timeout: float = 600) -> str:
    """Start `cmd`, SIGKILL it as soon as its output matches `pattern`; return the output."""
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    out, deadline = b"", time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            chunk = proc.stdout.read() or b""
            out += chunk
            if re.search(pattern.encode(), out):
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(30)
                assert proc.returncode == -signal.SIGKILL, "the indexer finished before the kill"
                return out.decode(errors="replace")
            if proc.poll() is not None:
                break
            time.sleep(0.005)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    raise AssertionError(f"never saw {pattern!r} before exit:\n{out.decode(errors='replace')}")


# Kill points: after two files of the update are stored; mid-way through z_big.txt.
KILL_POINTS = {
    "after-2-files": r"stored \d+/\d+ passages of a_2\.txt",
    "mid-file": rf"stored (?:{ADD_BATCH}|{2 * ADD_BATCH})/\d+ passages of z_big\.txt",
}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    return env


@pytest.mark.parametrize("point", sorted(KILL_POINTS))
def test_kill_9_during_index_with_fake_embedder(tmp_path: Path, point: str) -> None:
    corpus, store_dir = tmp_path / "corpus", tmp_path / "store"
    driver = [sys.executable, "-m", "tests.index_driver", str(corpus), str(store_dir)]
    _write_corpus(corpus, 1)
    subprocess.run(driver, cwd=ROOT, env=_env(), check=True, capture_output=True, timeout=300)
    _write_corpus(corpus, 2)
    _run_until(driver + ["0.05"], KILL_POINTS[point], _env())

    embeddings = HashingFakeEmbeddings()
    store = PassageStore(store_dir, embeddings)  # type: ignore[arg-type]
    assert not store.is_complete(), "a killed sync must leave the index marked incomplete"
    report = finish_interrupted(corpus, store, SplitOptions(), progress=False)
    assert report is not None and store.is_complete()

    clean = PassageStore(tmp_path / "clean", embeddings)  # type: ignore[arg-type]
    sync_folder(corpus, clean, SplitOptions(), progress=False)
    assert _snapshot(store) == _snapshot(clean)
    assert "a_5.txt" not in store.sources()
    # and once complete, a further run changes nothing
    again = sync_folder(corpus, store, SplitOptions(), progress=False)
    assert not (again.added or again.updated or again.removed)


@pytest.mark.slow
@pytest.mark.parametrize("point", ["mid-file"])  # the costlier twin: one kill point
def test_kill_9_during_rag_index(tmp_path: Path, point: str, embeddings) -> None:  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus"
    rag = [sys.executable, "-m", "rag.cli", "-v", "index", str(corpus)]
    env = _env()
    env["RAG_STORE_DIR"] = str(tmp_path / "store")
    _write_corpus(corpus, 1)
    subprocess.run(rag, cwd=tmp_path, env=env, check=True, capture_output=True, timeout=600)
    _write_corpus(corpus, 2)
    _run_until(rag, KILL_POINTS[point], env)

    store = PassageStore(tmp_path / "store", embeddings)
    assert not store.is_complete()
    r = subprocess.run(rag, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    env["RAG_STORE_DIR"] = str(tmp_path / "clean")
    subprocess.run(rag, cwd=tmp_path, env=env, check=True, capture_output=True, timeout=600)
    store = PassageStore(tmp_path / "store", embeddings)
    assert store.is_complete()
    assert _snapshot(store) == _snapshot(PassageStore(tmp_path / "clean", embeddings))
