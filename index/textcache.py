"""The extracted text of each indexed document, kept beside the index.

One JSON record per file content, named by the file's sha256 and the extractor
version: a file under ``store_dir/texts`` beside an embedded store
(`TextCache`), a record of the server's ``passages-texts`` collection beside a
Chroma server (`ChromaTextCache`), so every client of the server can show and
check citations. Written atomically (a reader never sees half a text, two
writers of the same content write the same bytes); a file is re-extracted only
when its content changes.

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
from typing import Any

from index.extract import EXTRACTOR_VERSION
from index.store import NO_VECTOR
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


class ChromaTextCache:
    """The same as `TextCache`, as records of a Chroma collection (on a server).

    `collection` is what `PassageStore.side_collection("texts")` returns.
    """

    def __init__(self, collection: Any) -> None:
        self.collection = collection

    @staticmethod
    def _id(sha256: str) -> str:
        return f"{sha256}.v{EXTRACTOR_VERSION}"

    def get(self, sha256: str) -> ExtractedText | None:
        got = self.collection.get(ids=[self._id(sha256)], include=["documents"])
        if not got["ids"]:
            return None
        try:
            return ExtractedText.from_json(json.loads(got["documents"][0]))
        except (ValueError, TypeError, KeyError):
            return None

    def put(self, sha256: str, extracted: ExtractedText) -> None:
        self.collection.upsert(ids=[self._id(sha256)],
                               documents=[json.dumps(extracted.to_json(), ensure_ascii=False)],
                               embeddings=[NO_VECTOR])

    def prune(self, keep: Iterable[str]) -> int:
        wanted = {self._id(sha) for sha in keep}
        gone = [i for i in self.collection.get(include=[])["ids"] if i not in wanted]
        if gone:
            self.collection.delete(ids=gone)
        return len(gone)
