"""The one interface of anything that answers (`Answerer`), and of the documents
it answers from (`Documents`); the web chat and the API are handed an `Assistant`,
both at once.

What the web chat and the evaluation runner call. `rag.Pipeline` implements it,
and so do the tutorial baseline (`evals.baseline.BaselinePipeline`) and the
test fakes; `tests/test_answerer_contract.py` holds them all to one contract:

* `stream_answer` yields zero or more provisional ``str`` deltas and then
  exactly one `Answer`, always last;
* every citation's ``quote`` is exactly ``source_text[start:end]``, and a
  refused answer has no citations;
* `answer` returns what the stream ends with;
* a question or history it cannot take raises `rag.errors.BadQuestion`.

It says nothing about how an answer is found: retrieval, the model and the
verification are each implementation's business. `stream_answer` returns a
generator: closing it (a user pressed Stop) stops the answer.

Example:
    >>> from rag.types import Answer
    >>> class Echo:
    ...     model_name = "echo"
    ...     def stream_answer(self, question, history=()):
    ...         yield question
    ...         yield Answer(text=question)
    ...     def answer(self, question, history=()):
    ...         return last_answer(self.stream_answer(question, history))
    >>> isinstance(Echo(), Answerer), Echo().answer("hi").text
    (True, 'hi')
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from rag.types import Answer, last_answer

if TYPE_CHECKING:
    from index.sync import IndexReport, OnFile
    from index.uploads import Uploads

__all__ = ["Answerer", "Assistant", "Documents", "History", "Source", "last_answer"]

History = Sequence[tuple[str, str]]
"""Earlier turns, oldest first: (question, answer text) pairs."""


@runtime_checkable
class Answerer(Protocol):
    """Answers questions about a corpus; see the module docstring for the contract."""

    @property
    def model_name(self) -> str:
        """The model that answers (shown beside the answers)."""
        ...

    def stream_answer(
        self, question: str, history: History = ()
    ) -> Generator[str | Answer, None, None]:
        """Yield provisional text deltas, then the final `Answer` (always last)."""
        ...

    def answer(self, question: str, history: History = ()) -> Answer:
        """The final `Answer` of `stream_answer`."""
        ...


class Source(Protocol):
    """An indexed document and its number of passages (`rag.corpus.SourceInfo`)."""

    @property
    def source(self) -> str: ...

    @property
    def passages(self) -> int: ...


class Documents(Protocol):
    """The documents answers come from, as the web chat and the API show them
    (`rag.corpus.Corpus`, passed on by `rag.Pipeline`)."""

    def sources(self) -> Sequence[Source]:
        """Every indexed document (reads only: never indexes)."""
        ...

    def skipped(self) -> list[tuple[str, str]]:
        """(source, reason) of each document file that is not indexed (reads only)."""
        ...

    def document_text(self, source: str) -> str:
        """The document's text as indexed: citation offsets index into it."""
        ...

    def page_image(self, source: str, page: int, start: int, end: int) -> bytes | None:
        """A PDF page as PNG with ``start:end`` highlighted; None when it cannot be drawn."""
        ...

    def uploads(self) -> Uploads | None:
        """Where uploaded files go; None when documents cannot be added from the chat."""
        ...

    def index(self, reset: bool = False, progress: bool = True,
              on_file: OnFile | None = None) -> IndexReport:
        """Bring the index in line with the documents (after an upload or a removal)."""
        ...


class Assistant(Answerer, Documents, Protocol):
    """What the web chat and the API are handed: answers, and the documents they cite."""
