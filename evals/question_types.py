"""What a row of a question set becomes: a `Question` with its `Evidence`, or a `QuestionSetError`.

The types both readers share: `evals.questions` (our format) and
`evals.external_sets` (an external benchmark's), which `load_questions`
dispatches to; they live here so that neither reader imports the other.
`evals.questions` hands them on, so callers import them from there.

Example:
    >>> Evidence("a.txt", "Paris", 0, 5).end
    5
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class QuestionSetError(ValueError):
    """A set file is malformed or its evidence cannot be located."""


@dataclass(frozen=True)
class Evidence:
    """A gold quote and where it sits: ``read_source(corpus / source)[start:end] == quote``."""

    source: str
    quote: str
    start: int
    end: int


@dataclass(frozen=True)
class Question:
    """One evaluation question, validated, with evidence offsets resolved."""

    id: str
    type: str
    question: str
    answerable: bool
    corpus: Path  # absolute folder the question is asked against
    corpus_name: str  # as written in the set file (relative to the project root)
    set_name: str
    split: str = "dev"
    ci: bool = False
    history: tuple[tuple[str, str], ...] = ()
    answers: tuple[str, ...] = ()
    must_include: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    forbidden: tuple[str, ...] = ()
    note: str = ""
    article: str = ""  # the document the question is about ("" when not known)


def read_source(path: Path) -> str:
    """A document's text exactly as stored (no newline translation, BOM kept)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()
