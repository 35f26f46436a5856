"""Open questions on the real pipeline (real Chroma, MiniLM): every kind on the seed article
and on a PDF generated here; every shown sentence strictly supported by its exact citation."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.open_metrics import supported_sentences
from evals.open_sets import DOCS_DIR, write_pdf
from rag.route import route_question
from rag.types import Answer
from tests.conftest import assert_citations_exact

pytestmark = pytest.mark.slow

SEED_QUESTIONS = [
    ("What is this article about?", "overview", ["de-escalation zone"]),
    ("What do the documents say about Hezbollah?", "topic", ["Hezbollah"]),
    ("Why is Jordan's role in the deal important?", "explanation", ["leverage over rebels"]),
    ("List the conditions de-escalation was meant to create under the Astana accord.", "list",
     ["humanitarian access"]),
    ("Compare the positions of Jordan and the United States.", "comparison", ["Jordan"]),
    ("What did Jordan reject?", "clause", ["rejected a Russian proposal"]),
]


def _check(pipeline, question: str, kind: str, expected: list[str]) -> Answer:  # type: ignore[no-untyped-def]
    assert route_question(question) == kind
    items = list(pipeline.stream_answer(question))
    answer = items[-1]
    assert isinstance(answer, Answer) and not answer.refused, answer.text
    assert isinstance(items[0], str) and items[0].strip()  # a sentence is shown before the end
    assert 1 <= len(answer.citations) <= 5
    assert_citations_exact(answer, pipeline)
    supported, shown = supported_sentences(answer.text, [c.quote for c in answer.citations])
    assert shown >= 1 and supported == shown, answer.text
    for text in expected:
        assert text.lower() in answer.text.lower(), answer.text
    return answer


@pytest.mark.parametrize("question, kind, expected", SEED_QUESTIONS)
def test_each_open_kind_on_the_seed_article(pipeline_05b, question, kind, expected) -> None:  # type: ignore[no-untyped-def]
    _check(pipeline_05b, question, kind, expected)


@pytest.mark.parametrize("question", [
    "What do the documents say about Brazil?",
    "Why did oil prices rise last year?",
    "What did Israel's prime minister say about the proposed zone?",
])
def test_open_questions_about_absent_subjects_are_declined(pipeline_05b, question) -> None:  # type: ignore[no-untyped-def]
    answer = pipeline_05b.answer(question)
    assert answer.refused and answer.citations == []


@pytest.fixture(scope="module")
def pdf_pipeline(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from rag import Settings
    from rag.pipeline import Pipeline

    base: Path = tmp_path_factory.mktemp("open-pdf")
    corpus = base / "corpus"
    corpus.mkdir()
    write_pdf(DOCS_DIR / "bikeshare.txt", corpus / "report.pdf")
    return Pipeline.from_settings(Settings(corpus_dir=corpus, store_dir=base / "store"),
                                  progress=False)


@pytest.mark.parametrize("question, kind, expected", [
    ("What is this report about?", "overview", ["Bike Share"]),
    ("What does the report say about electric bicycles?", "topic", ["electric"]),
    ("Why are the eastern stations used so little?", "explanation", ["steep streets"]),
    ("What are the council's plans for 2026?", "list", ["20 new stations"]),
    ("Compare electric bicycles and pedal bicycles.", "comparison", ["2.9 kilometres"]),
    ("What did riders ask for in the survey?", "clause", ["safer cycle lanes"]),
])
def test_each_open_kind_on_a_generated_pdf(pdf_pipeline, question, kind, expected) -> None:  # type: ignore[no-untyped-def]
    answer = _check(pdf_pipeline, question, kind, expected)
    assert all(c.page for c in answer.citations)
