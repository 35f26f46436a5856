"""The OpenAI-compatible backend's pure parts, on fake server replies (no server)."""

from __future__ import annotations

import math
from types import SimpleNamespace as NS

from rag.llm_openai import MISSING_LOGPROB, _token_pieces, option_logprobs


def _fake_reply(text: str, tokens: list[tuple[str, float]] | None) -> NS:
    logprobs = NS(content=[NS(token=t, logprob=lp) for t, lp in tokens]) if tokens else None
    return NS(choices=[NS(message=NS(content=text), logprobs=logprobs)])


def test_fake_reply_tokens_are_cut_to_the_text_a_stop_string_left() -> None:
    reply = _fake_reply("Good bye", [("Good", -0.1), (" bye", -0.2), ("!", -0.3)])
    assert list(_token_pieces(reply)) == [("Good", -0.1), (" bye", -0.2)]


def test_fake_reply_without_logprobs_is_the_whole_text_with_nan() -> None:
    [(text, lp)] = list(_token_pieces(_fake_reply("Hello", None)))
    assert text == "Hello" and math.isnan(lp)


def test_options_match_first_token_alternatives_and_missing_ones_get_the_floor() -> None:
    got = option_logprobs({" Yes": -0.2, "No": -1.5, "Y": -3.0}, ["Yes", "No", "Maybe"])
    assert got == {"Yes": -0.2, "No": -1.5, "Maybe": MISSING_LOGPROB}
