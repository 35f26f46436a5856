"""Shared fixtures: every test works in tmp_path and never touches ./.rag.

Real-model fixtures are session-scoped so the embedder and the GGUF model
load once per run.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_45462b0256a40011.txt"


@pytest.fixture(autouse=True)
def _no_rag_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's RAG_* variables must not leak into tests."""
    for key in list(os.environ):
        if key.startswith("RAG_"):
            monkeypatch.delenv(key)


@pytest.fixture
def seed_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    return corpus


def read_exact(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()


def assert_citations_exact(answer, corpus: Path) -> None:  # type: ignore[no-untyped-def]
    """The citation invariant: each quote is exactly its span of the stored file."""
    for c in answer.citations:
        assert read_exact(corpus / c.source)[c.start : c.end] == c.quote, c
    for p in answer.passages:
        assert read_exact(corpus / p.source)[p.start : p.end] == p.text, p


@pytest.fixture(scope="session")
def embeddings():  # type: ignore[no-untyped-def]
    from index.embed import packaged_embeddings

    return packaged_embeddings()


def _build(tmp_path_factory: pytest.TempPathFactory, model: str):  # type: ignore[no-untyped-def]
    from rag import Settings
    from rag.pipeline import Pipeline

    base = tmp_path_factory.mktemp(f"pipe-{model}")
    corpus = base / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    settings = Settings(corpus_dir=corpus, store_dir=base / "store", model=model)
    return Pipeline.from_settings(settings, progress=False)


@pytest.fixture(scope="session")
def pipeline_05b(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The real pipeline with the packaged Qwen2.5 0.5B on a copy of the seed."""
    return _build(tmp_path_factory, "qwen2.5-0.5b")


@pytest.fixture(scope="session")
def pipeline_15b(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The real pipeline with the packaged Qwen2.5 1.5B on a copy of the seed."""
    return _build(tmp_path_factory, "qwen2.5-1.5b")
