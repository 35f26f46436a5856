"""The chat's event handlers called directly, on the deterministic FakePipeline.

No server and no model: this checks the conversation logic — streamed text
replaced by the verified answer, history from verified turns only, errors
shown in the chat and the chat still working after them, stop, start over.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from rag.errors import BadQuestion, ModelError
from rag.types import Answer
from tests.fakes import FakePipeline
from ui.handlers import ChatHandlers

ANSWERABLE = "Where did the envoys meet in the Jordanian capital?"


class RecordingFake(FakePipeline):
    """FakePipeline that records the history it is given and can be made to fail."""

    def __init__(self, corpus_dir: Path, fail: Exception | None = None) -> None:
        super().__init__(corpus_dir)
        self.histories: list[list[tuple[str, str]]] = []
        self.fail = fail

    def stream_answer(
        self, question: str, history: Sequence[tuple[str, str]] = ()
    ) -> Iterator[str | Answer]:
        self.histories.append(list(history))
        if isinstance(self.fail, BadQuestion):
            raise self.fail
        if self.fail is not None:
            yield "Partial "
            raise self.fail
        yield from super().stream_answer(question, history)


def _ask(chat: ChatHandlers, question: str, messages: list, turns: dict) -> list[tuple]:
    _, asked, messages, _ = chat.begin(question, messages)
    return list(chat.answer(asked, messages, turns))


def _final(outputs: list[tuple]) -> tuple[list, dict]:
    messages = outputs[-1][0]
    turns = next((o[1] for o in reversed(outputs) if "__type__" not in o[1]), {})
    return messages, turns


def test_streamed_text_is_replaced_by_the_verified_answer(seed_corpus: Path) -> None:
    chat = ChatHandlers(RecordingFake(seed_corpus))
    outputs = _ask(chat, ANSWERABLE, [], {})
    streamed = [o[0][-1]["content"] for o in outputs[1:-1]]
    assert streamed and all("rag-provisional" in s for s in streamed)
    messages, turns = _final(outputs)
    assert "rag-answer" in messages[-1]["content"] and "rag-marker" in messages[-1]["content"]
    assert list(turns) == [1] and turns[1][0] == ANSWERABLE
    assert 'id="rag-cite-1-1"' in outputs[-1][3]  # the sources panel shows the new answer


def test_follow_up_gets_history_of_verified_turns(seed_corpus: Path) -> None:
    fake = RecordingFake(seed_corpus)
    chat = ChatHandlers(fake)
    messages, turns = _final(_ask(chat, ANSWERABLE, [], {}))
    messages, turns = _final(_ask(chat, "When will they talk again?", messages, turns))
    assert fake.histories[0] == []
    assert fake.histories[1] == [(ANSWERABLE, turns[1][1].text)]
    assert sorted(turns) == [1, 3]


def test_bad_question_is_taken_back_and_shown(seed_corpus: Path) -> None:
    chat = ChatHandlers(RecordingFake(seed_corpus, fail=BadQuestion("The question is too long.")))
    outputs = _ask(chat, "x" * 50, [], {})
    messages, _, _, _, status, box = outputs[-1]
    assert messages == [] and box == "x" * 50
    assert "The question is too long." in status


@pytest.mark.parametrize("error", [ModelError("model file is corrupt"), RuntimeError("boom")])
def test_model_failure_is_shown_in_the_chat_which_keeps_working(
    seed_corpus: Path, error: Exception
) -> None:
    fake = RecordingFake(seed_corpus, fail=error)
    chat = ChatHandlers(fake)
    messages, turns = _final(_ask(chat, ANSWERABLE, [], {}))
    assert "rag-error" in messages[-1]["content"] and "Traceback" not in messages[-1]["content"]
    assert turns == {}
    fake.fail = None
    messages, turns = _final(_ask(chat, ANSWERABLE, messages, turns))
    assert "rag-answer" in messages[-1]["content"] and fake.histories[-1] == []


def test_stop_marks_the_unverified_answer(seed_corpus: Path) -> None:
    chat = ChatHandlers(RecordingFake(seed_corpus))
    _, asked, messages, _ = chat.begin(ANSWERABLE, [])
    stream = chat.answer(asked, messages, {})
    for _ in range(3):
        partial = next(stream)[0]
    stream.close()  # what Gradio does when Stop cancels the event
    messages, status = chat.stop(partial, {})
    assert "Stopped" in messages[-1]["content"] and "Stopped" in status


def test_select_shows_that_answers_sources(seed_corpus: Path) -> None:
    chat = ChatHandlers(RecordingFake(seed_corpus))
    messages, turns = _final(_ask(chat, ANSWERABLE, [], {}))

    class Click:
        index, value = 0, None  # a click on the question selects its answer

    selected, panel, _ = chat.select(turns, Click())  # type: ignore[arg-type]
    assert selected == 1 and 'id="rag-cite-1-1"' in panel
    body, _ = chat.open_document(turns[1][1].citations[0].source, turns, selected)
    assert body.count('<mark class="rag-quote"') == 1


def test_unanswerable_question_is_declined(seed_corpus: Path) -> None:
    chat = ChatHandlers(RecordingFake(seed_corpus))
    messages, turns = _final(_ask(chat, "Qzx vbn wrt?", [], {}))
    assert "Not in the documents" in messages[-1]["content"] and turns[1][1].refused
