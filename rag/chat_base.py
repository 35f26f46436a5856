"""What every chat-model backend shares: message roles and draining a stream.

Each backend (`rag.llm` in process, `rag.llm_openai` on a server) implements
`_stream`; this base turns messages into role dicts and builds the
non-streaming result from the stream, so the two cannot drift apart.

Example:
    >>> from langchain_core.messages import HumanMessage, SystemMessage
    >>> as_role_dicts([SystemMessage("Be brief."), HumanMessage("Hi")])[1]
    {'role': 'user', 'content': 'Hi'}
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

_ROLES = {"system": "system", "human": "user", "ai": "assistant", "tool": "user"}


def as_role_dicts(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """LangChain messages as OpenAI-style ``{"role", "content"}`` dicts."""
    return [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]


class StreamedChatModel(BaseChatModel):
    """A chat model whose one real method is `_stream` (subclasses define `model_name`)."""

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
                            response_metadata={"model_name": getattr(self, "model_name", "")})
        return ChatResult(generations=[ChatGeneration(message=message)])
