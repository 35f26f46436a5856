"""The result objects of the public API: `Answer`, `Citation`, `Passage`.

All three are frozen dataclasses so a caller can keep and compare them safely,
and `to_dict()` gives the JSON form the CLI (`rag ask --json`) and the
evaluation runner write.

Example:
    >>> c = Citation(source="a.txt", start=4, end=9, quote="hello")
    >>> c.to_dict()["quote"]
    'hello'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from index.types import Passage

__all__ = ["Answer", "Citation", "Passage", "last_answer"]


@dataclass(frozen=True)
class Citation:
    """An exact span of a source document that supports part of an answer.

    Invariant: ``pipeline.document_text(source)[start:end] == quote``: the
    document's extracted text (for .txt/.md the file exactly as stored; for
    PDF, HTML and DOCX the text kept beside the index). `page` is the 1-based
    PDF page where the quote starts, None for formats without pages.
    """

    source: str
    start: int
    end: int
    quote: str
    passage_id: str | None = None
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """What `rag.answer` returns.

    Attributes:
        text: the answer; a marker ``[n]`` refers to ``citations[n-1]``.
        citations: verified spans, in marker order.
        refused: True when the documents do not hold the answer or the request
            is not a question about them; then `text` is a plain decline and
            `citations` is empty.
        passages: what retrieval returned, best first, with scores.
        rewritten_question: the standalone question used for retrieval (equal
            to the question when there was no history).
        timings: seconds for ``retrieve``, ``first_token``, ``generate``,
            ``total`` (and ``rewrite`` when used), plus token counts
            ``prompt_tokens`` and ``completion_tokens``.
        reason: a short machine-readable why of a refusal, empty for an answer:
            ``"unsupported"`` (no span of what the model read holds its answer,
            or it gave none), ``"low_confidence"`` (one does, but the decision
            model's confidence is below the threshold: see `rag.decide`) or
            ``"instruction_in_question"`` (the question was only an instruction).
        model: the model that answered.
        signals: what the decline decision read (token probabilities, retrieval
            and support scores) and its ``confidence``; empty when no decision
            was made (e.g. an instruction-only question).
        draft: the answer as it would be shown, before the decline decision
            (kept when declined, for evaluation; never shown as an answer then).

    Example:
        >>> a = Answer(text="It could become a safe area [1].", citations=[], refused=False)
        >>> a.refused
        False
    """

    text: str
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    passages: list[Passage] = field(default_factory=list)
    question: str = ""
    rewritten_question: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    reason: str = ""
    model: str = ""
    signals: dict[str, float] = field(default_factory=dict)
    draft: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def last_answer(stream: Iterable[str | Answer]) -> Answer:
    """Drain a `stream_answer` generator and return its final `Answer`.

    >>> last_answer(["It ", "is.", Answer(text="It is.")]).text
    'It is.'
    """
    final = None
    for item in stream:
        if isinstance(item, Answer):
            final = item
    if final is None:
        raise RuntimeError("the answer stream ended without an Answer")
    return final
