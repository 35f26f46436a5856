"""The ground floor's shared types: a `Passage`, an exact stretch of a source,
and `ExtractedText`, the one text of a document that passages index into.

The splitter makes them, the store keeps them, retrieval scores them and the
answer cites them: one type for all four, so nothing converts between twins.

Example:
    >>> p = Passage("id1", "a.txt", 4, 9, "hello")
    >>> p.end - p.start == len(p.text)
    True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Passage:
    """A retrieved stretch of a source document.

    `text` is always `document_text[start:end]` (the document's extracted text,
    for .txt/.md the file exactly as stored),
    so a passage can be highlighted in the original without searching for it.
    `score` is the fused retrieval score (higher is better); `dense` and
    `lexical` keep the two components for inspection. `page` is the 1-based
    PDF page the passage lies on (a passage never crosses a page), None for
    formats without pages.
    """

    id: str
    source: str
    start: int
    end: int
    text: str
    score: float = 0.0
    dense: float | None = None
    lexical: float | None = None
    page: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


Range = tuple[int, int]


@dataclass(frozen=True)
class ExtractedText:
    """A document's text as indexed, with where its pages and its content lie.

    `text` is what every offset indexes into (for .txt/.md the file exactly as
    stored). `pages` holds ``(start, end)`` of each PDF page in `text` (empty
    for formats without pages). `ranges` are the parts of `text` that are
    content — for a PDF, each page without its running header, footer and page
    number; ``None`` means "find them with `index.clean`" (plain text).
    `markup` says whether raw HTML in `text` acts when the text is rendered:
    True for Markdown and plain text (a renderer passes it through, so outside
    code a ``<script>`` or a comment is active or hidden), False for text a
    loader extracted from PDF, HTML or DOCX (their markup was decided on
    there; a ``<script>`` left in the text is what the reader sees, e.g. code
    shown on a tutorial page).

    >>> e = ExtractedText("Page one.\\n\\nPage two.", pages=((0, 9), (11, 20)))
    >>> e.page_of(12)
    2
    """

    text: str
    pages: tuple[Range, ...] = ()
    ranges: tuple[Range, ...] | None = None
    markup: bool = True

    def page_of(self, offset: int) -> int | None:
        """The 1-based page holding `offset`, or None for a document without pages."""
        for number, (start, end) in enumerate(self.pages, 1):
            if start <= offset <= end:
                return number
        return None

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "pages": [list(p) for p in self.pages],
                "ranges": None if self.ranges is None else [list(r) for r in self.ranges],
                "markup": self.markup}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ExtractedText:
        ranges = data.get("ranges")
        return cls(
            text=str(data["text"]),
            pages=tuple((int(a), int(b)) for a, b in data.get("pages") or ()),
            ranges=None if ranges is None else tuple((int(a), int(b)) for a, b in ranges),
            markup=bool(data.get("markup", True)),
        )
