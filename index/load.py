"""Read documents from a folder, skipping what cannot be read as text.

A document's text is kept exactly as stored (``newline=""`` semantics: CRLF
and a BOM stay), because citation offsets index into it.

Example:
    >>> from pathlib import Path
    >>> docs, skipped = load_folder(Path("seeds"))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md", ".markdown")


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
    """Turn raw bytes into a `Document`, or say why it is skipped.

    >>> decode_document("a.txt", b"hi\\r\\n")  # doctest: +ELLIPSIS
    Document(source='a.txt', text='hi\\r\\n', sha256='...')
    >>> decode_document("b.txt", b"\\x00\\x01").reason
    'binary file (contains NUL bytes)'
    """
    if b"\x00" in raw[:8192]:
        return Skipped(source, "binary file (contains NUL bytes)")
    try:
        # "utf-8" (not "utf-8-sig") keeps a BOM as U+FEFF, like open(..., encoding="utf-8").
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Skipped(source, f"not UTF-8 text (byte {exc.start}); convert it to UTF-8")
    # Universal-newline-free reading keeps "\r\n"; decoding bytes already does.
    if not text.strip():
        return Skipped(source, "empty file")
    return Document(source, text, hashlib.sha256(raw).hexdigest())


def iter_candidate_files(folder: Path, exclude: Iterable[Path] = ()) -> list[Path]:
    """Files under `folder` with a supported suffix, sorted, hidden folders skipped."""
    excluded = [p.resolve() for p in exclude]
    out = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if not path.is_file() or path.suffix.lower() not in SUFFIXES:
            continue
        if any(path.resolve().is_relative_to(ex) for ex in excluded):
            continue
        out.append(path)
    return out


def load_folder(
    folder: Path, max_bytes: int = 20_000_000, exclude: Iterable[Path] = ()
) -> tuple[list[Document], list[Skipped]]:
    """Load every supported file under `folder`; unreadable ones are skipped with a warning."""
    docs: list[Document] = []
    skipped: list[Skipped] = []
    for path in iter_candidate_files(folder, exclude):
        source = path.relative_to(folder).as_posix()
        size = path.stat().st_size
        if size > max_bytes:
            item: Document | Skipped = Skipped(
                source, f"too large ({size:,} bytes > max_file_bytes {max_bytes:,})"
            )
        else:
            try:
                item = decode_document(source, path.read_bytes())
            except OSError as exc:
                item = Skipped(source, f"cannot be read: {exc.strerror}")
        if isinstance(item, Skipped):
            log.warning("skipping %s: %s", item.source, item.reason)
            skipped.append(item)
        else:
            docs.append(item)
    return docs, skipped
