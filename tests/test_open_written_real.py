"""Open questions with ``open_answers: written`` on the real 0.5B (llama.cpp), real Chroma and
MiniLM: every shown sentence passes `rag.verify.support` against the span(s) it cites, and the
citations are exact."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.types import Answer
from rag.verify import support, terms_of
from rag.write import parse
from tests.conftest import assert_citations_exact

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def written_pipeline(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    import shutil

    from evals.questions import project_root
    from rag import Settings
    from rag.pipeline import Pipeline

    base: Path = tmp_path_factory.mktemp("open-written")
    shutil.copytree(project_root() / "seeds", base / "corpus")
    return Pipeline.from_settings(Settings(corpus_dir=base / "corpus", store_dir=base / "store",
                                           open_answers="written"), progress=False)


@pytest.mark.parametrize("question", [
    "What did Jordan reject?",
    "What do the documents say about Hezbollah?",
])
def test_written_sentences_are_verified_against_their_cited_spans(written_pipeline, question) -> None:  # type: ignore[no-untyped-def]
    items = list(written_pipeline.stream_answer(question))
    answer = items[-1]
    assert isinstance(answer, Answer) and not answer.refused, answer.text
    assert isinstance(items[0], str) and items[0].strip()
    assert_citations_exact(answer, written_pipeline)
    sentences = parse(answer.text)
    assert sentences
    for w in sentences:
        assert w.markers, answer.text
        spans = " ".join(answer.citations[n - 1].quote for n in w.markers)
        assert support(w.body, "", terms_of(spans)) > 0, w.body


def test_an_absent_subject_is_declined_before_the_model_writes(written_pipeline) -> None:  # type: ignore[no-untyped-def]
    answer = written_pipeline.answer("What do the documents say about Brazil?")
    assert answer.refused and answer.citations == [] and "written" not in answer.signals
