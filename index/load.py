"""Find a folder's documents and say which cannot be indexed, and why.

`scan_folder` lists the supported files (see `index.extract.SUFFIXES`) with
the sha256 of their bytes, so a sync extracts only what changed; files too
large are skipped here. Hidden folders are skipped, and so is the folder of
images and scripts a browser's "save page as" writes beside a page
(``Page_files/`` next to ``Page.html``).

The corpus stays inside its folder: a symbolic link that resolves outside it
(planted by an unpacked archive or a shared folder: ``x.txt -> /etc/passwd``)
and a special file (FIFO, socket, device) are skipped with a reason and never
opened — opening a FIFO would block. Links to files inside the corpus are
followed. Folders behind links are not walked.

Example:
    >>> from pathlib import Path
    >>> files, skipped = scan_folder(Path("seeds"))  # doctest: +SKIP
    >>> docs, skipped = load_folder(Path("seeds"))   # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import logging
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from index.errors import UnreadableFile
from index.extract import HTML_SUFFIXES, SUFFIXES, extract_file, read_regular
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
    forbidden: bool = False  # must not be read at all: anything indexed from it leaves


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


def outside_reason(path: Path, root: Path) -> str | None:
    """Why `path` must not be read as part of the corpus at `root`, or None when it may.

    >>> outside_reason(Path("/etc/hostname"), Path("/srv/corpus"))
    'a link to a file outside the corpus folder (not read)'
    """
    try:
        target = path.resolve(strict=True)
        mode = target.stat().st_mode
    except (OSError, RuntimeError):
        return None  # a broken link or a vanished file: reading it says why
    if not target.is_relative_to(root.resolve()):
        return "a link to a file outside the corpus folder (not read)"
    if not stat.S_ISREG(mode):
        return "not a regular file (a FIFO, socket or device; not read)"
    return None


def _supported(folder: Path, exclude: Iterable[Path]) -> list[Path]:
    """Everything but folders under `folder` with a supported suffix, sorted; hidden and
    saved-page folders skipped."""
    excluded = [p.resolve() for p in exclude]
    out = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.is_dir() or path.suffix.lower() not in SUFFIXES:
            continue
        if any(is_saved_page_folder(parent) for parent in path.parents
               if parent.is_relative_to(folder) and parent != folder):
            continue
        if any(path.resolve().is_relative_to(ex) for ex in excluded):
            continue
        out.append(path)
    return out


def iter_candidate_files(folder: Path, exclude: Iterable[Path] = ()) -> list[Path]:
    """Regular files under `folder` (or links to ones inside it) with a supported suffix."""
    return [p for p in _supported(folder, exclude)
            if p.is_file() and outside_reason(p, folder) is None]


def scan_folder(
    folder: Path, max_bytes: int = 20_000_000, exclude: Iterable[Path] = ()
) -> tuple[list[FileEntry], list[Skipped]]:
    """Every supported file under `folder` with its hash; too large, unreadable, special
    or outside ones skipped."""
    files: list[FileEntry] = []
    skipped: list[Skipped] = []
    for path in _supported(folder, exclude):
        source = path.relative_to(folder).as_posix()
        refused = outside_reason(path, folder)
        if refused:
            skipped.append(Skipped(source, refused, forbidden=True))
            continue
        try:
            size = path.stat().st_size
            if size > max_bytes:
                skipped.append(Skipped(source, f"too large ({size:,} bytes > max_file_bytes "
                                               f"{max_bytes:,})"))
                continue
            digest = hashlib.sha256(read_regular(path)).hexdigest()
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
