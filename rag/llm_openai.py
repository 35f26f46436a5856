"""The one module that talks to an OpenAI-compatible model server (llama.cpp's
``python -m llama_cpp.server``, vLLM, Ollama's ``/v1``): a LangChain chat model
implementing `rag.chat_base.ScoringChatModel` like the in-process `rag.llm.ChatLlamaCpp`.

Chosen when `llm_url` is set (see `rag.backends`). Streaming, token counts
(when the server reports them) and a wall-clock timeout as in process; a dead
or slow server is a `ModelError` naming the URL, within `timeout` seconds
(connecting gets at most 5 s of it). The server keeps its own prompt cache, so
`save_prefix` / `load_prefix` do nothing here.

Log-probabilities: `choice_logprobs` and `stream_with_logprobs` ask for them
(``logprobs=True``); a server that returns none gives NaN for each token and
-30.0 for each option, and the decline decision then rests on its other
signals (see the README, "Scaling out").

Example:
    >>> chat = connect_chat_model(Settings(llm_url="http://127.0.0.1:8080/v1"))  # doctest: +SKIP
    >>> chat.invoke([("human", "Hi")]).content                                  # doctest: +SKIP
    'Hello!'
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Generator, Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk
from pydantic import ConfigDict, Field

from rag.chat_base import MISSING_LOGPROB, Piece, ScoringChatModel, TokenStream
from rag.errors import ModelError
from rag.settings import Settings

log = logging.getLogger(__name__)

TOP_LOGPROBS = 20
CONNECT_TIMEOUT = 5.0


class ChatOpenAICompatible(ScoringChatModel):
    """A LangChain chat model served by an OpenAI-compatible server at `base_url`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    client: Any = Field(exclude=True, description="The openai.OpenAI client.")
    base_url: str
    model_name: str
    temperature: float = 0.0
    max_tokens: int = 160  # invoke/stream only (the baseline chain); the reader passes its own
    timeout: float = 120.0
    streams_logprobs: bool | None = None  # learnt on the first stream_with_logprobs

    @property
    def _llm_type(self) -> str:
        return "openai-compatible"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "base_url": self.base_url}

    # The server keeps its own prompt cache: `save_prefix` / `load_prefix` are the
    # base class's do-nothing defaults.

    # --- calls -------------------------------------------------------------
    def _create(self, messages: list[BaseMessage], **params: Any) -> Any:
        import openai

        try:
            return self.client.chat.completions.create(
                model=self.model_name, messages=self._messages(messages), seed=0, **params
            )
        except openai.APITimeoutError as exc:
            raise ModelError(f"The model server at {self.base_url} did not answer within "
                             f"{self.timeout:.0f} s.") from exc
        except openai.APIConnectionError as exc:
            raise ModelError(f"Cannot reach the model server at {self.base_url} ({exc}). "
                             "Start it, or check llm_url.") from exc
        except openai.APIStatusError as exc:
            raise ModelError(f"The model server at {self.base_url} refused the request "
                             f"({exc.status_code}): {exc.message}") from exc

    def _chunks(self, stream: Any, started: float) -> Iterator[Any]:
        """The stream's chunks; a `ModelError` naming the URL when it breaks or runs late."""
        import openai

        try:
            for chunk in stream:
                yield chunk
                if time.perf_counter() - started > self.timeout:
                    stream.close()
                    raise ModelError(f"The model server at {self.base_url} took longer than "
                                     f"{self.timeout:.0f} s.")
        except openai.APITimeoutError as exc:
            raise ModelError(f"The model server at {self.base_url} stopped answering for "
                             f"{self.timeout:.0f} s.") from exc
        except (openai.APIError, openai.APIConnectionError) as exc:
            raise ModelError(f"The model server at {self.base_url} failed while "
                             f"answering: {exc}") from exc

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        started = time.perf_counter()
        stream = self._create(
            messages, stream=True, stop=stop or None,
            temperature=kwargs.get("temperature", self.temperature),
            max_tokens=kwargs.get("max_tokens", self.max_tokens),
            stream_options={"include_usage": True},
        )
        completion, usage = 0, None
        timed_out = False
        try:
            for chunk in self._chunks(stream, started):
                usage = getattr(chunk, "usage", None) or usage
                if not chunk.choices:
                    continue
                delta = chunk.choices[0].delta.content or ""
                if not delta:
                    continue
                completion += 1
                yield self._text_chunk(delta, run_manager)
        except ModelError:
            if not completion:
                raise
            timed_out = True  # as in process: keep what was written, say it was cut
        if timed_out:
            yield self._timed_out_chunk()
        yield self._usage_chunk(int(getattr(usage, "prompt_tokens", 0) or 0),
                                int(getattr(usage, "completion_tokens", 0) or completion))

    # --- token probabilities (the `ScoringChatModel` contract) ------------------
    def choice_logprobs(self, messages: list[BaseMessage], options: Sequence[str]) -> dict[str, float]:
        """Log-probability that the reply's first token is the first token of each option
        (e.g. ["Yes", "No"]), from one forward step. Missing options get -30.0."""
        reply = self._create(messages, max_tokens=1, temperature=0.0, logprobs=True,
                             top_logprobs=TOP_LOGPROBS)
        return option_logprobs(_first_token_alternatives(reply), options)

    def stream_with_logprobs(self, messages: list[BaseMessage], max_tokens: int,
                             stop: Sequence[str] = ()) -> TokenStream:
        """Greedy (temperature 0) decoding: (text delta, log-probability of that token).

        Honours self.timeout (what was written before it is kept; nothing written
        is a ModelError); raises ModelError on failure. Streams when the
        server streams logprobs (vLLM); a server that sends them only without
        streaming (llama.cpp's Python server) is asked once without streaming
        from then on, and its tokens are yielded one by one; a server that never
        returns logprobs gives the whole text with NaN. `prompt_tokens` is what
        the server reports (0 when it does not).
        """
        return TokenStream(self._greedy(messages, max_tokens, stop))

    def _greedy(self, messages: list[BaseMessage], max_tokens: int,
                stop: Sequence[str]) -> Generator[Piece, None, int]:
        # top_logprobs too: llama.cpp's server returns logprobs only when it is set
        params = {"temperature": 0.0, "max_tokens": max_tokens, "stop": list(stop) or None,
                  "logprobs": True, "top_logprobs": 1}
        if self.streams_logprobs is not False:
            started = time.perf_counter()
            stream = self._create(messages, stream=True,
                                  stream_options={"include_usage": True}, **params)
            usage, written = None, False
            try:
                for chunk in self._chunks(stream, started):
                    usage = getattr(chunk, "usage", None) or usage
                    if not chunk.choices or not (chunk.choices[0].delta.content or ""):
                        continue
                    choice = chunk.choices[0]
                    content = getattr(getattr(choice, "logprobs", None), "content", None) or []
                    if not content and self.streams_logprobs is None:
                        stream.close()  # learn once: this server streams no logprobs
                        self.streams_logprobs = False
                        break
                    self.streams_logprobs = True
                    written = True
                    yield Piece(choice.delta.content, sum(float(t.logprob) for t in content))
            except ModelError:
                if not written:
                    raise  # as in process: a reply cut at the timeout keeps what it wrote
            if self.streams_logprobs:
                return _prompt_tokens(usage) or self._count_prompt(messages)
        reply = self._create(messages, **params)
        yield from _token_pieces(reply)
        return _prompt_tokens(getattr(reply, "usage", None))


    def _count_prompt(self, messages: list[BaseMessage]) -> int:
        """The prompt's token count from a one-token reply, for a server that streams
        no usage (llama.cpp's Python server ignores ``stream_options``); it has just
        read the prompt, so its cache makes this one forward step. 0 if that fails."""
        try:
            return _prompt_tokens(getattr(self._create(messages, max_tokens=1, temperature=0.0),
                                          "usage", None))
        except ModelError as exc:
            log.warning("could not count the prompt's tokens: %s", exc)
            return 0


def _prompt_tokens(usage: Any) -> int:
    return int(getattr(usage, "prompt_tokens", 0) or 0)


def _token_pieces(reply: Any) -> Iterator[Piece]:
    """(text, logprob) per token of a whole reply, cut to the reply's text (stop strings)."""
    text = reply.choices[0].message.content or "" if reply.choices else ""
    tokens = getattr(getattr(reply.choices[0], "logprobs", None), "content", None) or [] \
        if reply.choices else []
    if not tokens:
        if text:
            yield Piece(text, math.nan)
        return
    shown = 0
    for t in tokens:
        piece = text[shown : shown + len(t.token)]
        if not piece:
            break
        shown += len(piece)
        yield Piece(piece, float(t.logprob))
    if shown < len(text):  # token texts that were not the text's own bytes: keep the rest
        yield Piece(text[shown:], math.nan)


def _first_token_alternatives(reply: Any) -> dict[str, float]:
    """token text → logprob among the first token's top alternatives (may be empty)."""
    try:
        first = reply.choices[0].logprobs.content[0]
    except (AttributeError, IndexError, TypeError):
        return {}
    out = {str(t.token): float(t.logprob) for t in (first.top_logprobs or [])}
    out.setdefault(str(first.token), float(first.logprob))
    return out


def option_logprobs(alternatives: dict[str, float], options: Sequence[str]) -> dict[str, float]:
    """Each option's log-probability: the best first-token alternative it starts with.

    A token matches an option when, stripped of leading space, it is a non-empty
    prefix of the option (case-sensitive, as the tokenizer sees it).

    >>> option_logprobs({"Yes": -0.1, " No": -2.5, "Maybe": -4.0}, ["Yes", "No", "Unsure"])
    {'Yes': -0.1, 'No': -2.5, 'Unsure': -30.0}
    """
    out = {}
    for option in options:
        hits = [lp for tok, lp in alternatives.items()
                if tok.strip() and option.startswith(tok.lstrip())]
        out[option] = max(hits) if hits else MISSING_LOGPROB
    return out


def connect_chat_model(settings: Settings) -> ChatOpenAICompatible:
    """A chat model on the server at `settings.llm_url` (nothing is sent until first use)."""
    try:
        import openai
    except ImportError as exc:  # pragma: no cover - install problem
        raise ModelError("llm_url needs the `openai` package: run `make setup`.") from exc
    client = openai.OpenAI(
        base_url=settings.llm_url,
        api_key=settings.llm_api_key.get_secret_value() or "unused",
        timeout=openai.Timeout(settings.generation_timeout, connect=CONNECT_TIMEOUT),
        max_retries=0,  # a retry would double the wait on a dead server
    )
    return ChatOpenAICompatible(
        client=client,
        base_url=settings.llm_url,
        model_name=settings.llm_model or settings.model,
        temperature=settings.temperature,
        timeout=settings.generation_timeout,
    )
