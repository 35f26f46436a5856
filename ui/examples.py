"""Example questions for a first-time user, derived from the indexed documents.

Nothing about any particular corpus is written here: the questions are built
from generic templates filled with what the documents themselves show — a
document's title line, and the names mentioned most often across the corpus.
A deployment may pass its own list to `ui.build_ui(..., examples=[...])`.

Example:
    >>> docs = {"a.txt": "Harbour plans\\n\\nThe port of Elm met Oak. Then Elm and Oak agreed."}
    >>> for q in example_questions(docs):
    ...     print(q)
    What is "Harbour plans" about?
    What do the documents say about Elm?
    What do the documents say about Oak?
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping

# A name: one or more capitalised words ("Golan Heights", "U.S."), not the
# first word of a sentence (that is capitalised for grammar, not meaning).
_NAME = re.compile(r"(?<![.!?\n]\s)(?<!^)\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+)*)")
_COMMON = {
    "The", "This", "That", "These", "Those", "There", "It", "He", "She", "They", "We", "You",
    "In", "On", "At", "But", "And", "Or", "If", "When", "What", "Who", "Which", "How", "Why",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "Post", "Comment", "Previous", "Next", "Share", "Read", "More",
}
MAX_TITLE = 80
SAMPLE_CHARS = 200_000  # only the start of each document is read: cheap on big corpora


def _title(text: str) -> str | None:
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if line:
            return line if 8 <= len(line) <= MAX_TITLE and not line.endswith(".") else None
    return None


def example_questions(documents: Mapping[str, str], limit: int = 3) -> list[str]:
    """Up to `limit` questions a newcomer could ask about these documents.

    `documents` maps a source name to its text (only the start is read).
    """
    out: list[str] = []
    names: Counter[str] = Counter()
    for text in documents.values():
        sample = text[:SAMPLE_CHARS]
        title = _title(sample)
        if title and len(out) < max(1, limit // 3):
            out.append(f'What is "{title}" about?')
        for match in _NAME.finditer(sample):
            name = match.group(1)
            if name.split()[0] not in _COMMON and len(name) >= 3:
                names[name] += 1
    for name, count in names.most_common():
        if len(out) >= limit or count < 2:
            break
        out.append(f"What do the documents say about {name}?")
    return out[:limit]
