"""The generation timeout holds while llama.cpp reads a long prompt (real 0.5B)."""

from __future__ import annotations

import time

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from rag.errors import ModelError

pytestmark = pytest.mark.slow


def test_reading_a_long_prompt_stops_at_the_timeout_and_leaves_a_valid_cache(pipeline_05b) -> None:  # type: ignore[no-untyped-def]
    chat = pipeline_05b.chat_model
    filler = " ".join(f"Item {i} of the list is the number {i * 7}." for i in range(180))
    prompt = [SystemMessage("Answer with one word."), HumanMessage(f"{filler}\nIs item 3 listed?")]
    other = [HumanMessage("Say hello.")]
    saved = chat.timeout
    try:
        chat.timeout = 120.0
        started = time.monotonic()
        whole = chat.choice_logprobs(prompt, ["Yes", "No"])
        full_read = time.monotonic() - started
        chat.choice_logprobs(other, ["Yes", "No"])  # the cache now holds another prompt

        chat.timeout = 0.3
        started = time.monotonic()
        with pytest.raises(ModelError, match="reading the prompt within"):
            chat.choice_logprobs(prompt, ["Yes", "No"])
        stopped = time.monotonic() - started
        assert stopped < min(full_read, 0.3 + 3.0), (stopped, full_read)

        chat.timeout = 120.0  # what was read before the stop is reused, and is right
        again = chat.choice_logprobs(prompt, ["Yes", "No"])
        assert again == pytest.approx(whole, abs=1e-3)
    finally:
        chat.timeout = saved
