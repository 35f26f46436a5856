"""Every example question the chat offers is answered, on a document written here
(not the seed article the pipeline was developed on): real embedder, real Chroma,
the packaged Qwen2.5 0.5B."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import assert_citations_exact
from ui.examples import corpus_examples

# A made-up news item: names, roles, numbers, a title line.
DOCUMENT = """Kessford approves ferry line across Lake Varna

The town council of Kessford voted on Tuesday to start a ferry line across Lake Varna, \
ending a ten-year dispute with the neighbouring village of Orlan.

Ilse Brandt, the mayor of Kessford, said the ferry would carry up to 400 passengers a day \
and cut the trip to Orlan from ninety minutes by road to twenty minutes by water.

The Varna Ferry Company will run two electric boats from a new pier near the old grain \
market. Construction of the pier is expected to cost 3.2 million euros, most of it paid \
by a regional transport fund.

Critics in Orlan argued that the boats would bring traffic and noise to the quiet \
lakeside. Tomas Reiner, who leads the Orlan residents' association, said the village had \
not been consulted about the location of the second pier.

Ilse Brandt said the first crossings should begin in May next year, if the regional fund \
approves the money in the autumn. Kessford and Orlan will share the running costs.
"""


@pytest.mark.slow
def test_every_offered_example_is_answered_on_a_new_document(tmp_path: Path) -> None:
    from rag import Settings
    from rag.pipeline import Pipeline

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ferry.txt").write_text(DOCUMENT, encoding="utf-8")
    pipeline = Pipeline.from_settings(
        Settings(corpus_dir=corpus, store_dir=tmp_path / "store", model="qwen2.5-0.5b"),
        progress=False)
    examples = corpus_examples([s.source for s in pipeline.sources()], pipeline.document_text)
    assert len(examples) == 3, examples
    from rag.route import route_question

    assert [route_question(q) for q in examples] == ["overview", "topic", "factoid"], examples
    for question in examples:
        answer = pipeline.answer(question)
        print(f"{question!r} -> {answer.text!r} ({answer.reason or 'answered'})")
        assert not answer.refused, (question, answer.reason, answer.draft)
        assert answer.citations, question
        assert_citations_exact(answer, pipeline)
