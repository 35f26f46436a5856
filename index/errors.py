"""Errors the index raises, and the base of every error the project raises.

They live on the ground floor so `index/` never imports `rag/`; `rag.errors`
re-exports them beside the errors of answering.

Example:
    >>> issubclass(StoreError, RagError)
    True
"""


class RagError(Exception):
    """Base of every error the project raises on purpose."""


class CorpusError(RagError):
    """The corpus folder is missing, empty, or holds no readable document."""


class StoreError(RagError):
    """The vector store could not be opened or written."""


class UnreadableFile(RagError):
    """One file cannot be turned into text; the message is the reason shown to the user.

    Indexing skips the file with that reason and keeps everything else.
    """


class UploadRefused(RagError):
    """An upload was not taken (wrong type, too large, not an uploaded file); says why."""
