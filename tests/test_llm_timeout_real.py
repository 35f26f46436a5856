"""The generation timeout holds while llama.cpp reads a long prompt (real 0.5B), and
what was read before the stop is reused exactly.

The guarantee, and why it is this one: llama.cpp's logits depend on how the
prompt was split into batches. Measured with the 0.5B on this kind of machine,
372 tokens read in chunks of 128 from an empty cache gave Yes -0.6918 / No
-1.4310; in chunks of 512 the same; with its first 3 tokens read alone first,
-0.7554 / -1.3944; with those 3 tokens left from a 32-token prompt read before,
-0.7174 / -1.3973. So a read is compared with an uninterrupted read *from the
same cache*: the stop falls between two chunks of the same grid, the resumed
read goes on along that grid, and the result must then be the same to 1e-3;
the cache must hold precisely the prompt's first tokens after the stop, and
precisely the prompt after the resumed read (nothing read twice or skipped).
"""

from __future__ import annotations

import time

import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from rag.errors import ModelError
from rag.llm import READ_CHUNK

pytestmark = pytest.mark.slow


def test_reading_a_long_prompt_stops_at_the_timeout_and_leaves_a_valid_cache(pipeline_05b) -> None:  # type: ignore[no-untyped-def]
    chat = pipeline_05b.chat_model
    llm = chat.client
    filler = " ".join(f"Item {i} of the list is the number {i * 7}." for i in range(60))
    prompt = [SystemMessage("Answer with one word."), HumanMessage(f"{filler}\nIs item 3 listed?")]
    other = [HumanMessage("Say hello.")]
    tokens = chat._prompt_tokens(prompt)
    options = ["Yes", "No"]
    saved = chat.timeout
    try:
        chat.timeout = 600.0  # a busy machine reads slowly: only the 0.3 s below is tight
        chat.choice_logprobs(other, options)  # every read below starts from this cache
        started = time.monotonic()
        whole = chat.choice_logprobs(prompt, options)
        full_read = time.monotonic() - started
        chunk = full_read / -(-len(tokens) // READ_CHUNK)  # one chunk's time, here and now
        chat.choice_logprobs(other, options)

        chat.timeout = 0.3
        started = time.monotonic()
        with pytest.raises(ModelError, match="reading the prompt within"):
            chat.choice_logprobs(prompt, options)
        stopped = time.monotonic() - started
        assert stopped < min(full_read, 0.3 + 2 * chunk + 1.0), (stopped, full_read, chunk)
        read = llm.n_tokens  # what was read before the stop is the prompt's beginning
        assert 0 < read < len(tokens) and list(llm.input_ids[:read]) == tokens[:read]

        chat.timeout = 600.0  # the reuse goes on from there: nothing read twice or skipped
        again = chat.choice_logprobs(prompt, options)
        assert llm.n_tokens == len(tokens) and list(llm.input_ids[: llm.n_tokens]) == tokens

        assert again == pytest.approx(whole, abs=1e-3)
    finally:
        chat.timeout = saved
