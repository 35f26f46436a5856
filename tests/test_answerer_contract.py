"""One contract, every answerer: the real pipeline, the tutorial baseline and the fakes.

See `rag.answerer`: the stream ends with exactly one `Answer`; every citation
is an exact span of its file; a refusal cites nothing; `answer` returns what
the stream ends with; a malformed history is a `BadQuestion`.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from rag.answerer import Answerer
from rag.errors import BadQuestion
from rag.types import Answer
from tests.conftest import SEED, assert_citations_exact

QUESTIONS = [
    ("Where have the envoys met?", ()),
    ("What colour is the moon's third ocean?", ()),
    ("Where did they meet?", (("Who are the envoys?", "Lavrentiev and Ratney [1]."),)),
]


def _fake(corpus: Path, tmp: Path) -> Answerer:
    from tests.fakes import FakePipeline

    return FakePipeline(corpus)


def _pipeline_with_fakes(corpus: Path, tmp: Path) -> Answerer:
    from tests.fakes import pipeline_with_fakes

    return pipeline_with_fakes(corpus, tmp / "store")


def _baseline_with_fakes(corpus: Path, tmp: Path) -> Answerer:
    from evals.baseline import BaselinePipeline
    from tests.fakes import HashingFakeEmbeddings, fake_echo_chat_model

    b = BaselinePipeline(fake_echo_chat_model(), HashingFakeEmbeddings(), corpus, tmp / "base")
    b.index()
    return b


def _real_pipeline(corpus: Path, tmp: Path) -> Answerer:
    from rag.pipeline import Pipeline
    from rag.settings import Settings

    s = Settings(config_file=tmp / "absent.yaml", corpus_dir=corpus, store_dir=tmp / "store",
                 model="qwen2.5-0.5b", max_answer_tokens=48)
    return Pipeline.from_settings(s, progress=False)


def _real_baseline(corpus: Path, tmp: Path) -> Answerer:
    from evals.baseline import BaselinePipeline

    ours = _real_pipeline(corpus, tmp)
    b = BaselinePipeline(ours.chat_model, ours.corpus.embeddings, corpus, tmp / "base")  # type: ignore[attr-defined]
    b.index()
    return b


FACTORIES = [
    pytest.param(_fake, id="FakePipeline"),
    pytest.param(_pipeline_with_fakes, id="Pipeline-fake-models"),
    pytest.param(_baseline_with_fakes, id="Baseline-fake-models"),
    pytest.param(_real_pipeline, id="Pipeline-0.5B", marks=pytest.mark.slow),
    pytest.param(_real_baseline, id="Baseline-0.5B", marks=pytest.mark.slow),
]


@pytest.fixture(scope="module", params=FACTORIES)
def answerer_and_corpus(request: pytest.FixtureRequest,
                        tmp_path_factory: pytest.TempPathFactory) -> tuple[Answerer, Path]:
    tmp = tmp_path_factory.mktemp("answerer")
    corpus = tmp / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    return request.param(corpus, tmp), corpus


@pytest.mark.parametrize("question, history", QUESTIONS)
def test_stream_ends_with_one_verified_answer(answerer_and_corpus: tuple[Answerer, Path],
                                              question: str, history: tuple) -> None:
    answerer, corpus = answerer_and_corpus
    assert isinstance(answerer, Answerer)
    items = list(answerer.stream_answer(question, history))
    assert items and isinstance(items[-1], Answer)
    assert all(isinstance(i, str) for i in items[:-1]), "only text deltas before the Answer"
    final = items[-1]
    assert isinstance(final, Answer)
    assert_citations_exact(final, corpus)
    if final.refused:
        assert final.citations == []
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", final.text)}
    if final.citations:  # an answerer that cites: every marker points at a citation
        assert markers <= set(range(1, len(final.citations) + 1)), final.text
    again = answerer.answer(question, history)
    assert again.text == final.text and again.refused == final.refused


@pytest.mark.parametrize("history", [[("only one",)], "not a list", [("q", 3)]])
def test_malformed_history_is_a_bad_question(answerer_and_corpus: tuple[Answerer, Path],
                                             history: object) -> None:
    answerer, _ = answerer_and_corpus
    with pytest.raises(BadQuestion, match="history"):
        answerer.answer("Where have the envoys met?", history)  # type: ignore[arg-type]


def _assistants() -> list[object]:
    from tests.fakes import FakePipeline, pipeline_with_fakes

    return [pytest.param(lambda corpus, tmp: FakePipeline(corpus), id="FakePipeline"),
            pytest.param(lambda corpus, tmp: pipeline_with_fakes(corpus, tmp / "store"),
                         id="Pipeline-fake-models")]


@pytest.mark.parametrize("make", _assistants())
def test_documents_are_listed_and_shown_as_indexed(make, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """What the web chat and the API are handed (`rag.answerer.Assistant`): the listed
    documents are the corpus's files, shown exactly; a text file has no page image."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    assistant = make(corpus, tmp_path)
    listed = assistant.sources()
    assert [s.source for s in listed] == [SEED.name] and listed[0].passages > 0
    assert assistant.document_text(SEED.name) == (corpus / SEED.name).read_bytes().decode()
    assert assistant.page_image(SEED.name, 1, 0, 10) is None
    uploads = assistant.uploads()
    assert uploads is None or uploads.corpus_dir == corpus
    assert not assistant.index(progress=False).skipped
