"""What makes a large corpus cheap: batched embedding across files, and the
retriever (passages + BM25) saved beside the store and reused at start-up
while the store is unchanged. Real embedder, real Chroma."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.store import PassageStore
from index.sync import SplitOptions, sync_folder
from rag.retrieve import HybridRetriever
from tests.conftest import read_exact

pytestmark = pytest.mark.slow


def test_retriever_is_loaded_from_its_cache_until_the_store_changes(
        seed_corpus: Path, tmp_path: Path, embeddings, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    store = PassageStore(tmp_path / "store", embeddings)
    sync_folder(seed_corpus, store, SplitOptions(), progress=False)
    built = HybridRetriever.build(store)
    assert list((tmp_path / "store").glob("retriever-*"))

    def no_scan() -> None:
        raise AssertionError("the store was rescanned")

    monkeypatch.setattr(store, "all_passages", no_scan)
    again = HybridRetriever.build(store)  # from the cache: no scan
    q = "Which base near the border with Iraq is mentioned?"
    assert [p.id for p in again.retrieve(q, 4)] == [p.id for p in built.retrieve(q, 4)]
    for p in again.retrieve(q, 4):
        assert read_exact(seed_corpus / p.source)[p.start : p.end] == p.text
    monkeypatch.undo()

    (seed_corpus / "more.txt").write_text("The Tanf base hosts a garrison of 200 soldiers.\n" * 3,
                                          encoding="utf-8")
    sync_folder(seed_corpus, store, SplitOptions(), progress=False)  # a new generation
    rebuilt = HybridRetriever.build(store)
    assert any(p.source == "more.txt" for p in rebuilt.passages.values())
    assert len(list((tmp_path / "store").glob("retriever-*"))) == 1  # the stale one is gone


def test_retriever_cache_keeps_pages_and_holds_no_pickle(tmp_path: Path) -> None:
    from rag.types import Passage

    passages = [Passage("p1", "a.pdf", 0, 11, "Tide tables", page=3),
                Passage("p2", "b.txt", 0, 12, "Ferry hours.")]
    HybridRetriever(None, passages)._save(tmp_path / "cache")  # type: ignore[arg-type]
    loaded = HybridRetriever._load(None, tmp_path / "cache", 20)  # type: ignore[arg-type]
    assert loaded is not None
    assert loaded.passages == {p.id: p for p in passages}  # page 3 survives a restart
    assert not list((tmp_path / "cache").rglob("*.pickle"))
    assert loaded._lexical("ferry hours")[0][0] == "p2"
