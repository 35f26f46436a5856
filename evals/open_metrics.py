"""Scoring open answers: key points, supported sentences, exact citations, declines, speed.

Independent of `rag`: this module decides what counts as *supported* by its own,
stricter rule than the one that decides what is shown (`rag.verify`,
`rag.offtopic`), so a lenient product rule cannot grade itself.

* **Key points.** A point is a list of alternative strings; it is matched when one
  alternative occurs in the answer as whole words after `fold` (case, punctuation
  and number words folded). An answer covers its row when at least ``min`` points
  match.
* **Supported sentence** (`strict_support`): every name (a capitalised word not
  opening the sentence) and every number of the sentence occurs verbatim in the
  span(s) it cites, and at least 80 % of its content words do (lower-cased, no
  stemming). A sentence without a marker is unsupported; a line ending with ``:``
  is framing ("12 documents; the 8 most relevant:") and not counted.
* **Citation exactness**: ``document_text[start:end] == quote``.

Example:
    >>> fold("Twenty-Two envoys, in Amman!")
    '22 envoys in amman'
    >>> point_matched(("two envoys", "2 envoys"), "The 2 envoys met.")
    True
    >>> spans = ["The envoys met twice in Amman."]
    >>> strict_support("The envoys met twice in Amman", spans), strict_support("They met in Paris", spans)
    (True, False)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "twice": 2, "once": 1,
}
_STOP = frozenset("""a an the and or but if of to in on at by for with from as is are was were be
    been being it its this that these those there their they them he she his her we you i not no
    do does did has have had will would can could should may might must than then so such which
    who whom whose what when where why how also into over about after before while up out said
    says say""".split())
_MARKED = re.compile(r"((?:\s*\[\d+\])+)([.!?]?[\"'”’)\]]*)")
# a word may end in digits ("km2", "CO2"): one token, not a word and a number
_TOKEN = re.compile(r"[A-Za-z\u00C0-\u024F]+\d*(?:['’][A-Za-z]+)?|\d+(?:[.,]\d+)*")
MIN_CONTENT = 0.8


def fold(text: str) -> str:
    """Lower case, punctuation to spaces, number words to digits ("twenty-two" → 22)."""
    words = re.sub(r"[^\w\s]|_", " ", text.lower().replace("’", "'").replace("'s ", " ")).split()
    out: list[str] = []
    for w in words:
        n = _NUMBER_WORDS.get(w)
        if n is not None and n < 100 and out and out[-1].isdigit() and int(out[-1]) % 10 == 0 \
                and int(out[-1]) >= 20 and n < 10:
            out[-1] = str(int(out[-1]) + n)  # "twenty two" → 22
        else:
            out.append(str(n) if n is not None else w)
    return " ".join(out)


def point_matched(alternatives: Sequence[str], answer: str) -> bool:
    """One alternative occurs in the answer as whole words, after `fold`."""
    folded = f" {fold(answer)} "
    return any(f" {fold(a)} " in folded for a in alternatives if fold(a))


def key_points_hit(points: Sequence[Sequence[str]], answer: str) -> int:
    return sum(1 for alts in points if point_matched(alts, answer))


@dataclass(frozen=True)
class ShownSentence:
    """A sentence of an answer and the numbers of the citations it carries."""

    text: str
    markers: tuple[int, ...]


def shown_sentences(answer: str) -> list[ShownSentence]:
    """Split an answer into its sentences: each ends with its markers (and punctuation);
    text after the last marker of a line is a sentence without one; framing lines
    (ending with ``:``) and bullets' dashes are left out.

    >>> [(s.text, s.markers) for s in shown_sentences("- It rose [1]. It fell [2][3].\\nNo source.")]
    [('It rose.', (1,)), ('It fell.', (2, 3)), ('No source.', ())]
    """
    out: list[ShownSentence] = []
    for line in answer.splitlines():
        line = line.strip()
        if line.startswith(("- ", "* ", "• ")):
            line = line[2:].strip()
        if not line or line.endswith(":"):
            continue
        cursor = 0
        for m in _MARKED.finditer(line):
            body = line[cursor : m.start()].strip()
            marks = tuple(int(x) for x in re.findall(r"\d+", m.group(1)))
            if body:
                out.append(ShownSentence(body + m.group(2), marks))
            cursor = m.end()
        rest = line[cursor:].strip()
        if re.search(r"\w", rest):
            out.append(ShownSentence(rest, ()))
    return out


def _names_and_numbers(sentence: str) -> list[str]:
    tokens = list(_TOKEN.finditer(sentence))
    out = []
    for i, m in enumerate(tokens):
        w = m.group()
        if w[0].isdigit():
            out.append(w)
        elif w[0].isupper() and i > 0 and w.lower() not in _STOP:
            out.append(w)
    return out


def _content(text: str) -> list[str]:
    return [w.lower() for w in _TOKEN.findall(text)
            if w.lower() not in _STOP and not w[0].isdigit() and len(w) > 2]


def strict_support(sentence: str, spans: Sequence[str]) -> bool:
    """Every name and number verbatim in the cited spans, and ≥ 80 % of the content words."""
    if not spans:
        return False
    cited = " ".join(spans)
    for key in _names_and_numbers(sentence):
        # a number may stand in a word ("21st", "km2"); a name is a whole word
        edge = r"\d" if key[0].isdigit() else r"\w"
        if not re.search(rf"(?<!{edge}){re.escape(key)}(?!{edge})", cited):
            return False
    words = _content(sentence)
    if not words:
        return True
    have = set(_content(cited))
    return sum(1 for w in words if w in have) / len(words) >= MIN_CONTENT


def supported_sentences(answer: str, quotes: Sequence[str]) -> tuple[int, int]:
    """(supported, shown) sentences of `answer`, whose markers index `quotes` from 1."""
    sentences = shown_sentences(answer)
    ok = 0
    for s in sentences:
        spans = [quotes[n - 1] for n in s.markers if 1 <= n <= len(quotes)]
        if s.markers and len(spans) == len(s.markers) and strict_support(s.text, spans):
            ok += 1
    return ok, len(sentences)


def plain_sentences(text: str) -> list[str]:
    """The sentences of an answer without markers (the tutorial baseline's), bullets' dashes off.

    >>> plain_sentences("- It rose in 2019. It fell.\\nThen: nothing")
    ['It rose in 2019.', 'It fell.', 'Then: nothing']
    """
    out = []
    for line in text.splitlines():
        line = re.sub(r"^\s*(?:[-*•]|\d+[.)])\s+", "", line.strip())
        out += [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"“(])", line)
                if re.search(r"\w", s)]
    return out


def best_chunk(sentence: str, chunks: Sequence[str]) -> str:
    """The chunk holding most of the sentence's content words (names and numbers first)."""
    words, keys = set(_content(sentence)), set(_names_and_numbers(sentence))

    def overlap(chunk: str) -> tuple[int, int]:
        return (sum(1 for k in keys if k in chunk), len(words & set(_content(chunk))))

    return max(chunks, key=overlap) if chunks else ""


def baseline_supported(answer: str, chunks: Sequence[str]) -> tuple[int, int]:
    """(supported, shown) sentences of an answer without citations: a sentence counts
    when its best-matching retrieved chunk passes `strict_support` (issue 16's rule for
    the tutorial baseline).

    >>> baseline_supported("The envoys met in Amman. They met in Paris.", ["The envoys met in Amman."])
    (1, 2)
    """
    sentences = plain_sentences(answer)
    ok = sum(1 for s in sentences if chunks and strict_support(s, [best_chunk(s, chunks)]))
    return ok, len(sentences)


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile; 0.0 for no values.

    >>> percentile([1.0, 2.0, 3.0, 4.0], 50), percentile([1.0, 2.0, 3.0, 4.0], 95)
    (2.0, 4.0)
    """
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


@dataclass(frozen=True)
class Scored:
    """One open question's outcome."""

    id: str
    kind: str
    split: str
    off_topic: bool
    refused: bool
    covered: bool  # ≥ min key points (on-topic, answered)
    points: int
    supported: int
    sentences: int
    citations: int
    exact: int
    total_s: float
    first_s: float


def summarise(rows: Sequence[Scored]) -> dict[str, float]:
    """The figures of a set of scored rows (on-topic and off-topic rows together).

    >>> r = Scored("x", "topic", "dev", False, False, True, 2, 2, 2, 2, 2, 1.0, 0.5)
    >>> s = summarise([r]); s["key_points"], s["supported"], s["exact"]
    (1.0, 1.0, 1.0)
    """
    on = [r for r in rows if not r.off_topic]
    off = [r for r in rows if r.off_topic]
    shown = sum(r.sentences for r in rows if not r.refused)
    cites = sum(r.citations for r in rows)
    answered = [r for r in rows if not r.refused]
    return {
        "questions": float(len(rows)),
        "on_topic": float(len(on)),
        "key_points": sum(r.covered for r in on) / len(on) if on else 0.0,
        "declined_on_topic": sum(r.refused for r in on) / len(on) if on else 0.0,
        "off_topic": float(len(off)),
        "declined_off_topic": sum(r.refused for r in off) / len(off) if off else 0.0,
        "sentences": float(shown),
        "supported": (sum(r.supported for r in rows if not r.refused) / shown) if shown else 1.0,
        "exact": (sum(r.exact for r in rows) / cites) if cites else 1.0,
        "p50_s": percentile([r.total_s for r in rows], 50),
        "p95_s": percentile([r.total_s for r in rows], 95),
        "first_p50_s": percentile([r.first_s for r in answered], 50),
    }
