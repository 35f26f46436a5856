"""Follow-ups through the real pipeline (packaged Qwen2.5 0.5B) on a slice of the
conversation set over the seed article: the rewrite names the referent, and the
follow-ups are answered about as often as the same questions asked standalone."""

from __future__ import annotations

import pytest

from evals.conversations import load, rewriters, score_answers, score_rewrites
from rag import reader

pytestmark = pytest.mark.slow


def test_follow_ups_on_a_slice_with_the_real_model(pipeline_05b) -> None:  # type: ignore[no-untyped-def]
    rows = [r for r in load() if r.corpus == "seed"][:6]
    system = reader.system_for(pipeline_05b.corpus.full_context)
    fns = rewriters(pipeline_05b.chat_model, system)
    rewrites = score_rewrites(rows, {"code": fns["code"], "model": fns["model"]})
    assert rewrites["code"]["all"] >= 5 / 6, rewrites
    assert rewrites["model"]["all"] >= 4 / 6, rewrites
    detail: list[dict] = []
    answers = score_answers(rows, pipeline_05b.answer, detail)["all"]
    assert answers["standalone"] > 0, detail
    assert answers["follow_up"] >= answers["standalone"] - 1 / 6, detail
