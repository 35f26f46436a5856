"""The open-question CI floors (`evals.open_floors`) fail both degenerate pipelines — one that
declines every open question and one that answers every off-topic one — with named fakes, no
model: each is run through the same scorer (`evals.open_eval.ask`) on the real CI slice."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from evals.open_eval import ask
from evals.open_floors import ci_rows, load_floors, violations
from evals.open_metrics import summarise
from evals.questions import project_root
from rag.types import Answer, Citation

SEED = project_root() / "seeds" / "000_45462b0256a40011.txt"


class DeclinesEveryOpenQuestionFake:
    """A degenerate pipeline: declines every question."""

    model_name = "fake-declines-every-open-question"

    def stream_answer(self, question: str, history: Sequence[tuple[str, str]] = ()
                      ) -> Iterator[str | Answer]:
        yield "The documents don't say."
        yield Answer("The documents don't say.", [], True, [], question, question, {},
                     "off_topic", self.model_name)

    def document_text(self, source: str) -> str:
        return SEED.read_text("utf-8")


class AnswersEveryOffTopicFake:
    """A degenerate pipeline: answers every question with the seed article's sentence that
    shares most words with it, quoted and cited exactly — also when the subject is absent."""

    model_name = "fake-answers-every-off-topic-question"

    def __init__(self) -> None:
        self.text = SEED.read_text("utf-8")
        self.spans = [(m.start(), m.end()) for m in re.finditer(r"[A-Z][^.!?\n]{30,}[.!?]",
                                                                self.text)]

    def stream_answer(self, question: str, history: Sequence[tuple[str, str]] = ()
                      ) -> Iterator[str | Answer]:
        q = set(re.findall(r"\w+", question.lower()))
        s, e = max(self.spans, key=lambda se: len(q & set(
            re.findall(r"\w+", self.text[se[0]:se[1]].lower()))))
        quote = self.text[s:e]
        shown = f"{quote[:-1]} [1]{quote[-1]}"
        yield shown
        yield Answer(shown, [Citation(SEED.name, s, e, quote, "p")], False, [], question,
                     question, {}, "composed_topic", self.model_name)

    def document_text(self, source: str) -> str:
        return self.text


def _figures(pipeline) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return summarise([ask(pipeline, row)[0] for row in ci_rows()])


def test_the_slice_has_open_and_off_topic_questions_and_the_floors_bite() -> None:
    rows = ci_rows()
    assert sum(not r.off_topic for r in rows) >= 10 and sum(r.off_topic for r in rows) >= 5
    floors = load_floors()
    assert (project_root() / floors["measured_by"]).is_file()
    for key in ("key_points", "declined_off_topic"):
        assert 0.05 <= floors["floors"][key] <= floors["measured"][key]
    assert floors["floors"]["supported"] == floors["floors"]["exact"] == 1.0


def test_a_pipeline_declining_every_open_question_fails_the_floors() -> None:
    problems = violations(_figures(DeclinesEveryOpenQuestionFake()), load_floors())
    assert any(p.startswith("key_points") for p in problems), problems


def test_a_pipeline_answering_every_off_topic_question_fails_the_floors() -> None:
    figures = _figures(AnswersEveryOffTopicFake())
    assert figures["supported"] == 1.0 and figures["exact"] == 1.0  # its quotes are exact
    problems = violations(figures, load_floors())
    assert any(p.startswith("declined_off_topic") for p in problems), problems


@pytest.mark.parametrize("missing", ["key_points", "declined_off_topic"])
def test_the_floors_name_each_figure_below(missing: str) -> None:
    floors = {"floors": {"key_points": 0.5, "declined_off_topic": 0.5, "supported": 1.0,
                         "exact": 1.0}}
    figures = {"key_points": 0.9, "declined_off_topic": 0.9, "supported": 1.0, "exact": 1.0}
    assert violations({**figures, missing: 0.1}, floors) == [f"{missing} 0.100 < floor 0.500"]
    assert violations(figures, floors) == []


def test_rag_eval_picks_up_open_rows_of_the_sets(tmp_path: Path) -> None:
    """`rag eval` reads rows with a ``kind`` (open questions, conversations) from the set files
    beside the factoid rows, which its factoid loader leaves to the open runner."""
    from evals.cli import build_parser, choose, choose_open

    f = tmp_path / "mixed.jsonl"
    f.write_text(
        '{"id": "f1", "type": "single_fact", "question": "Where did they meet?", '
        '"answerable": false}\n'
        '{"id": "c1", "kind": "follow_up", "question": "And the American one?", '
        '"history": [["Who is the Russian envoy?", "Alexander Lavrentiev [1]."]], '
        '"key_points": [["ratney"]], "corpus": "seeds"}\n', encoding="utf-8")
    args = build_parser().parse_args(["--set", str(f)])
    assert [q.id for q in choose(args)] == ["f1"]
    rows = choose_open(args)
    assert [(r.id, r.kind, r.corpus, len(r.history)) for r in rows] == [("c1", "follow_up",
                                                                          "seeds", 1)]
    ci = build_parser().parse_args(["--ci"])
    assert {r.id for r in choose_open(ci)} == {r.id for r in ci_rows()}


def test_the_report_section_shows_ours_beside_the_baseline_per_kind() -> None:
    from evals.open_eval import report_section
    from evals.open_metrics import Scored

    ours = [Scored("a", "topic", "dev", False, False, True, 2, 2, 2, 2, 2, 1.0, 0.5),
            Scored("b", "list", "dev", True, True, False, 0, 0, 0, 0, 0, 0.2, 0.2)]
    theirs = [Scored("a", "topic", "dev", False, False, False, 0, 0, 3, 0, 0, 6.0, 2.0),
              Scored("b", "list", "dev", True, False, False, 0, 0, 2, 0, 0, 6.0, 2.0)]
    from evals.open_eval import summarise_by

    text = report_section({**summarise_by(ours), "baseline": summarise_by(theirs)},
                          ["ours      right 60.0 %"])
    assert "ours      right 60.0 %" in text
    rows = [line for line in text.splitlines() if line.startswith("| ours") or
            line.startswith("| baseline")]
    assert {r.split("|")[2].strip() for r in rows} >= {"overall", "kind=topic", "kind=list"}
    base = next(r for r in rows if r.startswith("| baseline | overall"))
    cells = [c.strip() for c in base.strip("|").split("|")]
    assert cells[3] == "0.000" and cells[5] == "0.000" and cells[7] == "—"  # cites nothing


def test_rag_eval_leaves_out_open_rows_whose_shared_article_is_missing(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import evals.open_sets
    from evals.cli import build_parser, choose_open

    monkeypatch.setattr(evals.open_sets, "shared_dir", lambda: None)
    rows = choose_open(build_parser().parse_args([]))
    assert rows and not any(r.corpus.startswith("squad:") for r in rows)
