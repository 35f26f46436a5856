"""The CI floor scheme fails both degenerate pipelines, with clearly named fakes, no model.

A pipeline that never declines and one that always declines are run over the
CI slice (our sets' ``ci`` rows, and the SQuAD ids where ``../shared`` is) and
checked against the committed `evals/floors.json`: both must fail. A pipeline
that answers every answerable question with its gold answer and declines the
others must pass, so the floors are not simply unreachable.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from evals import shared_sets
from evals.floors import KINDS, ci_slice_questions, floors_from, load_floors, violations
from evals.questions import Question
from evals.runner import CallableBuilder, run_eval
from evals.summary import Breakdown, PipelineSummary
from rag.types import Answer
from tests.fakes import AlwaysDeclines, NeverDeclines

ROOT = Path(__file__).resolve().parent.parent


class GoldAnswers:
    """Answers with the gold answer and declines the unanswerable: what a perfect pipeline says."""

    def __init__(self, questions: Sequence[Question]) -> None:
        self.gold = {q.question: q for q in questions}

    def stream_answer(self, question: str, history: object = ()) -> Iterator[str | Answer]:
        q = self.gold[question]
        if q.answerable:
            text = " and ".join(i.split("|")[0] for i in q.must_include) or q.answers[0]
            yield Answer(text)
        else:
            yield Answer("The documents do not say.", refused=True)


@pytest.fixture(scope="module")
def slice_questions(tmp_path_factory: pytest.TempPathFactory) -> list[Question]:
    root = tmp_path_factory.mktemp("root")
    shutil.copytree(ROOT / "seeds", root / "seeds")
    shutil.copytree(ROOT / "evals" / "corpus_injection", root / "evals" / "corpus_injection")
    return ci_slice_questions(root)


def _run(questions: list[Question], make, tmp_path: Path) -> PipelineSummary:  # type: ignore[no-untyped-def]
    builder = CallableBuilder(["ours"], lambda corpus, store: {"ours": make(corpus)})
    return run_eval(questions, builder, tmp_path / "run", progress=False).pipelines["ours"]


def test_a_pipeline_that_never_declines_fails(slice_questions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    summary = _run(slice_questions, NeverDeclines, tmp_path)
    assert summary.refusal_accuracy == 0.0
    problems = " | ".join(violations(summary, load_floors()))
    assert "seeds: unanswerable declined 0.0 %" in problems
    if shared_sets.available():
        assert f"{shared_sets.CORPUS_NAME}: unanswerable declined 0.0 %" in problems


def test_a_pipeline_that_always_declines_fails(slice_questions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    summary = _run(slice_questions, lambda corpus: AlwaysDeclines(), tmp_path)
    assert summary.refusal_accuracy == 1.0
    problems = " | ".join(violations(summary, load_floors()))
    assert "seeds: answerable right 0.0 %" in problems
    assert "evals/corpus_injection: answerable right 0.0 %" in problems
    if shared_sets.available():
        assert f"{shared_sets.CORPUS_NAME}: answerable right 0.0 %" in problems


def test_a_pipeline_with_the_gold_answers_passes(slice_questions, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    summary = _run(slice_questions, lambda corpus: GoldAnswers(slice_questions), tmp_path)
    assert violations(summary, load_floors()) == []


def test_every_committed_floor_is_above_zero() -> None:
    floors = load_floors()
    assert "seeds" in floors["corpora"]
    for corpus, per in floors["corpora"].items():
        assert any(per[k] for k in KINDS), corpus
        for kind in KINDS:
            assert per[kind] is None or 0 < per[kind] <= 1, (corpus, kind)


def test_measured_floors_never_reach_zero_and_a_zero_floor_is_refused() -> None:
    s = PipelineSummary(by_corpus={"c": Breakdown(n=3, right=1, rate=1 / 3, n_answerable=2,
                                                   answerable_right=1, n_unanswerable=1,
                                                   unanswerable_declined=0)})
    per = floors_from(s)["c"]
    assert per["answerable_right"] > 0 and per["unanswerable_declined"] > 0
    zero = {"corpora": {"c": {"answerable_right": 0.0, "unanswerable_declined": None}}}
    assert "floor of zero" in violations(s, zero)[0]
