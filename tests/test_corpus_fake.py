"""The corpus on a real Chroma store with the hashing fake embedder: listing an
interrupted index writes nothing, and the retriever's cache is read by field name."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import rag.retrieve
from index.store import PassageStore
from index.sync import SplitOptions, sync_folder
from rag import backends, cli
from rag.corpus import Corpus
from rag.retrieve import CACHE_PREFIX, HybridRetriever
from rag.settings import Settings
from tests.conftest import ROOT
from tests.fakes import HashingFakeEmbeddings
from tests.test_crash_index import KILL_POINTS, _env, _run_until, _write_corpus


def _files(folder: Path) -> dict[str, str]:
    """Every file of ours under `folder` (manifest, texts, retriever caches) and the
    sha256 of its bytes. Chroma's own database files are left out: merely opening a
    store that a killed process left behind has Chroma rewrite them (its recovery)."""
    segments = {p.parent for p in folder.glob("*/length.bin")}
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != "chroma.sqlite3" and p.parent not in segments}


def _passages(store_dir: Path) -> set[tuple[object, ...]]:
    store = PassageStore(store_dir, HashingFakeEmbeddings())  # type: ignore[arg-type]
    return {(p.id, p.source, p.start, p.end, p.text) for p in store.all_passages()}


def test_listing_an_interrupted_index_writes_nothing_fake_embedder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus, store_dir = tmp_path / "corpus", tmp_path / "store"
    driver = [sys.executable, "-m", "tests.index_driver", str(corpus), str(store_dir)]
    _write_corpus(corpus, 1)
    subprocess.run(driver, cwd=ROOT, env=_env(), check=True, capture_output=True, timeout=300)
    _write_corpus(corpus, 2)
    _run_until(driver + ["0.05"], KILL_POINTS["mid-file"], _env())  # kill -9 mid-file
    before, stored = _files(store_dir), _passages(store_dir)
    assert "index.json" in before  # the manifest, which says the index is incomplete

    # `rag sources` as a user runs it, with the fake in place of the packaged embedder
    for key in [k for k in os.environ if k.startswith("RAG_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("RAG_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("RAG_STORE_DIR", str(store_dir))
    monkeypatch.setattr(backends, "load_embeddings", lambda s: HashingFakeEmbeddings())
    assert cli.main(["sources"]) == 0
    out, err = capsys.readouterr()
    assert "a_1.txt" in out and "incomplete" in err and "rag index" in err
    assert _files(store_dir) == before, "listing wrote to the store"
    assert _passages(store_dir) == stored, "listing indexed"

    # the next answer (or `rag index`, or `rag serve`) finishes it
    s = Settings(config_file=tmp_path / "absent.yaml", corpus_dir=corpus, store_dir=store_dir)
    embeddings = HashingFakeEmbeddings()
    listed = Corpus(s.resolved(), PassageStore(store_dir, embeddings), embeddings)  # type: ignore[arg-type]
    assert not listed.is_complete()
    assert listed.finish_interrupted(progress=False) is not None and listed.is_complete()
    assert "z_big.txt" in {x.source for x in listed.sources()}


def test_retriever_cache_reads_passages_by_field_name_fake_embedder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The ferry to the island runs twice a day in winter.\n\n"
                                  "The lighthouse keeper retired in 1987.\n", encoding="utf-8")
    store = PassageStore(tmp_path / "store", HashingFakeEmbeddings())  # type: ignore[arg-type]
    sync_folder(corpus, store, SplitOptions(passage_chars=60, min_passage_chars=10),
                progress=False)
    built = HybridRetriever.build(store)
    folder = tmp_path / "store" / f"{CACHE_PREFIX}{store.generation()}"
    assert folder.is_dir()

    # Passage with its fields in another order: a cache written before must still load right
    fields = [(f.name, f.type, f) for f in dataclasses.fields(rag.retrieve.Passage)]
    required = [f for f in fields if f[2].default is dataclasses.MISSING][::-1]
    optional = [f for f in fields if f[2].default is not dataclasses.MISSING][::-1]
    reordered = dataclasses.make_dataclass(
        "Passage", [(n, t) for n, t, _ in required] + [(n, t, f) for n, t, f in optional],
        frozen=True)
    monkeypatch.setattr(rag.retrieve, "Passage", reordered)
    loaded = HybridRetriever._load(store, folder, 20)
    assert loaded is not None and sorted(loaded.passages) == sorted(built.passages)
    for pid, p in built.passages.items():
        got = loaded.passages[pid]
        assert (got.id, got.source, got.start, got.end, got.text, got.page) == \
            (p.id, p.source, p.start, p.end, p.text, p.page)


def test_a_cache_in_the_old_positional_layout_is_rebuilt_not_misread_fake_embedder(
        tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The ferry runs twice a day in winter.\n", encoding="utf-8")
    store = PassageStore(tmp_path / "store", HashingFakeEmbeddings())  # type: ignore[arg-type]
    sync_folder(corpus, store, SplitOptions(), progress=False)
    built = HybridRetriever.build(store)
    folder = tmp_path / "store" / f"{CACHE_PREFIX}{store.generation()}"
    (folder / "passages.json").write_text('[["x", "a.txt", 0, 3, "The", null]]',
                                          encoding="utf-8")
    assert HybridRetriever._load(store, folder, 20) is None
    assert sorted(HybridRetriever.build(store).passages) == sorted(built.passages)
