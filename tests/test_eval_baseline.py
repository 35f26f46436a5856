"""The tutorial baseline: its decline detector, and the pipeline on real Chroma
with LangChain's own fake chat model and fake embeddings (no model, fast)."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.language_models.fake_chat_models import (
    FakeListChatModel,
    ParrotFakeChatModel,
)

from evals.baseline import CHUNK_SIZE, TUTORIAL_PROMPT, BaselinePipeline, looks_like_decline
from rag.types import Answer


@pytest.mark.parametrize(
    "text",
    [
        "I don't know.",
        "I don’t know the answer to that.",
        "The context does not mention his age.",
        "The date is not mentioned in the provided context.",
        "There is no information about the population of Amman in the context.",
        "I cannot determine the exact date from the context.",
        "The provided context doesn't specify how many troops were deployed.",
        "I'm unable to answer that based on the given context.",
    ],
)
def test_decline_detector_catches_declines(text: str) -> None:
    assert looks_like_decline(text)


@pytest.mark.parametrize(
    "text",
    [
        "The envoys met in Amman.",
        "Jordan rejected a Russian proposal for its troops to police the zone.",
        "The talks have not collapsed; they will talk again soon.",
        "Close to half a million people have been killed.",
        "BANANA-42",
    ],
)
def test_decline_detector_leaves_answers_alone(text: str) -> None:
    assert not looks_like_decline(text)


def test_prompt_is_the_tutorial_prompt() -> None:
    assert TUTORIAL_PROMPT.startswith("You are an assistant for question-answering tasks.")
    assert "If you don't know the answer, just say that you don't know." in TUTORIAL_PROMPT
    assert "Use three sentences maximum and keep the answer concise." in TUTORIAL_PROMPT


def _pipeline(chat, corpus: Path, tmp_path: Path) -> BaselinePipeline:  # type: ignore[no-untyped-def]
    b = BaselinePipeline(chat, DeterministicFakeEmbedding(size=32), corpus, tmp_path / "store")
    b.index()
    return b


def test_chunks_keep_exact_offsets_and_index_is_idempotent(seed_corpus: Path,
                                                           tmp_path: Path) -> None:
    b = _pipeline(FakeListChatModel(responses=["x"]), seed_corpus, tmp_path)
    text = (seed_corpus / "000_45462b0256a40011.txt").read_text(encoding="utf-8")
    passages = b.retrieve("Where did the envoys meet?")
    assert len(passages) == 4
    for p in passages:
        assert text[p.start : p.end] == p.text and len(p.text) <= CHUNK_SIZE
    assert b.index()["chunks"] == 0  # already indexed: nothing re-embedded
    assert b.index(reset=True)["chunks"] == len(b._vector_store().get()["ids"])


def test_an_index_cut_short_is_completed_not_trusted(seed_corpus: Path, tmp_path: Path) -> None:
    """A run killed while the baseline embedded its chunks resumes with a whole index."""
    b = _pipeline(FakeListChatModel(responses=["x"]), seed_corpus, tmp_path)
    store = b._vector_store()
    every = store.get()["ids"]
    store.delete(ids=every[: len(every) // 2])  # as if the kill came halfway
    assert b.index()["chunks"] == len(every)
    assert sorted(store.get()["ids"]) == sorted(every)


def test_answer_has_no_citations_and_uses_the_decline_detector(seed_corpus: Path,
                                                               tmp_path: Path) -> None:
    chat = FakeListChatModel(responses=["They met in Amman.", "I don't know."])
    b = _pipeline(chat, seed_corpus, tmp_path)
    items = list(b.stream_answer("Where did the envoys meet?"))
    final = items[-1]
    assert isinstance(final, Answer) and all(isinstance(i, str) for i in items[:-1])
    assert "".join(items[:-1]) == "They met in Amman."
    assert final.citations == [] and not final.refused and len(final.passages) == 4
    for key in ("retrieve", "first_token", "generate", "total"):
        assert key in final.timings
    declined = b.answer("How old is Ratney?")
    assert declined.refused and declined.reason == "decline_detected"


class RecordingParrot(ParrotFakeChatModel):
    """Echoes the last message and remembers every message list it was sent."""

    seen: list = []

    def _generate(self, messages, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.seen.append(messages)
        return super()._generate(messages, *args, **kwargs)


def test_prompt_carries_context_question_and_history(seed_corpus: Path, tmp_path: Path) -> None:
    chat = RecordingParrot()
    b = _pipeline(chat, seed_corpus, tmp_path)
    a = b.answer("How far away is it?", history=[("Which capital?", "Damascus.")])
    assert a.text.startswith("You are an assistant for question-answering tasks.")
    assert "Question: How far away is it?" in a.text
    assert a.passages[0].text in a.text
    sent = chat.seen[-1]
    assert [m.type for m in sent] == ["human", "ai", "human"]
    assert (sent[0].content, sent[1].content) == ("Which capital?", "Damascus.")
