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

import os
import pickle
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field

from rag.errors import ModelError
from rag.models import model_label, resolve_model_path
from rag.settings import Settings

_ROLES = {"system": "system", "human": "user", "ai": "assistant", "tool": "user"}


class ChatLlamaCpp(BaseChatModel):
    """A LangChain chat model backed by an in-process llama.cpp model."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    client: Any = Field(exclude=True, description="The llama_cpp.Llama instance.")
    model_name: str = "gguf"
    temperature: float = 0.0
    max_tokens: int = 160
    timeout: float = 120.0

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "temperature": self.temperature}

    def save_prefix(self, path: Path) -> None:
        """Persist what llama.cpp has read so far (its KV state), atomically.

        The logits are left out (hundreds of MB for a 150k vocabulary): they are
        recomputed as soon as the next question's tokens are read.
        """
        import numpy as np
        from llama_cpp.llama import LlamaState

        full = self.client.save_state()
        slim = LlamaState(
            input_ids=full.input_ids, scores=np.zeros((1, full.scores.shape[1]), np.single),
            n_tokens=full.n_tokens, llama_state=full.llama_state,
            llama_state_size=full.llama_state_size, seed=full.seed,
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with open(tmp, "wb") as fh:
            pickle.dump(slim, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)

    def load_prefix(self, path: Path) -> bool:
        """Restore a state saved by `save_prefix`; False when there is none or it is unusable."""
        try:
            with open(path, "rb") as fh:
                state = pickle.load(fh)  # our own cache file, written by save_prefix
            self.client.load_state(state)
        except (OSError, pickle.UnpicklingError, EOFError, RuntimeError, ValueError,
                AttributeError):
            path.unlink(missing_ok=True)
            return False
        return True

    def _messages(self, messages: list[BaseMessage]) -> list[dict[str, str]]:
        return [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        started = time.perf_counter()
        completion = 0
        try:
            stream = self.client.create_chat_completion(
                messages=self._messages(messages),
                temperature=kwargs.get("temperature", self.temperature),
                max_tokens=kwargs.get("max_tokens", self.max_tokens),
                stop=stop or None,
                stream=True,
                seed=0,
            )
            for chunk in stream:
                delta = chunk["choices"][0].get("delta", {}).get("content") or ""
                if not delta:
                    continue
                completion += 1
                if run_manager:
                    run_manager.on_llm_new_token(delta)
                yield ChatGenerationChunk(message=AIMessageChunk(content=delta))
                if time.perf_counter() - started > self.timeout:
                    stream.close()
                    yield ChatGenerationChunk(
                        message=AIMessageChunk(content="", response_metadata={"timed_out": True})
                    )
                    break
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"The model failed while answering: {exc}") from exc
        total = int(getattr(self.client, "n_tokens", 0) or 0)
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                usage_metadata={
                    "input_tokens": max(0, total - completion),
                    "output_tokens": completion,
                    "total_tokens": total,
                },
            )
        )

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
        message = AIMessage(content="".join(text), usage_metadata=usage)
        return ChatResult(generations=[ChatGeneration(message=message)])


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
        max_tokens=settings.max_answer_tokens,
        timeout=settings.generation_timeout,
    )
