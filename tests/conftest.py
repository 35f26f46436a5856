"""Shared fixtures: every test works in tmp_path and never touches ./.rag.

Real-model fixtures are session-scoped so the embedder and the GGUF model
load once per run.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

# Generated inputs: bounded and reproducible in CI ("ci"); `make fuzz` uses "fuzz".
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.register_profile("fuzz", max_examples=1500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
FUZZ_FACTOR = 10 if os.environ.get("HYPOTHESIS_PROFILE") == "fuzz" else 1


def examples(n: int) -> int:
    """`n` generated examples in CI, ten times as many under `make fuzz`."""
    return n * FUZZ_FACTOR


ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_45462b0256a40011.txt"


@pytest.fixture(autouse=True)
def _no_rag_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's RAG_* variables must not leak into tests."""
    for key in list(os.environ):
        if key.startswith("RAG_"):
            monkeypatch.delenv(key)


class OutsideNetworkError(AssertionError):
    """A test tried to reach a host other than this machine."""


def _is_loopback(address: object) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if not isinstance(host, str):
        return True  # AF_UNIX paths and the like stay on this machine
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a host name: resolving it would already leave the machine


@pytest.fixture(autouse=True)
def _no_outside_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs with non-loopback sockets blocked: an outside request fails loudly."""
    real_connect, real_connect_ex, real_sendto = (
        socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto)

    def guard(sock: socket.socket, address: object) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise OutsideNetworkError(f"a test tried to reach {address!r}: no outside requests")

    def connect(sock: socket.socket, address: object) -> None:
        guard(sock, address)
        return real_connect(sock, address)  # type: ignore[arg-type]

    def connect_ex(sock: socket.socket, address: object) -> int:
        guard(sock, address)
        return real_connect_ex(sock, address)  # type: ignore[arg-type]

    def sendto(sock: socket.socket, data: bytes, *args: object) -> int:
        guard(sock, args[-1])
        return real_sendto(sock, data, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket.socket, "sendto", sendto)


@pytest.fixture
def seed_corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    return corpus


def read_exact(path: Path) -> str:
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()


def assert_citations_exact(answer, where) -> None:  # type: ignore[no-untyped-def]
    """The citation invariant: ``document_text(c.source)[c.start:c.end] == c.quote``.

    `where` is a pipeline (its `document_text`, the text kept beside the index)
    or a corpus folder (each file extracted afresh: extraction is deterministic,
    and for .txt/.md it is the file exactly as stored).
    """
    if isinstance(where, Path):
        from index.extract import extract_file

        def document_text(source: str) -> str:
            return extract_file(where / source).text
    else:
        document_text = where.document_text
    for c in answer.citations:
        assert document_text(c.source)[c.start : c.end] == c.quote, c
    for p in answer.passages:
        assert document_text(p.source)[p.start : p.end] == p.text, p


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
