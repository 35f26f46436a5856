"""Turn one file into its `ExtractedText`, by format, within a time limit.

`extract_file` picks the loader by suffix. `Extractor` runs the loaders of
PDF, HTML and DOCX in a worker process so that a file whose extraction runs
past `timeout` seconds (a pathological PDF, a huge page) can be stopped — a
thread cannot be — and skipped with a clear reason; plain text is read in
process (it cannot hang).

Example:
    >>> with Extractor(timeout=60) as extractor:          # doctest: +SKIP
    ...     extracted = extractor.extract(Path("report.pdf"))
"""

from __future__ import annotations

import logging
import multiprocessing
from pathlib import Path
from types import TracebackType

from index.errors import UnreadableFile
from index.types import ExtractedText

log = logging.getLogger(__name__)

TEXT_SUFFIXES = (".txt", ".md", ".markdown")
PDF_SUFFIXES = (".pdf",)
HTML_SUFFIXES = (".html", ".htm", ".xhtml")
DOCX_SUFFIXES = (".docx",)
SUFFIXES = TEXT_SUFFIXES + PDF_SUFFIXES + HTML_SUFFIXES + DOCX_SUFFIXES

# Bump when a loader's output changes: cached texts of the old version are ignored.
EXTRACTOR_VERSION = 1


def extract_bytes(suffix: str, raw: bytes) -> ExtractedText:
    """The `ExtractedText` of a file's bytes, by its suffix; `UnreadableFile` when it has none."""
    suffix = suffix.lower()
    if suffix in TEXT_SUFFIXES:
        from index.load_text import decode_text

        return ExtractedText(decode_text(raw))
    if suffix in PDF_SUFFIXES:
        from index.load_pdf import extract_pdf

        return extract_pdf(raw)
    if suffix in HTML_SUFFIXES:
        from index.load_html import extract_html

        return extract_html(raw)
    if suffix in DOCX_SUFFIXES:
        from index.load_docx import extract_docx

        return extract_docx(raw)
    raise UnreadableFile(f"unsupported file type '{suffix}' (supported: {', '.join(SUFFIXES)})")


def extract_file(path: Path | str) -> ExtractedText:
    """The `ExtractedText` of the file at `path` (in this process, no time limit)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"cannot be read: {exc.strerror}") from None
    return extract_bytes(path.suffix, raw)


def _ready() -> bool:
    return True


class Extractor:
    """Extracts files, stopping any non-text extraction that runs past `timeout` seconds.

    ``timeout <= 0`` extracts everything in process, without a limit.
    """

    def __init__(self, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self._pool = None  # type: ignore[var-annotated]

    def extract(self, path: Path) -> ExtractedText:
        if self.timeout <= 0 or path.suffix.lower() in TEXT_SUFFIXES:
            return extract_file(path)
        pool = self._worker()
        pending = pool.apply_async(extract_file, (str(path),))
        try:
            return pending.get(self.timeout)
        except multiprocessing.TimeoutError:
            self.close()  # the only way to stop it; the next file gets a fresh worker
            raise UnreadableFile(
                f"extraction took longer than {self.timeout:g} s (the extract_timeout "
                "setting); the file may be malformed"
            ) from None

    def _worker(self):  # type: ignore[no-untyped-def]
        if self._pool is None:
            # spawn, not fork: the parent holds threads (Chroma, torch) a fork would copy mid-lock
            self._pool = multiprocessing.get_context("spawn").Pool(1)
            self._pool.apply(_ready)  # start-up time is not the first file's extraction time
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def __enter__(self) -> Extractor:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
