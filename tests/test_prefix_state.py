"""The cached prompt prefix: plain bytes and a JSON header, never a pickle."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest

from rag.prefix_state import MAGIC, read_state, write_state

META = {"model": "qwen2.5-0.5b", "n_ctx": 16}


class State:
    """The shape of `llama_cpp.llama.LlamaState` (keyword constructor, same fields)."""

    def __init__(self, input_ids, scores, n_tokens, llama_state, llama_state_size, seed):  # type: ignore[no-untyped-def]
        self.input_ids, self.scores, self.n_tokens = input_ids, scores, n_tokens
        self.llama_state, self.llama_state_size, self.seed = llama_state, llama_state_size, seed


def _state() -> State:
    ids = np.arange(16, dtype=np.intc)
    return State(ids, np.ones((16, 7), np.single), 5, bytes(range(200)), 200, 3)


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "x.state"
    write_state(path, _state(), META)
    got = read_state(path, State, META)
    assert got is not None
    assert got.input_ids.tolist() == list(range(16)) and got.n_tokens == 5 and got.seed == 3
    assert got.llama_state == bytes(range(200)) and got.scores.shape == (1, 7)
    assert path.read_bytes().startswith(MAGIC)


class _Exploit:
    def __reduce__(self):  # type: ignore[no-untyped-def]
        import os

        return (os.mkdir, (str(_Exploit.marker),))

    marker = Path()


def test_a_pickle_in_the_cache_is_never_unpickled(tmp_path: Path) -> None:
    _Exploit.marker = tmp_path / "pwned"
    path = tmp_path / "x.state"
    path.write_bytes(pickle.dumps(_Exploit()))
    assert read_state(path, State, META) is None
    assert not _Exploit.marker.exists()


@pytest.mark.parametrize("damage", ["truncate", "flip", "header", "model", "empty"])
def test_damaged_or_foreign_state_is_refused(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "x.state"
    write_state(path, _state(), META)
    data = bytearray(path.read_bytes())
    expect = dict(META)
    if damage == "truncate":
        data = data[:-50]
    elif damage == "flip":
        data[-10] ^= 0xFF
    elif damage == "header":
        data[len(MAGIC) + 10] = ord("{")
    elif damage == "model":
        expect["model"] = "qwen2.5-1.5b"
    elif damage == "empty":
        data = bytearray()
    path.write_bytes(bytes(data))
    assert read_state(path, State, expect) is None


@pytest.mark.slow
def test_real_model_restores_its_saved_prefix(tmp_path: Path) -> None:
    from rag.llm import load_chat_model
    from rag.settings import Settings

    s = Settings(config_file=tmp_path / "absent.yaml", model="qwen2.5-0.5b",
                 context_size=1024, max_answer_tokens=16, full_context_tokens=400)
    chat = load_chat_model(s)
    messages = [("system", "The secret word is heron. Answer in one word."),
                ("human", "What is the secret word?")]
    first = chat.invoke(messages, max_tokens=4).content
    path = tmp_path / "prefix" / "p.state"
    chat.save_prefix(path)
    assert path.read_bytes().startswith(MAGIC)
    chat.client.reset()
    assert chat.load_prefix(path)
    assert chat.client.n_tokens > 0
    assert chat.invoke(messages, max_tokens=4).content == first
    path.write_bytes(path.read_bytes()[:1000])  # truncated: refused and removed
    assert not chat.load_prefix(path) and not path.exists()
