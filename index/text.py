"""Word-level text normalisation shared by BM25 retrieval and citation checks.

Words are lower-cased, stemmed with Snowball (PyStemmer), and spelled-out
numbers become digits, so "two envoys" and "2 envoy" match. Stop words are
dropped. `key_terms` keeps what must never be invented: numbers and
capitalised names.

Example:
    >>> content_terms("The envoys met twice in Amman")
    ['envoy', 'meet', '2', 'amman']
    >>> sorted(key_terms("Talks began in May with 40 officials"))
    ['40', 'may']
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[A-Za-z\u00C0-\u024F]+(?:['’][A-Za-z]+)?|\d+(?:[.,]\d+)*")

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how
    i if in into is it its itself just me more most my myself no nor not now of off on
    once only or other our ours ourselves out over own same she should so some such than
    that the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves also said says say according per via would
    may might must shall upon whose let lets""".split()
)
# question words carry no content of the answer
QUESTION_WORDS = frozenset("what which who whom whose when where why how many much".split())

_NUMBER_WORDS = {
    "zero": "0", "one": "1", "once": "1", "two": "2", "twice": "2", "three": "3",
    "thrice": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20",
    "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100", "thousand": "1000",
    "million": "1000000", "billion": "1000000000", "dozen": "12", "dozens": "12",
    "half": "0.5",
}
# Irregular past forms → base form, so "met" matches "meet" and "held" matches "hold".
_IRREGULAR = {
    "met": "meet", "said": "say", "told": "tell", "held": "hold", "made": "make",
    "took": "take", "taken": "take", "gave": "give", "given": "give", "went": "go",
    "gone": "go", "came": "come", "saw": "see", "seen": "see", "found": "find",
    "began": "begin", "begun": "begin", "brought": "bring", "thought": "think",
    "led": "lead", "left": "leave", "won": "win", "lost": "lose", "fought": "fight",
    "sought": "seek", "built": "build", "sent": "send", "spent": "spend", "kept": "keep",
    "paid": "pay", "sold": "sell", "bought": "buy", "ran": "run", "wrote": "write",
    "written": "write", "spoke": "speak", "spoken": "speak", "chose": "choose",
    "chosen": "choose", "rose": "rise", "risen": "rise", "fell": "fall", "fallen": "fall",
    "struck": "strike", "stood": "stand", "understood": "understand", "meant": "mean",
    "knew": "know", "known": "know", "grew": "grow", "grown": "grow", "drew": "draw",
    "drawn": "draw", "broke": "break", "broken": "break", "shown": "show", "killed": "kill",
    "flew": "fly", "fled": "flee", "hid": "hide", "hidden": "hide", "bore": "bear",
}
_MONTHS = frozenset(
    "january february march april may june july august september october november december".split()
)


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Raw word tokens (letters or digits), in order."""
    return _WORD.findall(text)


def normalise(word: str) -> str:
    """One word → its comparable form (number → digits, else lower-case stem)."""
    w = word.lower().replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    if w in _NUMBER_WORDS:
        return _NUMBER_WORDS[w]
    if w[:1].isdigit():
        return w.replace(",", "")
    return str(_stemmer().stemWord(_IRREGULAR.get(w, w)))


def holds(term: str, terms: frozenset[str] | set[str]) -> bool:
    """`term` is among `terms`, or (for names) begins one: "jordan" ↔ "jordanian".

    >>> holds("jordan", {"jordanian", "capit"}), holds("iraq", {"iran"})
    (True, False)
    """
    if term in terms:
        return True
    return len(term) >= 4 and not term.isdigit() and any(t.startswith(term) for t in terms)


def content_terms(text: str) -> list[str]:
    """Normalised words minus stop words, in order (duplicates kept)."""
    out = []
    for w in words(text):
        lw = w.lower()
        if lw in _NUMBER_WORDS:  # "may" is a stop word, "one" is a number
            out.append(_NUMBER_WORDS[lw])
        elif lw not in STOPWORDS and (len(lw) > 1 or lw.isdigit()):
            out.append(normalise(w))
    return out


def key_terms(text: str) -> set[str]:
    """Numbers and capitalised words (names, months) that an answer must not invent.

    A capitalised first word of a sentence is not taken for a name (it is
    usually an ordinary word); it still counts as a content word.
    """
    keys: set[str] = set()
    toks = list(re.finditer(_WORD, text))
    for i, m in enumerate(toks):
        w = m.group()
        lw = w.lower()
        if w[0].isdigit():
            keys.add(normalise(w))
        elif w[0].isupper() and lw not in STOPWORDS | QUESTION_WORDS:
            starts_sentence = i == 0 or re.search(r"[.!?:]\s*$", text[toks[i - 1].end() : m.start()])
            if not starts_sentence or w.isupper() or lw in _MONTHS:
                keys.add(normalise(w))
        elif lw in _MONTHS and w[0].isupper():
            keys.add(lw)
    return keys
