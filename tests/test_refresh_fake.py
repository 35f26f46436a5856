"""A running pipeline picks up an index that another process wrote (fake models,
real Chroma store): `rag index` beside `rag serve`, or another client of a server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import rag.corpus
from index.store import PassageStore
from index.sync import SplitOptions, sync_folder
from tests.fakes import HashingFakeEmbeddings, pipeline_with_fakes


def _serving_then_indexed_elsewhere(tmp_path: Path) -> Any:
    """A pipeline serving a.txt; then "another process" indexes b.txt into its store."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The ferry to the island runs twice a day in winter.\n",
                                  encoding="utf-8")
    serving = pipeline_with_fakes(corpus, tmp_path / "store")
    assert [s.source for s in serving.sources()] == ["a.txt"]
    assert not serving.corpus.refresh_if_changed(wait=True)  # looked at most every REFRESH_EVERY s
    (corpus / "b.txt").write_text("The lighthouse keeper retired in 1987 after forty years.\n",
                                  encoding="utf-8")
    other = PassageStore(tmp_path / "store", HashingFakeEmbeddings())  # type: ignore[arg-type]
    sync_folder(corpus, other, SplitOptions(), progress=False)
    return serving


def test_an_index_written_elsewhere_is_picked_up_without_a_restart_fake_models(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serving = _serving_then_indexed_elsewhere(tmp_path)
    monkeypatch.setattr(rag.corpus, "REFRESH_EVERY", 0.0)
    assert serving.corpus.refresh_if_changed(wait=True)
    assert [s.source for s in serving.sources()] == ["a.txt", "b.txt"]
    hits = serving.corpus.retriever.retrieve("When did the lighthouse keeper retire?", 2)
    assert hits[0].source == "b.txt"
    assert not serving.corpus.refresh_if_changed(wait=True)  # unchanged since: nothing to do


def test_close_waits_for_a_background_refresh_fake_models(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    serving = _serving_then_indexed_elsewhere(tmp_path)
    monkeypatch.setattr(rag.corpus, "REFRESH_EVERY", 0.0)
    assert serving.corpus.refresh_if_changed()  # in the background
    serving.close()  # returns once the refresh has ended
    assert [s.source for s in serving.sources()] == ["a.txt", "b.txt"]
