"""The model-written open answers (`rag.write`, ``open_answers: written``) with named fake models:
every shown sentence passes `rag.verify.support` against the span it cites, a sentence that
fails is dropped, the quoted sentences are shown when nothing survives, and each verified
sentence streams out before the model has finished."""

from __future__ import annotations

from collections.abc import Iterator

from rag.compose import Composer, Sentence
from rag.types import Answer, Passage
from rag.verify import support, terms_of
from rag.write import Writer, parse
from tests.test_compose_unit import DOC, FakeWordOverlapCorpus

A = "The council of Portwell approved a new ferry terminal on Monday after two years of debate."
B = "The terminal will cost 40 million euros and open in 2028."


def _picked() -> list[Sentence]:
    text = f"{A} {B}"
    p = Passage("p1", "ferry.txt", 100, 100 + len(text), text)
    return [Sentence(p, 100, 100 + len(A)), Sentence(p, 100 + len(A) + 1, 100 + len(text))]


def _run(writer: Writer, kind: str = "topic") -> tuple[list[str], list, dict]:  # type: ignore[type-arg]
    gen = writer.stream("What was decided about the terminal?", kind, _picked())
    pieces: list[str] = []
    while True:
        try:
            pieces.append(next(gen))
        except StopIteration as done:
            citations, counts = done.value
            return pieces, citations, counts


def fake_model_writing(text: str):  # type: ignore[no-untyped-def]
    """A named fake model: replies `text`, a few characters at a time."""
    def generate(messages) -> Iterator[str]:  # type: ignore[no-untyped-def]
        assert "[1] The council" in messages[-1].content  # the chosen sentences, numbered
        for i in range(0, len(text), 7):
            yield text[i : i + 7]
    return generate


def test_a_sentence_with_a_name_or_number_not_in_its_span_is_dropped() -> None:
    reply = ("[2] The terminal will cost 40 million euros. "
             "The terminal will cost 90 million euros [2]. "
             "Mayor Jansen approved the terminal on Monday [1].")
    pieces, citations, counts = _run(Writer(fake_model_writing(reply)))
    assert "".join(pieces) == "The terminal will cost 40 million euros [1]."
    assert [c.quote for c in citations] == [B]  # renumbered: the only cited sentence is [1]
    assert counts == {"written": 3.0, "written_shown": 1.0, "written_fallback": 0.0}


def test_every_shown_sentence_passes_the_support_check_of_its_cited_span() -> None:
    reply = ("The council approved a new ferry terminal after two years of debate [1]. "
             "It opens in 2028 and will cost 40 million euros [2].")
    pieces, citations, _ = _run(Writer(fake_model_writing(reply)))
    assert len(pieces) == 2
    for w in parse("".join(pieces)):
        spans = " ".join(citations[n - 1].quote for n in w.markers)
        assert support(w.body, "", terms_of(spans)) > 0


def test_a_sentence_without_a_marker_or_with_a_foreign_one_is_dropped() -> None:
    reply = "The council approved a new ferry terminal. The terminal will open in 2028 [7]."
    pieces, citations, counts = _run(Writer(fake_model_writing(reply)))
    # nothing survives: the quoted sentences, exactly as the extractive composer shows them
    assert counts["written_fallback"] == 1.0
    assert [c.quote for c in citations] == [A, B]
    assert "".join(pieces).startswith("The council of Portwell approved")


def test_a_verified_sentence_is_shown_before_the_model_finishes() -> None:
    progress: list[str] = []

    def slow_fake_model(messages) -> Iterator[str]:  # type: ignore[no-untyped-def]
        for piece in ["The terminal will cost 40 million", " euros [2].", " The council",
                      " approved it [1].", ""]:
            progress.append(piece)
            yield piece

    gen = Writer(slow_fake_model).stream("What about the terminal?", "topic", _picked())
    first = next(gen)
    assert first == "The terminal will cost 40 million euros [1]."
    assert len(progress) < 5  # the model had not finished


def test_a_list_is_shown_as_bullets() -> None:
    reply = "- It will cost 40 million euros [2]\n- The council approved it on Monday [1]"
    pieces, _, _ = _run(Writer(fake_model_writing(reply)), kind="list")
    assert "".join(pieces).splitlines() == ["- It will cost 40 million euros [1].",
                                            "- The council approved it on Monday [2]."]


def test_the_composer_shows_what_the_writer_verified() -> None:
    fake = FakeWordOverlapCorpus({"ferry.txt": DOC})
    seen: list[list[str]] = []

    def fake_writer(question, kind, picked, header):  # type: ignore[no-untyped-def]
        seen.append([s.text for s in picked])
        yield "Shown [1]."
        return [picked[0].citation()], {"written": 1.0}

    composer = Composer(fake.open_corpus(), write=fake_writer)  # type: ignore[arg-type]
    items = list(composer.stream("Why do fishermen oppose the ferry terminal?", "explanation"))
    answer = items[-1]
    assert isinstance(answer, Answer) and not answer.refused
    assert items[:-1] == ["Shown [1]."] and answer.text == "Shown [1]."
    assert seen and answer.citations[0].quote == seen[0][0]
    assert answer.signals["written"] == 1.0 and "first_token" in answer.timings
