"""Files users add through the web chat: saved under a safe name, on record, removable.

Uploads go to ``corpus_dir/uploads/`` and are indexed like any other file.
A name is made safe before it touches the disk: only its last path part is
kept (no ``../``, no absolute path), Unicode is normalised (NFKC) and control
and format characters (bidi overrides, zero-width joiners) are dropped, a
leading dot is removed (no hidden files). A taken name gets a suffix
(``report (2).pdf``): the file is written under a hidden temporary name and
then hard-linked to its final name, which fails if the name exists, so two
users uploading "report.pdf" at once both keep their file.

A record (``uploads/.uploads.json``) lists what was uploaded; `remove`
deletes only files on it, never the user's own documents.

Example:
    >>> import tempfile
    >>> up = Uploads(Path(tempfile.mkdtemp()), [".txt"], 1000)
    >>> src = Path(tempfile.mkdtemp()) / "x.txt"; _ = src.write_text("hi")
    >>> up.save("../../etc/notes.txt", src)
    'uploads/notes.txt'
    >>> up.save("notes.txt", src)
    'uploads/notes (2).txt'
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from index.errors import UploadRefused

FOLDER = "uploads"
RECORD = ".uploads.json"
_UNSAFE = re.compile(r"[^\w.\-()+,' ]+")


def safe_name(name: str) -> str:
    """A file name that cannot escape its folder or hide.

    >>> safe_name("/etc/passwd.txt"), safe_name("..\\\\..\\\\a.PDF"), safe_name("r\\u202egnp.exe.txt")
    ('passwd.txt', 'a.pdf', 'rgnp.exe.txt')
    >>> safe_name("...")
    'upload'
    """
    base = unicodedata.normalize("NFKC", name).replace("\\", "/").split("/")[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = _UNSAFE.sub("_", base).strip(" .")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = stem.strip(" .")[:120] or "upload"
    return stem + ("." + suffix.lower() if suffix else "")


class Uploads:
    """Saves, lists and removes uploaded files under ``corpus_dir/uploads``."""

    def __init__(self, corpus_dir: Path, allowed_types: Iterable[str], max_bytes: int) -> None:
        self.corpus_dir = Path(corpus_dir)
        self.folder = self.corpus_dir / FOLDER
        self.allowed = tuple(t.lower() for t in allowed_types)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()  # the record is read-modify-written

    def save(self, name: str, content: Path) -> str:
        """Copy `content` in as `name` (made safe, suffixed if taken); return its source."""
        clean = safe_name(name)
        suffix = Path(clean).suffix
        if suffix not in self.allowed:
            raise UploadRefused(f"{name}: {suffix or 'no'} file type is not accepted "
                                f"(accepted: {', '.join(self.allowed)})")
        size = content.stat().st_size
        if size > self.max_bytes:
            raise UploadRefused(f"{name}: too large ({size:,} bytes > max_upload_bytes "
                                f"{self.max_bytes:,})")
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".part-")
        os.close(fd)
        try:
            shutil.copyfile(content, tmp)
            final = self._link_free_name(Path(tmp), clean)
        finally:
            Path(tmp).unlink(missing_ok=True)
        source = final.relative_to(self.corpus_dir).as_posix()
        with self._lock:
            record = self.uploaded()
            self._write_record(sorted({*record, source}))
        return source

    def _link_free_name(self, tmp: Path, clean: str) -> Path:
        stem, suffix = Path(clean).stem, Path(clean).suffix
        for n in range(1, 10_000):
            target = self.folder / (clean if n == 1 else f"{stem} ({n}){suffix}")
            try:
                os.link(tmp, target)  # atomic, and fails when the name is taken
                return target
            except FileExistsError:
                continue
        raise UploadRefused(f"{clean}: too many files with this name")

    def uploaded(self) -> list[str]:
        """Sources of uploaded files that are still there."""
        try:
            names = json.loads((self.folder / RECORD).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        return [s for s in names if (self.corpus_dir / s).is_file()]

    def remove(self, source: str) -> None:
        """Delete an uploaded file; anything else is refused."""
        path = (self.corpus_dir / source).resolve()
        with self._lock:
            record = self.uploaded()
            if source not in record or not path.is_relative_to(self.folder.resolve()):
                raise UploadRefused(f"{source} was not uploaded here, so it is not removed "
                                    "(only uploaded files can be removed in the chat)")
            path.unlink(missing_ok=True)
            self._write_record([s for s in record if s != source])

    def _write_record(self, names: list[str]) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".record-")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(names, fh, ensure_ascii=False, indent=1)
        os.replace(tmp, self.folder / RECORD)
