"""The composer (`rag.compose`) with named fakes: a hashing embedder and a word-overlap retriever.

Real-model behaviour is in ``tests/test_open_real.py``; these check the contract: exact
citations, markers in order, 1-5 sentences, no near-duplicates, declines for absent
subjects, overviews by centrality, streaming before the final `Answer`.
"""

from __future__ import annotations

import re

import pytest

from index.split import split_into_passages
from rag.compose import MAX_DOCUMENTS, Composer, OpenCorpus
from rag.types import Answer, Passage
from rag.verify import DECLINE_TEXT
from tests.fakes import HashingFakeEmbeddings

DOC = (
    "Harbour town plans new ferry terminal\n\n"
    "The council of Portwell approved a new ferry terminal on Monday after two years of debate. "
    "The terminal will cost 40 million euros and open in 2028.\n\n"
    "Fishermen oppose the plan because the new quay would cover their old mooring places. "
    "The council promised them a new harbour basin on the north side of the bay.\n\n"
    "The ferry company expects twice as many passengers once the terminal opens. "
    "The ferry company expects twice as many passengers once the terminal opens.\n\n"
    "Residents near the quay worry about traffic, noise and the loss of the beach. "
    "But they welcomed the promise of new jobs at the harbour."
)
OTHER = (
    "Mountain railway closes for repairs\n\n"
    "The mountain railway above Kelden will close for the winter while its cables are replaced. "
    "Skiers will ride buses to the upper station instead."
)


def _passages(source: str, text: str) -> list[Passage]:
    return split_into_passages(source, text, [(0, len(text))], max_chars=220, min_chars=40)


class FakeWordOverlapCorpus:
    """A named fake: retrieves by shared words, embeds with the hashing fake (tests only)."""

    def __init__(self, docs: dict[str, str]) -> None:
        self.docs = docs
        self.all = [p for s, t in docs.items() for p in _passages(s, t)]
        self.embedder = HashingFakeEmbeddings(dims=256)

    def retrieve(self, query: str, k: int) -> list[Passage]:
        q = set(re.findall(r"\w+", query.lower()))
        ranked = sorted(self.all, key=lambda p: -len(q & set(re.findall(r"\w+", p.text.lower()))))
        return ranked[:k]

    def open_corpus(self) -> OpenCorpus:
        return OpenCorpus(retrieve=self.retrieve, passages=lambda: self.all,
                          embed=self.embedder.embed_documents)


@pytest.fixture
def fake() -> FakeWordOverlapCorpus:
    return FakeWordOverlapCorpus({"ferry.txt": DOC})


def _ask(fake: FakeWordOverlapCorpus, question: str, kind: str) -> tuple[list[str], Answer]:
    items = list(Composer(fake.open_corpus()).stream(question, kind))  # type: ignore[arg-type]
    assert isinstance(items[-1], Answer)
    return [i for i in items[:-1] if isinstance(i, str)], items[-1]


def _assert_exact(fake: FakeWordOverlapCorpus, answer: Answer) -> None:
    for c in answer.citations:
        assert fake.docs[c.source][c.start : c.end] == c.quote


@pytest.mark.parametrize("question, kind", [
    ("Why do fishermen oppose the ferry terminal?", "explanation"),
    ("What do the documents say about the ferry terminal?", "topic"),
    ("List the worries of residents near the quay.", "list"),
    ("What did the council promise the fishermen?", "clause"),
])
def test_answer_is_quoted_sentences_with_exact_citations(fake, question, kind) -> None:  # type: ignore[no-untyped-def]
    pieces, answer = _ask(fake, question, kind)
    assert not answer.refused and answer.text.strip()
    assert "".join(pieces) == answer.text  # streamed pieces add up to the answer
    assert 1 <= len(answer.citations) <= 5
    assert re.findall(r"\[(\d+)\]", answer.text) == [str(n) for n in
                                                    range(1, len(answer.citations) + 1)]
    _assert_exact(fake, answer)
    for c in answer.citations:  # each shown sentence is its quote, spaces tidied
        assert " ".join(c.quote.split())[:-1] in answer.text


def test_a_sentence_said_twice_is_shown_once(fake) -> None:  # type: ignore[no-untyped-def]
    _, answer = _ask(fake, "What does the ferry company expect about passengers?", "topic")
    assert answer.text.count("twice as many passengers") == 1


def test_a_subject_absent_from_the_documents_is_declined(fake) -> None:  # type: ignore[no-untyped-def]
    pieces, answer = _ask(fake, "What do the documents say about Brazil?", "topic")
    assert answer.refused and answer.text == DECLINE_TEXT and pieces == [DECLINE_TEXT]
    assert answer.citations == []


def test_a_pronoun_sentence_comes_with_what_it_refers_to(fake) -> None:  # type: ignore[no-untyped-def]
    _, answer = _ask(fake, "What did residents welcome?", "clause")
    shown = answer.text
    assert "But they welcomed" in shown
    assert shown.index("Residents near the quay") < shown.index("But they welcomed")


def test_overview_of_one_document_leads_with_its_first_sentence(fake) -> None:  # type: ignore[no-untyped-def]
    _, answer = _ask(fake, "What is this about?", "overview")
    assert not answer.refused
    assert answer.text.startswith("The council of Portwell approved")
    assert 1 <= len(answer.citations) <= 5
    _assert_exact(fake, answer)


def test_overview_of_several_documents_says_how_many_and_lists_them() -> None:
    docs = {f"doc{i}.txt": OTHER.replace("Kelden", f"Kelden{i}") for i in range(10)}
    docs["ferry.txt"] = DOC
    fake = FakeWordOverlapCorpus(docs)
    _, answer = _ask(fake, "Summarize the documents.", "overview")
    lines = answer.text.splitlines()
    assert lines[0].startswith("11 documents") and lines[0].endswith(":")
    assert 1 <= len(lines) - 1 <= MAX_DOCUMENTS
    assert len({c.source for c in answer.citations}) == len(lines) - 1
    _assert_exact(fake, answer)


def test_comparison_quotes_both_sides() -> None:
    fake = FakeWordOverlapCorpus({"ferry.txt": DOC, "rail.txt": OTHER})
    _, answer = _ask(fake, "Compare the ferry terminal and the mountain railway.", "comparison")
    assert {c.source for c in answer.citations} == {"ferry.txt", "rail.txt"}


def test_an_empty_corpus_declines_every_kind() -> None:
    fake = FakeWordOverlapCorpus({})
    for kind in ("overview", "topic", "explanation", "list", "comparison", "clause"):
        _, answer = _ask(fake, "What is this about?", kind)
        assert answer.refused and answer.text == DECLINE_TEXT
