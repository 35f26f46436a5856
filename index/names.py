"""The names a question asks about, and whether a corpus holds them anywhere.

A question that names something the indexed documents never mention ("the
capital of France" asked of an article about Syria) is not about them. To tell,
the corpus's words are gathered once, when the retriever is built
(`NameVocabulary.from_texts` over its passages), and the question's names are
looked up in them, folding what spells one name several ways:

* case and diacritics ("beyonce" = "Beyoncé"), possessives ("Tesla's"),
  hyphens ("Franco-Prussian" = "Franco Prussian"), plurals and other endings
  (Snowball stems, and a name may begin a corpus word: "Jordan" ↔ "Jordanian");
* abbreviations: "U.S." = "US" = the initials of "United States", in either
  direction (the corpus's capitalised runs give their initials).

A name is a capitalised word that does not start the question (a question's
first word is usually an ordinary word: "Which", "Name", "In"), an acronym
anywhere, or — with ``numbers=True`` — a number of two digits or more.

Example:
    >>> vocab = NameVocabulary.from_texts(["The U.S. envoy met Russia's envoy in Amman."])
    >>> [n.text for n in question_names("Who did the United States send to Amman?")]
    ['United States', 'Amman']
    >>> absent_names("Who did the United States send to Amman?", vocab)
    []
    >>> absent_names("What is the capital of France?", vocab)
    ['France']
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass

from index.text import QUESTION_WORDS, STOPWORDS, normalise

# A dotted abbreviation ("U.S.", "U.K."), a word (with an apostrophe part), or a number.
_TOKEN = re.compile(
    r"(?:[A-Za-z]\.){2,}|[A-Za-z\u00C0-\u024F]+(?:['’][A-Za-z]+)?|\d+(?:[.,]\d+)*"
)
# Lower-case words that may sit inside one name: "University of Chicago", "Leonardo da Vinci".
_LINKS = frozenset("of de da di del der van von la le du y and the for".split())
_ACRONYM = re.compile(r"(?:[A-Z]\.){2,}|[A-Z]{2,}")
# A run of capitalised words, linking words inside: "Food and Drug Administration".
_RUN = re.compile(r"[A-Z][a-z]*(?:[ \t]+(?:of[ \t]+|and[ \t]+|the[ \t]+|for[ \t]+)?[A-Z][a-z]*)+")
# What ends a sentence (or a clause a name cannot run across) in a question.
_BREAK = re.compile(r"[.!?:;\"“”()\[\]]\s*$")


def fold(word: str) -> str:
    """A word's comparable form: diacritics, case, possessive and ending folded.

    >>> fold("Beyoncé's"), fold("Normans"), fold("U.S.")
    ('beyonc', 'norman', 'us')
    """
    plain = word
    if not word.isascii():
        plain = "".join(c for c in unicodedata.normalize("NFKD", word)
                        if not unicodedata.combining(c))
    if re.fullmatch(r"(?:[A-Za-z]\.){2,}", plain):
        return plain.replace(".", "").lower()
    return normalise(plain)


def _is_acronym(token: str) -> bool:
    letters = token.replace(".", "")
    return len(letters) >= 2 and letters.isalpha() and letters.isupper()


@dataclass(frozen=True)
class Name:
    """One name of a question: its text, its folded words and its initials."""

    text: str
    words: tuple[str, ...]
    initials: str  # "us" for "United States" and for "U.S."; "" for a one-word name

    @property
    def is_number(self) -> bool:
        return len(self.words) == 1 and self.words[0][:1].isdigit()


def question_names(question: str, numbers: bool = False) -> list[Name]:
    """The names of `question`: runs of capitalised words (with linking words inside
    such as "of"), acronyms, and with `numbers` numbers of two digits or more.

    >>> [n.text for n in question_names("When did the University of Chicago admit women?")]
    ['University of Chicago']
    >>> [n.text for n in question_names("Beyonce's first album sold how many copies in 2003?",
    ...                                 numbers=True)]
    ['2003']
    """
    toks = list(_TOKEN.finditer(question))
    names: list[Name] = []
    run: list[re.Match[str]] = []

    def close() -> None:
        while run and run[-1].group().lower() in _LINKS:
            run.pop()
        if run:
            text = question[run[0].start() : run[-1].end()]
            caps = [m.group() for m in run if m.group().lower() not in _LINKS]
            initials = ""
            if len(caps) > 1:
                initials = "".join(w[0] for w in caps).lower()
            elif _is_acronym(caps[0]):
                initials = caps[0].replace(".", "").lower()
            names.append(Name(text, tuple(fold(w) for w in caps), initials))
        run.clear()

    for i, m in enumerate(toks):
        w = m.group()
        gap = question[toks[i - 1].end() : m.start()] if i else ""
        starts = i == 0 or bool(_BREAK.search(gap))
        if run and ("," in gap or starts):
            close()
        lw = w.lower()
        if w[0].isdigit():
            close()
            if numbers and len(w.replace(",", "").replace(".", "")) >= 2:
                names.append(Name(w, (fold(w),), ""))
            continue
        capital = w[0].isupper() and lw not in QUESTION_WORDS
        if _is_acronym(w) or (capital and not starts and lw not in STOPWORDS):
            run.append(m)
        elif run and lw in _LINKS and not starts:
            run.append(m)
        else:
            close()
    close()
    return names


class NameVocabulary:
    """Every folded word of a corpus, and the initials of its abbreviations and
    capitalised runs: what `absent_names` looks a question's names up in.

    >>> v = NameVocabulary.from_texts(["Talks in the United States began."])
    >>> v.holds(question_names("Who met in the U.S.?")[0])
    True
    """

    def __init__(self, words: Iterable[str], initials: Iterable[str]) -> None:
        self.words = frozenset(words)
        self._sorted = sorted(self.words)
        self.initials = frozenset(initials)

    @classmethod
    def from_texts(cls, texts: Iterable[str]) -> NameVocabulary:
        """Build from the corpus's passages.

        Cheap beside the retriever's own build: the text is split once, each
        distinct token is folded once, and capitalised runs are found by one
        simple pattern (on SQuAD-dev's 962 passages about a twentieth of the time
        BM25's tokenising takes).
        """
        big = "\n".join(texts)
        raw = set(big.split())
        words: set[str] = set()
        initials: set[str] = set()
        for token in raw:
            words.update(_TOKEN.findall(token))
            if _ACRONYM.fullmatch(token.strip(",;:()[]\"'“”‘’!?")):
                initials.add(token.strip(",;:()[]\"'“”‘’!?").replace(".", "").lower())
        for run in _RUN.findall(big):
            caps = [w for w in run.split() if w.lower() not in _LINKS]
            if len(caps) > 1:
                initials.add("".join(w[0] for w in caps).lower())
        return cls({fold(w) for w in words}, initials)

    def _begins_word(self, term: str) -> bool:
        i = bisect_left(self._sorted, term)
        return i < len(self._sorted) and self._sorted[i].startswith(term)

    def holds_word(self, term: str) -> bool:
        """The folded word occurs, or (4+ letters) begins a corpus word, or is one with
        a letter or two more ("Iraqi" ↔ "Iraq"), or shares all but its last three
        letters with one ("Jordanian" ↔ "Jordan").

        >>> v = NameVocabulary.from_texts(["Iraq and Lebanon and Jordanians."])
        >>> [v.holds_word(fold(w)) for w in ("Iraqi", "Lebanese", "Jordan", "Iran")]
        [True, True, True, False]
        """
        if term in self.words:
            return True
        if term[:1].isdigit() or len(term) < 4:
            return False
        if len(term) >= 5 and (term[:-1] in self.words or term[:-2] in self.words):
            return True  # "Asian" ↔ "Asia", "Iraqi" ↔ "Iraq"
        # a shared stem of all but the last three letters: "Lebanese" ↔ "Lebanon"
        return self._begins_word(term) or (
            len(term) >= 6 and self._begins_word(term[: max(5, len(term) - 3)]))

    def holds(self, name: Name) -> bool:
        """The corpus mentions `name`: all its words, or its initials as an abbreviation."""
        if name.initials and (name.initials in self.initials or name.initials in self.words):
            return True
        return all(self.holds_word(w) for w in name.words)


def absent_names(question: str, vocabulary: NameVocabulary, numbers: bool = False) -> list[str]:
    """The names of `question` that `vocabulary` (a corpus) never mentions."""
    return [n.text for n in question_names(question, numbers) if not vocabulary.holds(n)]
