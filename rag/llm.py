"""The one module that talks to llama.cpp: a LangChain chat model over
`llama_cpp.Llama`.

Why our own wrapper: the community `ChatLlamaCpp` is in the sunset
`langchain-community` package. This one is small, streams, honours a
wall-clock timeout, and reports token counts. llama-cpp-python reuses the
longest common token prefix with the previous call, so a fixed system prompt
is read once and then costs nothing.

Example:
    >>> chat = load_chat_model(Settings(model="qwen2.5-0.5b"))          # doctest: +SKIP
    >>> chat.invoke([("system", "Be brief."), ("human", "Hi")]).content  # doctest: +SKIP
    'Hello!'
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import LangSmithParams
from langchain_core.messages import BaseMessage
from langchain_core.outputs import ChatGenerationChunk
from pydantic import ConfigDict, Field, PrivateAttr

from rag.chat_base import MISSING_LOGPROB, Piece, ScoringChatModel, TokenStream
from rag.errors import ModelError
from rag.models import model_label, resolve_model_path
from rag.prefix_state import read_state, write_state
from rag.settings import Settings

# Prompt tokens read between two looks at the clock, so that `timeout` holds while a
# long prompt is read, not only between generated tokens. Measured with the 0.5B on 2
# cores, a 2,800-token prompt: 150-163 tokens/s in chunks of 64, 128 or 512 alike; one
# chunk of 128 is ~0.8 s, the most a call overruns its timeout.
READ_CHUNK = 128


class ChatLlamaCpp(ScoringChatModel):
    """A LangChain chat model backed by an in-process llama.cpp model."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    client: Any = Field(exclude=True, description="The llama_cpp.Llama instance.")
    model_name: str = "gguf"
    temperature: float = 0.0
    max_tokens: int = 160  # invoke/stream only (the baseline chain); the reader passes its own
    timeout: float = 120.0
    stop: list[str] | None = None

    _formatter: Any = PrivateAttr(default=None)

    @property
    def _lock(self) -> threading.Lock:
        """One caller at a time: llama.cpp's context is not thread-safe. The lock
        belongs to the llama.cpp model, so every wrapper of it shares it."""
        return model_lock(self.client)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "llama-cpp"
        params["ls_model_name"] = kwargs.get("model", self.model_name)
        params["ls_model_type"] = "chat"
        params["ls_temperature"] = kwargs.get("temperature", self.temperature)
        params["ls_max_tokens"] = kwargs.get("max_tokens", self.max_tokens)
        if stop or self.stop:
            params["ls_stop"] = stop or self.stop
        return params

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "temperature": self.temperature}

    def save_prefix(self, path: Path) -> None:
        """Persist what llama.cpp has read so far (its KV state), atomically; see
        `rag.prefix_state` (plain bytes and a JSON header, never a pickle)."""
        with self._lock:
            write_state(path, self.client.save_state(), self._state_meta())

    def load_prefix(self, path: Path) -> bool:
        """Restore a state saved by `save_prefix`; False when there is none or it is unusable."""
        from llama_cpp.llama import LlamaState

        state = read_state(path, LlamaState, self._state_meta())
        try:
            if state is None:
                raise ValueError("no usable state")
            with self._lock:
                self.client.load_state(state)
        except (RuntimeError, ValueError):
            path.unlink(missing_ok=True)
            return False
        return True

    def _state_meta(self) -> dict[str, Any]:
        return {"model": self.model_name, "n_ctx": int(self.client.n_ctx())}

    # --- token probabilities (the decline decision reads them) ---------------
    # llama-cpp-python returns logprobs only with logits_all=True (a scores buffer
    # of n_ctx x 150k floats and slower prompt reading), and its custom-sampler
    # hook crashes here; so these two methods run their own greedy loop over
    # `Llama.eval` and read the last position's logits, which every decode keeps.

    def _prompt_tokens(self, messages: list[BaseMessage]) -> list[int]:
        if self._formatter is None:
            from llama_cpp import llama_chat_format

            llm = self.client
            template = llm.metadata.get("tokenizer.chat_template")
            eos = llm._model.token_eos()
            eos_text = llm._model.token_get_text(eos) if eos != -1 else ""
            self._formatter = (
                llama_chat_format.Jinja2ChatFormatter(template, eos_text, "") if template
                else _chatml
            )
        rendered = self._formatter(messages=self._messages(messages))
        prompt = rendered if isinstance(rendered, str) else rendered.prompt
        return list(self.client.tokenize(prompt.encode("utf-8"), add_bos=False, special=True))

    def _read(self, tokens: Sequence[int], started: float | None = None) -> Any:
        """Evaluate `tokens` (reusing the cached common prefix); the last position's logits.

        Read `READ_CHUNK` tokens at a time; past `timeout` seconds after `started`
        it stops between two chunks with a `ModelError` (what was read stays cached
        and valid: the next call reuses it, going on along the same chunk grid, so
        its logits equal an uninterrupted read's).

        Reuse is exact in tokens, not bit-exact in logits against a clean read:
        llama.cpp's logits depend on how the prompt was split into batches (on a
        2-core CPU a shifted chunk grid, or a shared prefix left by another
        prompt, moved log-probabilities by up to ~0.06, same argmax; see
        tests/test_llm_timeout_real.py).
        """
        llm = self.client
        tokens = list(tokens)
        if len(tokens) >= llm.n_ctx():
            raise ModelError(
                f"The prompt ({len(tokens)} tokens) does not fit the context window "
                f"({llm.n_ctx()}): lower top_k or raise context_size."
            )
        same = 0
        for a, b in zip(llm.input_ids[: llm.n_tokens], tokens, strict=False):
            if a != b:
                break
            same += 1
        same = min(same, len(tokens) - 1)  # re-read one token: its logits are needed
        llm.n_tokens = same  # eval() drops the cache from here on
        started = time.perf_counter() if started is None else started
        for i in range(same, len(tokens), READ_CHUNK):
            if i > same and time.perf_counter() - started > self.timeout:
                raise ModelError(
                    f"The model did not finish reading the prompt within {self.timeout:g} s "
                    f"(generation_timeout; {i} of {len(tokens)} tokens read): raise "
                    "generation_timeout, lower top_k, or pick a faster model."
                )
            try:
                llm.eval(tokens[i : i + READ_CHUNK])
            except (RuntimeError, ValueError, OSError) as exc:
                raise ModelError(f"The model failed while reading the prompt: {exc}") from exc
        return self._last_logits()

    def _last_logits(self) -> Any:
        import numpy as np

        llm = self.client
        return np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),))

    def choice_logprobs(
        self, messages: list[BaseMessage], options: Sequence[str]
    ) -> dict[str, float]:
        """Log-probability that the reply's first token is each option's first token.

        One forward step after the prompt: e.g. ``["Yes", "No"]`` for a yes/no
        judgement. Options whose first token is not in the vocabulary get -30.
        """
        with self._lock:
            started = time.perf_counter()
            logits = _log_softmax(self._read(self._prompt_tokens(messages), started))
            out = {}
            for option in options:
                ids = self.client.tokenize(option.encode("utf-8"), add_bos=False, special=False)
                out[option] = float(logits[ids[0]]) if ids else MISSING_LOGPROB
            return out

    def stream_with_logprobs(
        self, messages: list[BaseMessage], max_tokens: int, stop: Sequence[str] = ()
    ) -> TokenStream:
        """Greedy decoding: (text delta, log-probability of the token that made it).

        Honours `timeout` (checked after every token) and stops at a stop string.
        """
        return TokenStream(self._greedy(messages, max_tokens, stop))

    def _greedy(
        self, messages: list[BaseMessage], max_tokens: int, stop: Sequence[str]
    ) -> Generator[Piece, None, int]:
        import llama_cpp

        with self._lock:
            started = time.perf_counter()
            llm = self.client
            vocab = llama_cpp.llama_model_get_vocab(llm._model.model)
            prompt = self._prompt_tokens(messages)
            logits = self._read(prompt, started)
            made: list[int] = []
            shown = ""
            for _ in range(max_tokens):
                logp = _log_softmax(logits)
                token = int(logp.argmax())
                if llama_cpp.llama_vocab_is_eog(vocab, token):
                    break
                made.append(token)
                try:
                    text = llm.detokenize(made).decode("utf-8")
                except UnicodeDecodeError:  # a character split across tokens: wait
                    text = shown
                cut = min((text.find(s) for s in stop if s and s in text), default=-1)
                if cut >= 0:
                    text = text[:cut]
                if len(text) > len(shown):
                    yield Piece(text[len(shown):], float(logp[token]))
                    shown = text
                if cut >= 0 or time.perf_counter() - started > self.timeout:
                    break
                try:
                    llm.eval([token])
                except (RuntimeError, ValueError, OSError) as exc:
                    raise ModelError(f"The model failed while answering: {exc}") from exc
                logits = self._last_logits()
            return len(prompt)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        # llama.cpp serves one request at a time: callers in several threads take turns
        with self._lock:
            yield from self._stream_unlocked(messages, stop, run_manager, **kwargs)

    def _stream_unlocked(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        started = time.perf_counter()
        completion = 0
        # Read the prompt first, in timed chunks: create_chat_completion then finds it
        # cached and reads only what differs (nothing, when both render it alike).
        self._read(self._prompt_tokens(messages), started)
        try:
            stream = self.client.create_chat_completion(
                messages=self._messages(messages),
                temperature=kwargs.get("temperature", self.temperature),
                max_tokens=kwargs.get("max_tokens", self.max_tokens),
                stop=stop or self.stop or None,
                stream=True,
                seed=0,
            )
            for chunk in stream:
                delta = chunk["choices"][0].get("delta", {}).get("content") or ""
                if not delta:
                    continue
                completion += 1
                yield self._text_chunk(delta, run_manager)
                if time.perf_counter() - started > self.timeout:
                    stream.close()
                    yield self._timed_out_chunk()
                    break
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"The model failed while answering: {exc}") from exc
        total = int(getattr(self.client, "n_tokens", 0) or 0)
        yield self._usage_chunk(max(0, total - completion), completion,
                                model_name=self.model_name)


def _log_softmax(logits: Any) -> Any:
    import numpy as np

    x = np.asarray(logits, dtype=np.float64)
    top = x.max()
    return x - (top + math.log(float(np.exp(x - top).sum())))


def _chatml(messages: list[dict[str, str]]) -> str:
    """ChatML, for a GGUF that carries no chat template of its own."""
    turns = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return turns + "<|im_start|>assistant\n"


# A plain Lock, not an RLock: an async stream advances the generator from several
# executor threads, so the thread that releases may not be the one that acquired.
_locks: weakref.WeakKeyDictionary[Any, threading.Lock] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def model_lock(client: Any) -> threading.Lock:
    """The one lock of a llama.cpp model, shared by every chat model wrapping it."""
    with _locks_guard:
        lock = _locks.get(client)
        if lock is None:
            lock = _locks[client] = threading.Lock()
        return lock


def load_chat_model(settings: Settings) -> ChatLlamaCpp:
    """Load the configured GGUF once (raises `ModelError` with a fix on failure)."""
    path = resolve_model_path(settings)
    try:
        from llama_cpp import Llama
    except ImportError as exc:  # pragma: no cover - install problem
        raise ModelError("llama-cpp-python is not installed: run `make setup`.") from exc
    try:
        client = Llama(
            model_path=str(path),
            n_ctx=settings.context_size,
            n_threads=settings.threads,
            n_batch=512,
            seed=0,
            verbose=False,
        )
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelError(
            f"llama.cpp could not load {path}: {exc}. The file may be corrupt or not a "
            "chat model; delete it (it is re-assembled for presets) or pick another model."
        ) from exc
    return ChatLlamaCpp(
        client=client,
        model_name=model_label(settings),
        temperature=settings.temperature,
        timeout=settings.generation_timeout,
    )
