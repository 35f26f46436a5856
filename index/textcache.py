"""The extracted text of each indexed document, kept beside the index.

One JSON file per file content, named by the file's sha256 and the extractor
version, under ``store_dir/texts``: it exists whether the vectors live in a
local Chroma folder or on a Chroma server, it is written atomically (a reader
never sees half a file, two writers of the same content write the same
bytes), and a file is re-extracted only when its content changes.

Example:
    >>> import tempfile
    >>> cache = TextCache(Path(tempfile.mkdtemp()))
    >>> cache.put("ab12", ExtractedText("hello"))
    >>> cache.get("ab12").text
    'hello'
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from index.extract import EXTRACTOR_VERSION
from index.types import ExtractedText

FOLDER = "texts"


class TextCache:
    """sha256 of a file → its `ExtractedText`, as files under `folder`."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _path(self, sha256: str) -> Path:
        return self.folder / f"{sha256}.v{EXTRACTOR_VERSION}.json"

    def get(self, sha256: str) -> ExtractedText | None:
        try:
            data = json.loads(self._path(sha256).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return ExtractedText.from_json(data)

    def put(self, sha256: str, extracted: ExtractedText) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
                json.dump(extracted.to_json(), fh, ensure_ascii=False)
            os.replace(tmp, self._path(sha256))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def prune(self, keep: Iterable[str]) -> int:
        """Delete texts of contents no longer indexed; return how many went."""
        wanted = {self._path(sha).name for sha in keep}
        gone = 0
        for path in self.folder.glob("*.json") if self.folder.is_dir() else ():
            if path.name not in wanted:
                path.unlink(missing_ok=True)
                gone += 1
        return gone
