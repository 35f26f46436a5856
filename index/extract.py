"""Turn one file into its `ExtractedText`, by format, within a time limit.

`extract_file` picks the loader by suffix. `Extractor` runs the loaders of
PDF, HTML and DOCX in a worker process (this module run as a script) so that a file whose extraction runs
past `timeout` seconds (a pathological PDF, a huge page) can be stopped — a
thread cannot be — and skipped with a clear reason; plain text is read in
process (it cannot hang).

Example:
    >>> with Extractor(timeout=60) as extractor:          # doctest: +SKIP
    ...     extracted = extractor.extract(Path("report.pdf"))
"""

from __future__ import annotations

import json
import logging
import os
import selectors
import stat
import subprocess
import sys
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
EXTRACTOR_VERSION = 2  # 2: HTML without hidden elements; texts say whether they hold markup


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


def read_regular(path: Path) -> bytes:
    """The bytes of the regular file at `path`; `OSError` for anything else, without blocking.

    The check is made on the opened file, so a file swapped for a FIFO after it was
    listed is not read either.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file")
        return fh.read()


def extract_file(path: Path | str) -> ExtractedText:
    """The `ExtractedText` of the file at `path` (in this process, no time limit)."""
    path = Path(path)
    try:
        raw = read_regular(path)
    except OSError as exc:
        raise UnreadableFile(f"cannot be read: {exc.strerror}") from None
    return extract_bytes(path.suffix, raw)


class Extractor:
    """Extracts files, stopping any non-text extraction that runs past `timeout` seconds.

    The worker is a child process (``python -m index.extract``) spoken to in
    JSON lines over its stdin and stdout. Not `multiprocessing`: its "spawn"
    re-imports the caller's main script in the child, which re-runs a user's
    unguarded script (``from rag import answer; answer(...)``) and hangs.
    ``timeout <= 0`` extracts everything in process, without a limit.
    """

    def __init__(self, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self._proc: subprocess.Popen[str] | None = None

    def extract(self, path: Path) -> ExtractedText:
        if self.timeout <= 0 or path.suffix.lower() in TEXT_SUFFIXES:
            return extract_file(path)
        proc = self._worker()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps({"path": str(path)}) + "\n")
        proc.stdin.flush()
        # a selector, not select.select: that fails for a descriptor numbered 1024 or
        # more, which a long-running server (or a long test run) reaches
        with selectors.DefaultSelector() as waiting:
            waiting.register(proc.stdout, selectors.EVENT_READ)
            ready = bool(waiting.select(self.timeout))
        line = proc.stdout.readline() if ready else ""
        if not line:
            self.close()  # the only way to stop it; the next file gets a fresh worker
            if ready:
                raise UnreadableFile("the extraction worker died (the file may be malformed)")
            raise UnreadableFile(
                f"extraction took longer than {self.timeout:g} s (the extract_timeout "
                "setting); the file may be malformed"
            )
        reply = json.loads(line)
        if "error" in reply:
            raise UnreadableFile(reply["error"])
        return ExtractedText.from_json(reply["text"])

    def _worker(self) -> subprocess.Popen[str]:
        if self._proc is None or self._proc.poll() is not None:
            # the child finds our packages where we found them, whatever its working folder
            env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "index.extract"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, text=True, encoding="utf-8", env=env, bufsize=1,
            )
            self._ping()
        return self._proc

    def _ping(self) -> None:
        """Wait until the worker is up: its start-up is not the first file's extraction time."""
        proc = self._proc
        assert proc is not None and proc.stdin is not None and proc.stdout is not None
        proc.stdin.write("{}\n")
        proc.stdin.flush()
        if not proc.stdout.readline():
            raise UnreadableFile("the extraction worker could not start")

    def close(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            for stream in (self._proc.stdin, self._proc.stdout):
                if stream is not None:
                    stream.close()
            self._proc = None

    def __enter__(self) -> Extractor:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _serve() -> None:
    """The worker: one JSON request per line in, one JSON reply per line out."""
    for line in sys.stdin:
        request = json.loads(line)
        if "path" not in request:
            reply: dict[str, object] = {"ready": True}
        else:
            try:
                reply = {"text": extract_file(request["path"]).to_json()}
            except UnreadableFile as exc:
                reply = {"error": str(exc)}
            except Exception as exc:  # a loader bug must not look like a timeout
                reply = {"error": f"extraction failed ({type(exc).__name__}: {exc})"}
        sys.stdout.write(json.dumps(reply, ensure_ascii=False) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve()
