"""The independent scoring of open answers (`evals.open_metrics`)."""

from __future__ import annotations

from evals.open_metrics import (
    Scored,
    fold,
    key_points_hit,
    shown_sentences,
    strict_support,
    summarise,
    supported_sentences,
)

SPAN = "The council added 230 electric bicycles in March, and riders liked them."


def test_points_match_after_folding_case_punctuation_and_number_words() -> None:
    answer = "The Council added two-hundred-thirty bikes; TWENTY new stations [1]."
    assert fold("Twenty new stations") == "20 new stations"
    assert key_points_hit([["20 new stations"], ["council added"], ["night tariff"]], answer) == 2


def test_a_point_matches_whole_words_only() -> None:
    assert key_points_hit([["art"]], "The party started.") == 0


def test_strict_support_wants_every_name_and_number_verbatim() -> None:
    assert strict_support("The council added 230 electric bicycles in March.", [SPAN])
    assert not strict_support("The council added 240 electric bicycles in March.", [SPAN])
    assert not strict_support("The council added 230 electric bicycles in April.", [SPAN])


def test_strict_support_wants_most_content_words() -> None:
    assert not strict_support("The council bought expensive cargo scooters and vans.", [SPAN])


def test_unmarked_sentences_are_unsupported_and_framing_lines_are_not_counted() -> None:
    answer = "2 documents; the 2 most relevant:\n- The council added 230 electric bicycles in March [1].\n- It was great."
    assert [s.markers for s in shown_sentences(answer)] == [(1,), ()]
    assert supported_sentences(answer, [SPAN]) == (1, 2)


def test_a_marker_without_a_citation_is_unsupported() -> None:
    assert supported_sentences("The council added 230 electric bicycles in March [2].", [SPAN]) == (0, 1)


def test_summary_counts_declines_per_kind_of_row() -> None:
    rows = [Scored("a", "topic", "dev", False, False, True, 2, 2, 2, 2, 2, 1.0, 0.2),
            Scored("b", "topic", "dev", False, True, False, 0, 0, 0, 0, 0, 0.5, 0.5),
            Scored("c", "topic", "dev", True, True, False, 0, 0, 0, 0, 0, 0.3, 0.3)]
    s = summarise(rows)
    assert s["key_points"] == 0.5 and s["declined_on_topic"] == 0.5
    assert s["declined_off_topic"] == 1.0 and s["supported"] == 1.0


def test_the_runner_scores_a_fake_pipelines_answer(seed_corpus) -> None:  # type: ignore[no-untyped-def]
    from evals.open_eval import ask
    from evals.open_sets import OpenRow
    from tests.fakes import FakePipeline

    row = OpenRow("x", "clause", "What does Jordan want for the Deraa front?", "seed",
                  (("front quiet",), ("brazil",)), 1)
    scored, detail = ask(FakePipeline(seed_corpus), row)
    assert not scored.refused and scored.citations == scored.exact == 1
    assert scored.points == 1 and scored.covered
    assert detail["answer"] and scored.first_s <= scored.total_s


def test_rag_eval_open_reaches_the_open_runner() -> None:
    import pytest

    from evals.cli import main

    with pytest.raises(SystemExit) as done:
        main(["open", "--help"])
    assert done.value.code == 0
