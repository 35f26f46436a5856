"""Split content into sentence-aware passages that keep exact offsets.

A passage is a run of whole sentences from one paragraph (a heading or other
short paragraph joins the paragraph after it), at most ``max_chars`` long; a
single sentence longer than that is cut at spaces. Every passage carries
``(start, end)`` into the original file, and its text is exactly
``text[start:end]``.

The sentence splitter is a small regex with an abbreviation list rather than
a package: the maintained options either need downloaded data (nltk punkt) or
lose character offsets, and offsets are the one thing we cannot lose.

Example:
    >>> sentence_spans("The U.S. envoy met Mr. Smith. They talked.", 0, 42)
    [(0, 29), (30, 42)]
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

from index.types import ExtractedText, Passage

_END = re.compile(r"""[.!?]+["'”’)\]]*(?=\s+["'“‘(\[]?[A-Z0-9])|\n(?=\s*(?:[-*•#]|\d+[.)]\s))""")
_PARAGRAPH_BREAK = re.compile(r"\r?\n[ \t]*\r?\n\s*")
_ABBREV = {
    "mr", "mrs", "ms", "dr", "prof", "sen", "rep", "gen", "col", "lt", "sgt", "capt", "st",
    "jr", "sr", "inc", "co", "corp", "ltd", "vs", "etc", "no", "gov", "pres", "rev", "hon",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "fig", "approx", "dept", "est", "mt", "ft", "e.g", "i.e", "cf", "al",
}
_INITIALS = re.compile(r"(?:\b[A-Za-z]\.)+$|\b[A-Z]$")


def passage_id(source: str, start: int, end: int, text: str) -> str:
    """A content-derived id: same file content → same ids (idempotent indexing)."""
    key = f"{source}\x00{start}\x00{end}\x00{text}".encode()
    return hashlib.sha256(key).hexdigest()[:24]


def _is_abbreviation(text: str, dot: int) -> bool:
    before = text[max(0, dot - 12) : dot]
    word = re.split(r"[\s(\[\"'“]", before)[-1]
    return word.lower().rstrip(".") in _ABBREV or bool(_INITIALS.search(word + "."))


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentences of ``text[start:end]`` as absolute, whitespace-trimmed spans.

    A blank line always ends a sentence (a heading has no full stop).
    """
    out: list[tuple[int, int]] = []
    cursor = start
    for para in _PARAGRAPH_BREAK.finditer(text, start, end):
        out.extend(_sentences_in(text, cursor, para.start()))
        cursor = para.end()
    out.extend(_sentences_in(text, cursor, end))
    return out


def _sentences_in(text: str, start: int, end: int) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    cursor = start
    for m in _END.finditer(text, start, end):
        if text[m.start()] == "." and m.end() - m.start() == 1 and _is_abbreviation(text, m.start()):
            continue
        out.append((cursor, m.end()))
        cursor = m.end()
    out.append((cursor, end))
    trimmed = []
    for s, e in out:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            trimmed.append((s, e))
    return trimmed


def _cut_long(text: str, s: int, e: int, max_chars: int) -> list[tuple[int, int]]:
    pieces = []
    while e - s > max_chars:
        cut = text.rfind(" ", s + max_chars // 2, s + max_chars)
        cut = cut if cut > s else s + max_chars
        pieces.append((s, cut))
        s = cut
        while s < e and text[s].isspace():
            s += 1
    pieces.append((s, e))
    return pieces


def split_into_passages(
    source: str,
    text: str,
    ranges: list[tuple[int, int]],
    max_chars: int = 500,
    min_chars: int = 80,
) -> list[Passage]:
    """Group the sentences of each content range into passages of ≤ `max_chars`."""
    groups: list[list[tuple[int, int]]] = []
    carry: list[tuple[int, int]] = []  # a short paragraph waiting to join the next
    for r_start, r_end in ranges:
        sentences: list[tuple[int, int]] = []
        for s, e in sentence_spans(text, r_start, r_end):
            sentences.extend(_cut_long(text, s, e, max_chars))
        if carry and sentences and sentences[0][1] - carry[0][0] > max_chars:
            groups.append(carry)
            carry = []
        current = carry
        carry = []
        for s, e in sentences:
            if current and e - current[0][0] > max_chars:
                groups.append(current)
                current = []
            current.append((s, e))
        if current and current[-1][1] - current[0][0] < min_chars:
            carry = current
        elif current:
            groups.append(current)
    if carry:
        groups.append(carry)
    spans = []
    for group in groups:
        s, e = group[0][0], group[-1][1]
        spans.append(Passage(passage_id(source, s, e, text[s:e]), source, s, e, text[s:e]))
    return spans


def split_extracted(
    source: str, extracted: ExtractedText, max_chars: int = 500, min_chars: int = 80
) -> list[Passage]:
    """Passages of a document's `ExtractedText`; on a PDF, page by page.

    Splitting each page on its own means a short paragraph never joins the
    next page's text, so every passage (and every citation) lies on one page,
    which it names.

    >>> e = ExtractedText("One page.\\n\\nTwo page.", pages=((0, 9), (11, 20)),
    ...                   ranges=((0, 9), (11, 20)))
    >>> [(p.text, p.page) for p in split_extracted("r.pdf", e)]
    [('One page.', 1), ('Two page.', 2)]
    """
    from index.clean import content_ranges

    text = extracted.text
    ranges = list(extracted.ranges) if extracted.ranges is not None else content_ranges(text)
    if not extracted.pages:
        return split_into_passages(source, text, ranges, max_chars, min_chars)
    out: list[Passage] = []
    for number, (p_start, p_end) in enumerate(extracted.pages, 1):
        on_page = [(max(s, p_start), min(e, p_end)) for s, e in ranges if s < p_end and e > p_start]
        for p in split_into_passages(source, text, on_page, max_chars, min_chars):
            out.append(replace(p, page=number))
    return out
