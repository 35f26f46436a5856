"""One contract, every chat-model backend (`rag.chat_base.ScoringChatModel`).

In the style of minbpe's test over every tokenizer: the same checks run on the
test fake, the OpenAI-compatible backend against a stub server on loopback, and
(marked slow) the packaged Qwen2.5 0.5B in process and behind a real
``python -m llama_cpp.server`` on 127.0.0.1. The prompts are the reader's own.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from langchain_core.messages import BaseMessage

from rag import reader
from rag.chat_base import Piece, ScoringChatModel, TokenStream
from rag.errors import ModelError
from rag.settings import Settings
from rag.types import Passage

Make = Callable[[float], ScoringChatModel]  # a backend with this timeout (seconds)

TEXT = ("Nikola Tesla was born in 1856 in Smiljan. He moved to New York in 1884. "
        "There he worked for Thomas Edison.")
COUNT = ("Count aloud from one to two hundred: one, two, three, four, five, six, seven, "
         "eight, nine, ten, eleven, twelve, thirteen, fourteen, fifteen, sixteen, seventeen, "
         "eighteen, nineteen, twenty and on and on until two hundred.")


def _prompt(question: str, text: str, ask: str) -> list[BaseMessage]:
    spans = reader.focused_sentences(question, [Passage("p", "t.txt", 0, len(text), text)], 900)
    return reader._messages(reader.READER_SYSTEM, reader.numbered(spans), question, ask)


JUDGE = _prompt("When did Tesla move to New York?", TEXT, reader.ASK_JUDGE)
EXTRACT = _prompt("When did Tesla move to New York?", TEXT, reader.ASK_EXTRACT)
LONG = _prompt("Count aloud from one to two hundred", COUNT, reader.ASK_EXTRACT)


# --- the backends -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def fake() -> Make:
    from tests.fakes import FakeEchoChatModel

    return lambda timeout: FakeEchoChatModel(timeout=timeout, token_delay=0.02)


@pytest.fixture(scope="module")
def openai_stub() -> Iterator[Make]:
    from rag.llm_openai import connect_chat_model
    from tests.stub_openai import stub_openai_server

    with stub_openai_server(token_delay=0.02) as url:
        yield lambda timeout: connect_chat_model(
            Settings(llm_url=url, llm_model="stub", generation_timeout=timeout))


@pytest.fixture(scope="module")
def llama_in_process() -> Make:
    from rag.llm import ChatLlamaCpp, load_chat_model

    loaded = load_chat_model(Settings(model="qwen2.5-0.5b", threads=2))
    return lambda timeout: ChatLlamaCpp(client=loaded.client, model_name=loaded.model_name,
                                        timeout=timeout)  # wrappers share the model's lock


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Make]:
    from rag.llm_openai import connect_chat_model
    from rag.models import resolve_model_path
    from tests.servers import llama_server as serve

    model = resolve_model_path(Settings(model="qwen2.5-0.5b"))
    with serve(model, tmp_path_factory.mktemp("llama-server")) as url:
        yield lambda timeout: connect_chat_model(
            Settings(llm_url=url, llm_model="qwen2.5-0.5b", generation_timeout=timeout))


BACKENDS = [
    pytest.param("fake", id="fake"),
    pytest.param("openai_stub", id="openai-stub"),
    pytest.param("llama_in_process", id="llama-in-process", marks=pytest.mark.slow),
    pytest.param("llama_server", id="llama-server", marks=pytest.mark.slow),
]


@pytest.fixture(params=BACKENDS)
def make(request: pytest.FixtureRequest) -> Make:
    made: Make = request.getfixturevalue(request.param)
    return made


def _drain(stream: TokenStream) -> list[Piece]:
    return list(stream)


# --- the contract -------------------------------------------------------------------------

def test_is_a_scoring_chat_model(make: Make) -> None:
    assert isinstance(make(60.0), ScoringChatModel)


def test_choice_logprobs_scores_every_option_once_at_most_zero(make: Make) -> None:
    options = ["Yes", "No"]
    got = make(60.0).choice_logprobs(JUDGE, options)
    assert list(got) == options
    assert all(math.isfinite(v) and v <= 0.0 for v in got.values()), got
    assert sum(math.exp(v) for v in got.values()) <= 1.0 + 1e-6
    digits = [str(i) for i in range(3)]
    assert set(make(60.0).choice_logprobs(JUDGE, digits)) == set(digits)


def test_stream_with_logprobs_yields_pieces_and_counts_the_prompt(make: Make) -> None:
    stream = make(60.0).stream_with_logprobs(EXTRACT, 16, stop=("\n",))
    assert isinstance(stream, TokenStream) and stream.prompt_tokens == 0
    pieces = _drain(stream)
    assert pieces and all(isinstance(p, Piece) and isinstance(p.text, str) for p in pieces)
    assert all(math.isnan(p.logprob) or p.logprob <= 0.0 for p in pieces), pieces
    assert "1884" in "".join(p.text for p in pieces)
    assert "\n" not in "".join(p.text for p in pieces)
    assert stream.prompt_tokens > 0
    longer = make(60.0).stream_with_logprobs(LONG, 1)
    _drain(longer)
    assert longer.prompt_tokens > stream.prompt_tokens  # LONG's text is longer


def test_max_tokens_is_honoured(make: Make) -> None:
    pieces = _drain(make(60.0).stream_with_logprobs(LONG, 3))
    assert 1 <= len(pieces) <= 3, pieces


def test_greedy_stream_agrees_with_invoke(make: Make) -> None:
    model = make(60.0)
    streamed = "".join(p.text for p in model.stream_with_logprobs(EXTRACT, 16))
    invoked = str(model.invoke(EXTRACT, max_tokens=16, temperature=0.0).content)
    assert streamed.strip() == invoked.strip()


def test_a_long_reply_stops_at_the_timeout(make: Make) -> None:
    """Past `timeout` the reply stops: cut short (what was written kept), or a
    `ModelError` when nothing was; not much later than the timeout plus the time
    one token takes (measured first, which also has the prompt read and cached)."""
    started = time.monotonic()
    _drain(make(600.0).stream_with_logprobs(LONG, 1))
    one_token = time.monotonic() - started
    timeout = 0.4
    started = time.monotonic()
    try:
        pieces = _drain(make(timeout).stream_with_logprobs(LONG, 200))
    except ModelError:
        pieces = []
    took = time.monotonic() - started
    assert took < timeout + 2 * one_token + 1.0, (took, one_token)
    assert len(pieces) < 200


def test_the_prefix_cache_hooks_are_safe_to_call(make: Make, tmp_path: Path) -> None:
    model = make(60.0)
    model.choice_logprobs(JUDGE, ["Yes"])
    path = tmp_path / "prefix.state"
    model.save_prefix(path)
    assert model.load_prefix(path) == path.exists()
    assert model.load_prefix(tmp_path / "absent.state") is False
