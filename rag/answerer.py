"""The one interface of anything that answers: `Answerer`.

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
verification are each implementation's business.

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

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

from rag.types import Answer, last_answer

__all__ = ["Answerer", "History", "last_answer"]

History = Sequence[tuple[str, str]]
"""Earlier turns, oldest first: (question, answer text) pairs."""


@runtime_checkable
class Answerer(Protocol):
    """Answers questions about a corpus; see the module docstring for the contract."""

    model_name: str

    def stream_answer(self, question: str, history: History = ()) -> Iterator[str | Answer]:
        """Yield provisional text deltas, then the final `Answer` (always last)."""
        ...

    def answer(self, question: str, history: History = ()) -> Answer:
        """The final `Answer` of `stream_answer`."""
        ...
