"""Question answering over your documents with verified, span-exact citations.

The public API::

    from rag import answer
    a = answer("What could the proposed zone eventually turn into?")
    a.text, a.citations, a.refused

`answer` and `stream_answer` use a default `Pipeline` built from `Settings()`
on first use (nothing happens at import). Build your own `Pipeline` to use
other settings.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from rag.errors import BadQuestion, CorpusError, ModelError, RagError, SettingsError, StoreError
from rag.settings import Settings
from rag.types import Answer, Citation, Passage

if TYPE_CHECKING:
    from rag.pipeline import Pipeline

__all__ = [
    "Answer",
    "BadQuestion",
    "Citation",
    "CorpusError",
    "ModelError",
    "Passage",
    "Pipeline",
    "RagError",
    "Settings",
    "SettingsError",
    "StoreError",
    "answer",
    "default_pipeline",
    "stream_answer",
]

__version__ = "0.1.0"

_default: Pipeline | None = None
_default_lock = threading.Lock()


def __getattr__(name: str) -> Any:
    # Pipeline pulls in the embedder and Chroma: import it only when asked for.
    if name == "Pipeline":
        from rag.pipeline import Pipeline

        return Pipeline
    raise AttributeError(f"module 'rag' has no attribute {name!r}")


def default_pipeline() -> Pipeline:
    """The shared pipeline on default settings, built on first call."""
    global _default
    with _default_lock:
        if _default is None:
            from rag.pipeline import Pipeline

            _default = Pipeline.from_settings()
        return _default


def answer(question: str, history: Sequence[tuple[str, str]] = ()) -> Answer:
    """Answer `question` from the corpus, with verified citations.

    Example:
        >>> a = answer("Where did the envoys meet?")   # doctest: +SKIP
        >>> a.refused, a.citations[0].source           # doctest: +SKIP
        (False, '000_45462b0256a40011.txt')
    """
    return default_pipeline().answer(question, history)


def stream_answer(question: str, history: Sequence[tuple[str, str]] = ()) -> Iterator[str | Answer]:
    """Yield text deltas, then the final verified `Answer`."""
    return default_pipeline().stream_answer(question, history)
