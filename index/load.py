"""Find a folder's documents and say which cannot be indexed, and why.

`scan_folder` lists the supported files (see `index.extract.SUFFIXES`) with
the sha256 of their bytes, so a sync extracts only what changed; files too
large are skipped here. Hidden folders are skipped, and so is the folder of
images and scripts a browser's "save page as" writes beside a page
(``Page_files/`` next to ``Page.html``).

Example:
    >>> from pathlib import Path
    >>> files, skipped = scan_folder(Path("seeds"))  # doctest: +SKIP
    >>> docs, skipped = load_folder(Path("seeds"))   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from index.errors import UnreadableFile
from index.extract import HTML_SUFFIXES, SUFFIXES, extract_file
from index.load_text import decode_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileEntry:
    """A supported file found in the corpus: its source name, path and content hash."""

    source: str
    path: Path
    sha256: str


@dataclass(frozen=True)
class Document:
    """One source file: its path relative to the corpus and its exact text."""

    source: str
    text: str
    sha256: str


@dataclass(frozen=True)
class Skipped:
    """A file that was not indexed, and why (shown to the user)."""

    source: str
    reason: str


def read_text_exact(path: Path) -> str:
    """The file's text exactly as ``open(path, encoding="utf-8", newline="")`` reads it."""
    with open(path, encoding="utf-8", newline="") as fh:
        return fh.read()


def decode_document(source: str, raw: bytes) -> Document | Skipped:
    """Turn a plain-text file's raw bytes into a `Document`, or say why it is skipped.

    >>> decode_document("a.txt", b"hi\\r\\n")  # doctest: +ELLIPSIS
    Document(source='a.txt', text='hi\\r\\n', sha256='...')
    >>> decode_document("b.txt", b"\\x00\\x01").reason
    'binary file (contains NUL bytes)'
    """
    try:
        return Document(source, decode_text(raw), hashlib.sha256(raw).hexdigest())
    except UnreadableFile as exc:
        return Skipped(source, str(exc))


def is_saved_page_folder(path: Path) -> bool:
    """True for ``X_files`` (or ``X-Dateien``…) holding a browser's copy of ``X.html``'s assets."""
    name = path.name
    for marker in ("_files", "-Dateien", "_fichiers", "_archivos"):
        if name.endswith(marker):
            stem = name[: -len(marker)]
            return any((path.parent / (stem + s)).exists() for s in HTML_SUFFIXES)
    return False


def iter_candidate_files(folder: Path, exclude: Iterable[Path] = ()) -> list[Path]:
    """Files under `folder` with a supported suffix, sorted; hidden and saved-page folders skipped."""
    excluded = [p.resolve() for p in exclude]
    out = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if not path.is_file() or path.suffix.lower() not in SUFFIXES:
            continue
        if any(is_saved_page_folder(parent) for parent in path.parents
               if parent.is_relative_to(folder) and parent != folder):
            continue
        if any(path.resolve().is_relative_to(ex) for ex in excluded):
            continue
        out.append(path)
    return out


def scan_folder(
    folder: Path, max_bytes: int = 20_000_000, exclude: Iterable[Path] = ()
) -> tuple[list[FileEntry], list[Skipped]]:
    """Every supported file under `folder` with its hash; too large or unreadable ones skipped."""
    files: list[FileEntry] = []
    skipped: list[Skipped] = []
    for path in iter_candidate_files(folder, exclude):
        source = path.relative_to(folder).as_posix()
        try:
            size = path.stat().st_size
            if size > max_bytes:
                skipped.append(Skipped(source, f"too large ({size:,} bytes > max_file_bytes "
                                               f"{max_bytes:,})"))
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError as exc:
            skipped.append(Skipped(source, f"cannot be read: {exc.strerror}"))
            continue
        files.append(FileEntry(source, path, digest))
    return files, skipped


def load_folder(
    folder: Path, max_bytes: int = 20_000_000, exclude: Iterable[Path] = ()
) -> tuple[list[Document], list[Skipped]]:
    """Extract every supported file under `folder` in process (no time limit, no cache)."""
    files, skipped = scan_folder(folder, max_bytes, exclude)
    docs = []
    for entry in files:
        try:
            docs.append(Document(entry.source, extract_file(entry.path).text, entry.sha256))
        except UnreadableFile as exc:
            skipped.append(Skipped(entry.source, str(exc)))
    for item in skipped:
        log.warning("skipping %s: %s", item.source, item.reason)
    return docs, skipped
