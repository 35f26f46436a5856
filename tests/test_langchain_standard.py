"""LangChain's standard suites for our chat model (`langchain-tests`, pinned).

As LangChain's partner packages do: a subclass of `ChatModelUnitTests` and of
`ChatModelIntegrationTests` each, run against the real packaged Qwen2.5 0.5B
(one llama.cpp model shared by every test, short answers). Features we do not
claim — tool calling, structured output, JSON mode, images, audio, PDFs —
are declared off through the suites' own properties, so those tests skip
with the suite's reason instead of being hidden.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.unit_tests import ChatModelUnitTests

from rag.llm import ChatLlamaCpp

pytestmark = pytest.mark.slow


@functools.cache
def _shared_client() -> Any:
    """The 0.5B loaded once for both suites (a small context: the answers are short)."""
    from rag.llm import load_chat_model
    from rag.settings import Settings

    settings = Settings(config_file="/nonexistent/rag.yaml", model="qwen2.5-0.5b",
                        context_size=2048, max_answer_tokens=64, full_context_tokens=1000)
    return load_chat_model(settings).client


class _Ours:
    @property
    def chat_model_class(self) -> type[ChatLlamaCpp]:
        return ChatLlamaCpp

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"client": _shared_client(), "model_name": "qwen2.5-0.5b"}

    @property
    def standard_chat_model_params(self) -> dict[str, Any]:
        return {**super().standard_chat_model_params, "max_tokens": 40}  # type: ignore[misc]

    # What we do not claim (each off with the suites' own switch):
    @property
    def has_tool_calling(self) -> bool:
        return False  # no tools: answers come from documents, not from tool calls

    @property
    def has_structured_output(self) -> bool:
        return False  # no JSON schema output

    @property
    def supports_json_mode(self) -> bool:
        return False

    @property
    def supports_image_inputs(self) -> bool:
        return False  # a text-only model

    @property
    def returns_usage_metadata(self) -> bool:
        return True  # input/output/total tokens on the last chunk


class TestChatLlamaCppUnit(_Ours, ChatModelUnitTests):
    @property
    def init_from_env_params(self) -> tuple[dict, dict, dict]:
        return {}, {}, {}  # configured by Settings, not by its own environment variables


class TestChatLlamaCppIntegration(_Ours, ChatModelIntegrationTests):
    pass
