"""The ground floor's shared type: a `Passage`, an exact stretch of a source.

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

    `text` is always `source_text[start:end]` of the file exactly as stored,
    so a passage can be highlighted in the original without searching for it.
    `score` is the fused retrieval score (higher is better); `dense` and
    `lexical` keep the two components for inspection.
    """

    id: str
    source: str
    start: int
    end: int
    text: str
    score: float = 0.0
    dense: float | None = None
    lexical: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
