"""The tuning tools against the real `rag.verify` (pure code, no model)."""

from __future__ import annotations

import pytest

from evals.tuning import sweep_verify
from rag import verify
from rag.types import Passage

# A paraphrase, not a verbatim phrase: only `support` (and its constants) can cite it.
SPAN = "The U.S. envoy, Michael Ratney, met them."
CONTEXT = [Passage("p", "a.txt", 0, len(SPAN), SPAN)]
ANSWER, QUESTION = "The U.S. envoy is Michael Ratney.", "Who is the U.S. envoy?"


def test_a_swept_constant_changes_the_outcome_for_that_call_only() -> None:
    before = verify.MIN_NOVEL_COVERAGE
    assert sweep_verify._locate(ANSWER, QUESTION, CONTEXT, [], {}).citation is not None
    # no span can hold more than all of the answer's new words
    tight = sweep_verify._locate(ANSWER, QUESTION, CONTEXT, [], {"MIN_NOVEL_COVERAGE": 1.01})
    assert tight.citation is None
    assert verify.MIN_NOVEL_COVERAGE == before
    assert verify.locate_answer(ANSWER, QUESTION, CONTEXT).citation is not None


def test_the_constants_come_back_when_locating_fails() -> None:
    before = verify.MIN_RELEVANCE
    with pytest.raises(AttributeError):
        sweep_verify._locate(ANSWER, QUESTION, [object()], [], {"MIN_RELEVANCE": 0.9})
    assert verify.MIN_RELEVANCE == before


def test_every_swept_constant_is_one_of_verify() -> None:
    for name, values in sweep_verify.CONSTANTS.items():
        assert isinstance(getattr(verify, name), float), name
        assert getattr(verify, name) in values, f"{name}: the value in force is swept too"
