"""Typed errors a user can cause, each with a message that says what to do.

Example:
    >>> raise BadQuestion("The question is empty: type a question about your documents.")
    Traceback (most recent call last):
    ...
    rag.errors.BadQuestion: The question is empty: type a question about your documents.

`RagError`, `CorpusError` and `StoreError` are defined in `index.errors` (the
index raises them) and re-exported here.
"""

from index.errors import CorpusError, RagError, StoreError

__all__ = ["BadQuestion", "CorpusError", "ModelError", "RagError", "SettingsError", "StoreError"]


class SettingsError(RagError):
    """A setting is unknown, malformed or conflicts with another."""


class BadQuestion(RagError):
    """The question cannot be answered as given (empty, too long, not text)."""


class ModelError(RagError):
    """A model file is missing, corrupt, or the model failed while answering."""
