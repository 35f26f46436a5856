"""Faults from outside: a full or read-only store, a corrupt store, a corrupt or
truncated model file, a model that runs past its time. Each gives a clear,
typed error within bounded time; the chat keeps serving; the index recovers.

Running as root makes chmod useless, so a full disk and a read-only database
are simulated where Chroma writes (its collection's upsert) and where the
manifest is synced, with the errors the OS and SQLite really raise.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.errors import StoreError
from index.store import PassageStore
from index.sync import SplitOptions, sync_folder
from rag.errors import ModelError
from tests.conftest import ROOT, SEED
from tests.fakes import HashingFakeEmbeddings


def _corpus(tmp_path: Path) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    (corpus / "b.txt").write_text("The ferry runs every 20 minutes in summer.\n", encoding="utf-8")
    return corpus


def _snapshot(store: PassageStore) -> set[tuple]:
    return {(p.id, p.source, p.start, p.end, p.text) for p in store.all_passages()}


@pytest.mark.parametrize("fault", [
    OSError(errno.ENOSPC, "No space left on device"),
    sqlite3.OperationalError("attempt to write a readonly database"),
])
def test_full_or_read_only_store_is_a_store_error_then_recovers(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: Exception) -> None:
    from chromadb.api.models.Collection import Collection

    corpus = _corpus(tmp_path)
    store = PassageStore(tmp_path / "store", HashingFakeEmbeddings())  # type: ignore[arg-type]
    real_upsert = Collection.upsert
    calls = {"n": 0}

    def failing_upsert(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] > 1:  # the first file is stored, then the disk is full
            raise fault
        return real_upsert(self, *args, **kwargs)

    monkeypatch.setattr(Collection, "upsert", failing_upsert)
    with pytest.raises(StoreError, match="Cannot write the index") as info:
        sync_folder(corpus, store, SplitOptions(), progress=False)
    assert str(tmp_path / "store") in str(info.value)
    assert not store.is_complete()
    monkeypatch.setattr(Collection, "upsert", real_upsert)  # space freed
    sync_folder(corpus, store, SplitOptions(), progress=False)
    clean = PassageStore(tmp_path / "clean", HashingFakeEmbeddings())  # type: ignore[arg-type]
    sync_folder(corpus, clean, SplitOptions(), progress=False)
    assert store.is_complete() and _snapshot(store) == _snapshot(clean)


def test_full_disk_while_writing_the_manifest(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import index.store

    store = PassageStore(tmp_path / "store", HashingFakeEmbeddings())  # type: ignore[arg-type]

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(index.store.os, "fsync", no_space)
    with pytest.raises(StoreError, match="No space left"):
        sync_folder(_corpus(tmp_path), store, SplitOptions(), progress=False)


def test_store_on_a_read_only_filesystem(tmp_path: Path) -> None:
    # /proc is read-only even for root: a real read-only place, no simulation
    with pytest.raises(StoreError, match="Cannot open the index"):
        PassageStore(Path("/proc/rag-cited-store"), HashingFakeEmbeddings())  # type: ignore[arg-type]


def test_corrupt_store_folder_is_a_store_error_saying_what_to_do(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    store = PassageStore(store_dir, HashingFakeEmbeddings())  # type: ignore[arg-type]
    sync_folder(_corpus(tmp_path), store, SplitOptions(), progress=False)
    del store
    db = store_dir / "chroma.sqlite3"
    db.write_bytes(b"this is not a database" * 1000)
    with pytest.raises(StoreError, match="rag index --reset"):
        s = PassageStore(store_dir, HashingFakeEmbeddings(), collection="other")  # type: ignore[arg-type]
        s.count()


def _bad_gguf(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.gguf"
    if kind == "garbage":
        path.write_bytes(b"GGUF" + os.urandom(4096))
    elif kind == "truncated":
        real = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / \
            "rag-cited" / "models" / "qwen2.5-0.5b.gguf"
        if not real.exists():
            pytest.skip("the packaged 0.5B is not assembled (make setup)")
        with open(real, "rb") as fh:
            path.write_bytes(fh.read(2_000_000))
    else:
        path.write_bytes(b"PK\x03\x04 not a model")
    return path


@pytest.mark.parametrize("kind", ["garbage", "truncated", "other-format"])
def test_corrupt_or_truncated_gguf_is_a_model_error(tmp_path: Path, kind: str) -> None:
    from rag.llm import load_chat_model
    from rag.settings import Settings

    path = _bad_gguf(tmp_path, kind)
    started = time.monotonic()
    with pytest.raises(ModelError, match="corrupt"):
        load_chat_model(Settings(config_file=tmp_path / "absent.yaml", model=str(path)))
    assert time.monotonic() - started < 60


def test_web_chat_shows_a_broken_model_and_keeps_serving(tmp_path: Path) -> None:
    from tests.fakes import pipeline_with_fakes
    from ui.handlers import ChatHandlers

    corpus = _corpus(tmp_path)
    pipeline = pipeline_with_fakes(corpus, tmp_path / "store")
    pipeline.settings = pipeline.settings.model_copy(
        update={"model": str(_bad_gguf(tmp_path, "garbage"))})
    pipeline._chat_model = None  # the real loader runs on first use, and fails
    chat = ChatHandlers(pipeline)
    for question in ("Where have the envoys met?", "How often does the ferry run?"):
        *_, last = chat.answer(question, [{"role": "user", "content": question},
                                          {"role": "assistant", "content": ""}], {})
        messages = last[0]
        assert "could not load" in str(messages[-1]["content"]), messages[-1]
    assert "ferry" in (chat.document_text("b.txt") or "")  # the rest of the page still works


class _SlowClient:
    """A llama.cpp stand-in: reads a prompt `read_pause` seconds per call of `eval`,
    then streams one token every `pause` seconds, forever."""

    def __init__(self, pause: float, read_pause: float = 0.0) -> None:
        self.pause, self.read_pause = pause, read_pause
        self.n_tokens, self.input_ids, self.evals = 0, [], 0

    def n_ctx(self) -> int:
        return 100_000

    def tokenize(self, text: bytes, **kwargs) -> list[int]:  # type: ignore[no-untyped-def]
        return [0]

    def eval(self, tokens):  # type: ignore[no-untyped-def]
        time.sleep(self.read_pause)
        self.evals += 1
        self.input_ids = self.input_ids[: self.n_tokens] + list(tokens)
        self.n_tokens = len(self.input_ids)

    def create_chat_completion(self, **kwargs):  # type: ignore[no-untyped-def]
        while True:
            time.sleep(self.pause)
            self.n_tokens += 1
            yield {"choices": [{"delta": {"content": "word "}}]}


def _fake_tokens_chat(client: _SlowClient, prompt_tokens: int, timeout: float):  # type: ignore[no-untyped-def]
    from rag.llm import ChatLlamaCpp

    class FakeTokensChat(ChatLlamaCpp):  # no tokenizer or logits in the stand-in
        def _prompt_tokens(self, messages):  # type: ignore[no-untyped-def]
            return list(range(prompt_tokens))

        def _last_logits(self):  # type: ignore[no-untyped-def]
            return [0.0, 0.0]

    return FakeTokensChat(client=client, timeout=timeout, max_tokens=10_000)


def test_a_model_that_runs_on_is_stopped_at_its_timeout() -> None:
    chat = _fake_tokens_chat(_SlowClient(0.05), prompt_tokens=10, timeout=0.5)
    started = time.monotonic()
    chunks = list(chat.stream([("human", "Talk forever.")]))
    assert time.monotonic() - started < 2.0
    assert any(c.response_metadata.get("timed_out") for c in chunks)


@pytest.mark.parametrize("call", ["stream", "choice_logprobs"])
def test_the_timeout_holds_while_a_long_prompt_is_read_fake_model(call: str) -> None:
    from rag.llm import READ_CHUNK

    client = _SlowClient(0.05, read_pause=0.2)  # 0.2 s a chunk: 40 chunks would take 8 s
    chat = _fake_tokens_chat(client, prompt_tokens=40 * READ_CHUNK, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(ModelError, match="reading the prompt within 0.5 s"):
        if call == "stream":
            list(chat.stream([("human", "A long question.")]))
        else:
            chat.choice_logprobs([("human", "A long question.")], ["Yes", "No"])
    assert time.monotonic() - started < 0.5 + 0.2 + 0.5  # at most one chunk past it
    assert 2 <= client.evals <= 4
    # what was read stays cached: the same prompt goes on from there, it is not re-read
    read, before = client.n_tokens, client.evals
    chat.timeout = 60.0
    client.read_pause = 0.0
    chat.choice_logprobs([("human", "A long question.")], ["Yes", "No"])
    assert client.evals - before == -(-(40 * READ_CHUNK - read) // READ_CHUNK)
    assert client.n_tokens == 40 * READ_CHUNK


@pytest.mark.slow
def test_cli_says_the_store_is_corrupt_without_a_traceback(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    store_dir.mkdir()
    (store_dir / "chroma.sqlite3").write_bytes(b"this is not a database" * 1000)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(HF_HUB_OFFLINE="1", RAG_STORE_DIR=str(store_dir), PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-m", "rag.cli", "index", str(_corpus(tmp_path))],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 1 and "Cannot open the index" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


class _CountingClient(_SlowClient):
    """A llama.cpp stand-in that records how many generations run at once."""

    def __init__(self) -> None:
        super().__init__(pause=0.0)
        self.active = self.most = 0

    def create_chat_completion(self, **kwargs):  # type: ignore[no-untyped-def]
        self.active += 1
        self.most = max(self.most, self.active)
        try:
            for _ in range(5):
                time.sleep(0.01)
                yield {"choices": [{"delta": {"content": "x"}}]}
        finally:
            self.active -= 1


def test_chat_models_sharing_a_llama_take_turns_across_threads() -> None:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from rag.llm import ChatLlamaCpp

    client = _CountingClient()
    models = [_fake_tokens_chat(client, 8, 120.0) for _ in range(3)]  # one model, 3 wrappers
    with ThreadPoolExecutor(6) as pool:
        texts = list(pool.map(lambda i: models[i % 3].invoke("hi").content, range(12)))
    assert texts == ["xxxxx"] * 12 and client.most == 1

    async def both() -> list:  # async streams advance from executor threads
        async def one(m: ChatLlamaCpp) -> str:
            return "".join([str(c.content) async for c in m.astream("hi")])
        return await asyncio.gather(*(one(m) for m in models))

    assert asyncio.run(both()) == ["xxxxx"] * 3 and client.most == 1
