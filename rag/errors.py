"""Typed errors a user can cause, each with a message that says what to do.

Example:
    >>> raise BadQuestion("The question is empty: type a question about your documents.")
    Traceback (most recent call last):
    ...
    rag.errors.BadQuestion: The question is empty: type a question about your documents.
"""


class RagError(Exception):
    """Base of every error the project raises on purpose."""


class SettingsError(RagError):
    """A setting is unknown, malformed or conflicts with another."""


class BadQuestion(RagError):
    """The question cannot be answered as given (empty, too long, not text)."""


class CorpusError(RagError):
    """The corpus folder is missing, empty, or holds no readable document."""


class ModelError(RagError):
    """A model file is missing, corrupt, or the model failed while answering."""


class StoreError(RagError):
    """The vector store could not be opened or written."""
