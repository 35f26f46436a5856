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
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult

_ROLES = {"system": "system", "human": "user", "ai": "assistant", "tool": "user"}


def as_role_dicts(messages: list[BaseMessage]) -> list[dict[str, str]]:
    """LangChain messages as OpenAI-style ``{"role", "content"}`` dicts."""
    return [{"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages]


class StreamedChatModel(BaseChatModel):
    """A chat model whose one real method is `_stream` (subclasses define `model_name`)."""

    def _messages(self, messages: list[BaseMessage]) -> list[dict[str, str]]:
        return as_role_dicts(messages)

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
