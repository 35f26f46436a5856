"""The chat-model contract the answer path is written against: `ScoringChatModel`.

A `ScoringChatModel` is a LangChain chat model (``invoke``/``stream`` work as
usual; the follow-up rewrite uses them) that can also

* score a closed choice from one forward step (`choice_logprobs`), and
* decode greedily with each token's log-probability (`stream_with_logprobs`),
  reporting how many prompt tokens it read (`TokenStream.prompt_tokens`);

and may keep what it has read on disk (`save_prefix` / `load_prefix`; the
defaults do nothing, for backends that cannot). Three implement it: llama.cpp
in process (`rag.llm`), an OpenAI-compatible server (`rag.llm_openai`) and the
test fake (`tests.fake_chat`); `tests/test_chat_contract.py` checks all three
the same way.

What it leaves out: sampling (the reader decodes greedily; `temperature` applies
to `invoke`/`stream` only) and tool calls.

Example:
    >>> from langchain_core.messages import HumanMessage, SystemMessage
    >>> as_role_dicts([SystemMessage("Be brief."), HumanMessage("Hi")])[1]
    {'role': 'user', 'content': 'Hi'}
    >>> def pieces():
    ...     yield Piece("New", -0.1)
    ...     yield Piece(" York", -0.2)
    ...     return 12  # the prompt tokens read
    >>> stream = TokenStream(pieces())
    >>> [p.text for p in stream], stream.prompt_tokens
    (['New', ' York'], 12)
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

_ROLES = {"system": "system", "human": "user", "ai": "assistant", "tool": "user"}

# What `choice_logprobs` gives an option the model cannot start its reply with
# (not a token of its vocabulary, or not among a server's top alternatives).
MISSING_LOGPROB = -30.0


def as_role_dicts(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """LangChain messages as OpenAI-style ``{"role", "content"}`` dicts."""
    return [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]


class Piece(NamedTuple):
    """One decoded piece of text and the log-probability of the token that made it
    (NaN when the backend cannot tell). Unpacks as ``text, logprob``."""

    text: str
    logprob: float


class TokenStream(Iterator[Piece]):
    """The pieces of one greedy reply as they are decoded.

    Wraps a generator of `Piece`s whose return value is the number of prompt
    tokens the backend read for this reply; `prompt_tokens` holds it once the
    stream is exhausted (0 before, or when the backend cannot tell).
    """

    def __init__(self, pieces: Generator[Piece, None, int]) -> None:
        self._pieces = pieces
        self.prompt_tokens = 0

    def __next__(self) -> Piece:
        try:
            return next(self._pieces)
        except StopIteration as end:
            self.prompt_tokens = int(end.value or 0)
            raise StopIteration from None

    def close(self) -> None:
        """Stop decoding early (releases the backend, e.g. llama.cpp's lock)."""
        self._pieces.close()


class ScoringChatModel(BaseChatModel):
    """A LangChain chat model that can also score choices and decode with logprobs.

    Subclasses define `model_name`, `timeout`, `_stream` (text chunks; `_generate`
    is built from it here), `choice_logprobs` and `stream_with_logprobs`.
    """

    model_name: str = ""
    timeout: float = 120.0  # seconds a call may take before it stops (see each method)

    # --- what the reader calls -------------------------------------------------
    @abstractmethod
    def choice_logprobs(self, messages: list[BaseMessage],
                        options: Sequence[str]) -> dict[str, float]:
        """Log-probability that the reply's first token is each option's first token.

        One forward step after `messages`, e.g. ``["Yes", "No"]``. Every option is a
        key of the result; each value is ≤ 0, `MISSING_LOGPROB` for an option the
        model cannot start with. Raises `rag.errors.ModelError` past `timeout`.
        """

    @abstractmethod
    def stream_with_logprobs(self, messages: list[BaseMessage], max_tokens: int,
                             stop: Sequence[str] = ()) -> TokenStream:
        """Greedy decoding (temperature 0) of at most `max_tokens` tokens.

        Yields `Piece`s whose texts join to the reply, cut before the first `stop`
        string; logprobs are ≤ 0 (or NaN when unknown). Stops quietly after
        `timeout` seconds once something was written; raises `ModelError` when
        the prompt cannot even be read in time. `prompt_tokens` is set at the end.
        """

    # --- the prompt-prefix cache (llama.cpp in process has one) -------------
    def save_prefix(self, path: Path) -> None:
        """Persist what the model has read so far to `path`; by default nothing to save."""

    def load_prefix(self, path: Path) -> bool:
        """Restore a state written by `save_prefix`; False (the default) when there is
        none or it cannot be used, and the caller then has the prefix read anew."""
        return False

    # --- LangChain plumbing shared by every backend --------------------------
    def _messages(self, messages: list[BaseMessage]) -> list[dict[str, str]]:
        return as_role_dicts(messages)

    # The chunks every backend's `_stream` yields: text deltas, then maybe the
    # "timed out" marker, then the token counts last.
    @staticmethod
    def _text_chunk(delta: str, run_manager: CallbackManagerForLLMRun | None) -> ChatGenerationChunk:
        if run_manager:
            run_manager.on_llm_new_token(delta)
        return ChatGenerationChunk(message=AIMessageChunk(content=delta))

    @staticmethod
    def _timed_out_chunk() -> ChatGenerationChunk:
        """Says the answer was cut at `timeout`; what was written before is kept."""
        return ChatGenerationChunk(
            message=AIMessageChunk(content="", response_metadata={"timed_out": True}))

    @staticmethod
    def _usage_chunk(input_tokens: int, output_tokens: int,
                     **metadata: Any) -> ChatGenerationChunk:
        return ChatGenerationChunk(message=AIMessageChunk(
            content="",
            usage_metadata={"input_tokens": input_tokens, "output_tokens": output_tokens,
                            "total_tokens": input_tokens + output_tokens},
            response_metadata=metadata,
        ))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = []
        usage = None
        for chunk in self._stream(messages, stop, run_manager, **kwargs):
            text.append(str(chunk.message.content))
            usage = getattr(chunk.message, "usage_metadata", None) or usage
        message = AIMessage(content="".join(text), usage_metadata=usage,
                            response_metadata={"model_name": self.model_name})
        return ChatResult(generations=[ChatGeneration(message=message)])
