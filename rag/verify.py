"""Tie an answer to an exact span of what the model read, and check the fit.

Citations never depend on the model writing markers. The reader's answer is a
phrase; `locate_answer` finds the sentence of the text the model read that
holds it as written (with focused reading each item the model read is one
sentence; with ``context_mode: full`` it reads whole passages, and a phrase
running across two adjacent sentences is cited with both), or failing that the
span that best *supports* it:

* the span is about the question (it holds some of the question's words),
* every number and name of the answer appears in the span (or in the
  question, which the user supplied), and
* most of the answer's new content words — those not already in the
  question — appear in the span, and so do most of the words it borrows
  from the question.

An answer no span holds is never shown. What is shown (`answer_with_citation`)
keeps three invariants: the shown phrase lies in its cited span, folding only
case and whitespace (else the span's sentence is shown in its place); a phrase
of the wrong kind — not a date for "when" or "what year", not a quantity for
"how many" or "how far" — is not shown (nor a sentence without one); and of
several entities the sentence coordinates, the phrase is the one whose role
the question names (`rag.roles`). How well the span fits (names of the
question it lacks, its share of the question's words) feeds the decline
decision (`rag.decide`). Planted instructions are never candidates.

Example:
    >>> p = Passage("p1", "a.txt", 0, 37, "The zone could turn into a safe area.")
    >>> loc = locate_answer("a safe area", "What could the zone turn into?", [p])
    >>> answer_with_citation("a safe area", loc).text
    'a safe area [1] — "The zone could turn into a safe area."'
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from index.injection import looks_like_instruction
from index.text import QUESTION_WORDS, content_terms, holds, key_terms
from rag.reader import SplitSpan, split_span
from rag.roles import resolve
from rag.types import Citation, Passage

DECLINE_TEXT = "The documents don't say, so I won't guess."

# Fraction of an answer sentence's new content words that its span must hold.
MIN_NOVEL_COVERAGE = 0.6
# Fraction of the words a sentence borrows from the question that its span must
# hold: "Jordan uses the Russian currency" borrows "currency" from the question,
# and a span that never mentions a currency cannot support it.
MIN_BORROWED_COVERAGE = 0.6
# Fraction of the question's words (content words and names) any supporting span
# must hold: a bare "Iran" is supported by any span naming Iran, but only a span
# about the question can support it as an answer.
MIN_RELEVANCE = 0.3

_WH = re.compile(r"\b(?:what|which|who|whom|whose|where|when|why|how)\b", re.I)
_ASKS_QUANTITY = re.compile(
    r"^how\s+(?:many|much|far|long|old|big|large|tall|high|wide|deep|heavy|fast|often)\b|"
    r"^(?:what|which)\s+(?:number|percentage|percent|proportion|fraction|share|amount|"
    r"quantity|size|distance|length|age|population)\b", re.I)
_ASKS_YEAR = re.compile(
    r"^(?:what|which)\s+(?:(?:exact|specific|precise|particular)\s+)?"
    r"(?:date|day|year|month|century|decade)\b", re.I)
_ASKS_WHEN = re.compile(r"^when\b", re.I)
_NUMBER_WORD = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    r"fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    r"eighty|ninety|hundreds?|thousands?|millions?|billions?|trillions?|dozens?|scores?")
_ORDINAL = (r"second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|"
            r"\w+teenth|\w+ieth|hundredth|thousandth")
_QUANTITY = re.compile(
    r"\d|\b(?:" + _NUMBER_WORD + r"|half|quarter|third|several|few|many|much|more|less|most|"
    r"once|twice|thrice|some|tens|no|none|single|all|every|little|entire|whole|both|"
    r"double|triple|majority|minority|percent|per|lot|lots|numerous|countless|\w+fold)\b", re.I)
_TIME = re.compile(
    r"\d|\b(?:" + _NUMBER_WORD + r"|january|february|march|april|may|june|july|august|"
    r"september|october|november|december|monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|today|yesterday|tomorrow|tonight|week|weeks|month|months|year|years|"
    r"day|days|hours?|ago|soon|since|until|till|before|after|during|earlier|later|recently|"
    r"decades?|century|centuries|morning|evening|night|noon|midnight|spring|summer|autumn|"
    r"fall|winter|age|era|period|reign|time|times|first|last|when|while|once|now|then|"
    r"early|late|mid|end|beginning|start|" + _ORDINAL + r"|medieval|ancient|modern|\w+cene)\b",
    re.I)


def asked_type(question: str) -> str:
    """What kind of answer the question asks for: "year" (a date, a year, a century),
    "when" (a time), "quantity" (how many / much / far / long / old), or "".

    The question word that counts is the first one of the clause holding the last
    question word, so a leading "When X happens, what ..." asks a "what".

    >>> [asked_type(q) for q in ("On what exact date did they meet?", "How far is X from Y?",
    ...  "When did they meet?", "When it rains, what closes?", "When X ends what starts?")]
    ['year', 'quantity', 'when', '', '']
    """
    clauses = [c for c in re.split(r"[,;:]", question) if _WH.search(c)]
    if not clauses:
        return ""
    clause = clauses[-1]
    found = list(_WH.finditer(clause))
    # "When X happens, it becomes what?": a later question word asks
    first = found[1] if len(found) > 1 and found[0].group().lower() == "when" else found[0]
    rest = clause[first.start():].strip()
    if _ASKS_QUANTITY.search(rest):
        return "quantity"
    if _ASKS_YEAR.search(rest):
        return "year"
    return "when" if _ASKS_WHEN.search(rest) else ""


def answers_the_type(question: str, text: str) -> bool:
    """A "how many" answer holds a quantity; a "when" answer a time; a "what year"
    or "what date" answer a number or a month.

    >>> answers_the_type("How many envoys met?", "Two envoys met.")
    True
    >>> answers_the_type("When did they meet?", "The envoys met in Amman.")
    False
    >>> answers_the_type("On what exact date did they meet?", "Amman")
    False
    """
    kind = asked_type(question)
    if kind == "quantity":
        return bool(_QUANTITY.search(text))
    if kind == "year":
        return bool(re.search(r"\d|\b(?:" + _NUMBER_WORD + "|" + _ORDINAL + r"|first|"
                              r"january|february|march|april|may|june|july|august|september|"
                              r"october|november|december)\b", text, re.I))
    if kind == "when":
        return bool(_TIME.search(text))
    return True


@dataclass(frozen=True)
class Verified:
    text: str
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    reason: str = ""


@dataclass(frozen=True)
class _Candidate:
    rank: int  # 1-based number of the passage in the prompt
    passage: Passage
    start: int  # absolute offsets in the source
    end: int
    terms: frozenset[str]


def _candidates(context: Sequence[Passage | SplitSpan]) -> list[_Candidate]:
    out = []
    for rank, item in enumerate(context, 1):
        # split once, by the reader (`Reading.sentences`); a bare passage is split here
        split = item if isinstance(item, SplitSpan) else split_span(item)
        p, spans, planted = split.span, split.sentences, split.planted
        # an instruction planted in a document is never evidence, alone or in a pair
        singles = [sp for sp, bad in zip(spans, planted, strict=True) if not bad]
        pairs = [(a[0], b[1]) for a, b, bad_a, bad_b
                 in zip(spans, spans[1:], planted, planted[1:], strict=False)
                 if not (bad_a or bad_b) and not looks_like_instruction(split.text(a[0], b[1]))]
        for s, e in singles + pairs:
            out.append(_Candidate(rank, p, s, e, terms_of(split.text(s, e))))
    return out


def terms_of(text: str) -> frozenset[str]:
    """Everything of a span a sentence may be matched against."""
    return frozenset(content_terms(text)) | frozenset(key_terms(text))


def _question_terms(question: str) -> set[str]:
    return {t for t in content_terms(question) if t not in QUESTION_WORDS}


def support(
    sentence: str, question: str, span_terms: frozenset[str], retrieved: bool = False
) -> float:
    """How well a span supports a sentence: 0 when it does not, else coverage in (0, 1].

    >>> span = terms_of("The U.S. envoy, Michael Ratney, met them.")
    >>> support("The U.S. envoy is Michael Ratney.", "Who is the U.S. envoy?", span)
    1.0
    >>> support("The U.S. envoy is John Smith.", "Who is the U.S. envoy?", span)
    0.0

    `retrieved` says the span's passage was among the best retrieved for the
    question, which vouches for its relevance when the question is a paraphrase.
    """
    q = _question_terms(question) | key_terms(question)
    claim = set(content_terms(sentence))
    keys = key_terms(sentence)
    if not claim or any(not holds(k, span_terms) and k not in q for k in keys):
        return 0.0
    if not answers_the_type(question, sentence):
        return 0.0
    relevance = len(q & span_terms) / len(q) if q else 1.0
    if relevance < MIN_RELEVANCE and not retrieved:
        return 0.0
    borrowed = claim & q
    if borrowed and len(borrowed & span_terms) / len(borrowed) < MIN_BORROWED_COVERAGE:
        return 0.0
    novel = claim - q
    if not novel:  # the sentence restates the question: the span must be about it
        return question_coverage(question, span_terms)
    coverage = len(novel & span_terms) / len(novel)
    return coverage if coverage >= MIN_NOVEL_COVERAGE else 0.0


# Fraction of the question's content words a span must hold to be about it when
# the answer only restates the question.
MIN_QUESTION_COVERAGE = 0.6


def question_coverage(question: str, span_terms: frozenset[str]) -> float:
    """Share of the question's content words (and all its names) found in a span."""
    q = _question_terms(question)
    if not q or any(not holds(k, span_terms) for k in key_terms(question)):
        return 0.0
    coverage = len(q & span_terms) / len(q)
    return coverage if coverage >= MIN_QUESTION_COVERAGE else 0.0


def _with_marker(sentence: str, n: int) -> str:
    m = re.search(r"[.!?]+[\"'”’)]*$", sentence)
    if m:
        return f"{sentence[: m.start()]} [{n}]{sentence[m.start():]}"
    return f"{sentence} [{n}]"


@dataclass(frozen=True)
class Located:
    """Where an extracted answer stands in what the model read, and how well it fits."""

    citation: Citation | None
    verbatim: bool = False  # the phrase occurs as written (case and spacing aside)
    support: float = 0.0  # `support` of the phrase by the cited span
    question_cover: float = 0.0  # share of the question's words in the cited span
    keys_missing_span: int = 0  # question names/numbers absent from the cited span
    keys_missing_context: int = 0  # ... absent from everything the model read
    echo: float = 0.0  # share of the answer's words that are the question's own
    # The phrase to show: the answer, or the one entity of the cited sentence the
    # question asks for when the sentence names several (`rag.roles`); "" = the answer.
    phrase: str = ""
    phrase_type_ok: bool = True  # the phrase is what the question asks for (a date, a number)
    quote_type_ok: bool = True  # ... and the cited sentence holds such a thing


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[“”]", '"', re.sub(r"[‘’]", "'", text)).lower().split())


def _missing_keys(question: str, terms: frozenset[str]) -> int:
    # one-letter keys ("U.S." gives "u" and "s") are not words the text would hold
    return sum(1 for k in key_terms(question) if len(k) > 1 and not holds(k, terms))


def locate_answer(
    answer: str, question: str, context: Sequence[Passage | SplitSpan],
    retrieved: Sequence[str] = ()
) -> Located:
    """Find the span of `context` that holds `answer` and say how well it fits.

    `context` is what the model read: best already split (`Reading.sentences`),
    else plain passages (split here).

    A span holding the phrase as written wins (the most question words, then the
    shortest); otherwise the span that best `support`s it. No span: no citation.

    >>> ctx = [Passage("p", "a.txt", 0, 32, "Tesla moved to New York in 1884.")]
    >>> loc = locate_answer("1884", "When did Tesla move to New York?", ctx)
    >>> loc.citation.quote, loc.verbatim, loc.keys_missing_span
    ('Tesla moved to New York in 1884.', True, 0)
    """
    candidates = _candidates(context)
    everything = frozenset().union(*(c.terms for c in candidates)) if candidates else frozenset()
    q = _question_terms(question)
    claim = set(content_terms(answer))
    echo = len(claim & q) / len(claim) if claim else 0.0
    base = Located(None, keys_missing_context=_missing_keys(question, everything), echo=echo)
    if not answer or not candidates:
        return base
    folded = _fold(answer)

    def cover(c: _Candidate) -> float:
        return len(q & c.terms) / len(q) if q else 0.0

    def text_of(c: _Candidate) -> str:
        return c.passage.text[c.start - c.passage.start : c.end - c.passage.start]

    verbatim = [c for c in candidates if folded in _fold(text_of(c))]
    vouched = set(retrieved)
    if verbatim:
        best = max(verbatim, key=lambda c: (cover(c), -(c.end - c.start), -c.rank))
        score = 1.0
    else:
        scored = [(support(answer, question, c.terms, c.passage.id in vouched), c)
                  for c in candidates]
        score, best = max(scored, key=lambda t: (t[0], cover(t[1]), -(t[1].end - t[1].start)))
        if score <= 0:
            return base
    quote = text_of(best)
    cite = Citation(best.passage.source, best.start, best.end, quote, best.passage.id,
                    page=best.passage.page)
    phrase = resolve(answer, question, quote)
    return Located(cite, bool(verbatim), score, cover(best),
                   _missing_keys(question, best.terms), base.keys_missing_context, echo,
                   phrase if phrase != answer else "", answers_the_type(question, phrase),
                   answers_the_type(question, quote))


def phrase_in_quote(phrase: str, quote: str) -> bool:
    """The raw check of what is shown: the phrase, folding only case and whitespace,
    is a substring of the quote ("half a million" is not "1,000,000").

    >>> phrase_in_quote("half  A million", "close to half a million died"), phrase_in_quote("1,000,000", "half a million")
    (True, False)
    """
    folded = " ".join(phrase.lower().split())
    return bool(folded) and folded in " ".join(quote.lower().split())


def answer_with_citation(answer: str, located: Located) -> Verified:
    """The shown answer: the phrase with its marker, then the sentence it stands in,
    quoted exactly; a decline when nothing holds it.

    The quote goes with the phrase because a small model's phrase is sometimes
    too short or the wrong part of the right sentence: the reader sees the
    evidence at once (on SQuAD-dev, 63 % of cited sentences held a gold answer
    against 49 % of phrases).

    >>> answer_with_citation("1884", Located(Citation("a.txt", 0, 24, "He moved there in 1884."))).text
    '1884 [1] — "He moved there in 1884."'
    >>> answer_with_citation("He moved there in 1884", Located(Citation("a.txt", 0, 24, "He moved there in 1884."))).text
    'He moved there in 1884 [1].'
    """
    if located.citation is None or not answer:
        return Verified(DECLINE_TEXT, refused=True, reason="unsupported")
    quote = located.citation.quote
    phrase = located.phrase or answer
    if not (located.phrase_type_ok and phrase_in_quote(phrase, quote)):
        # A phrase the span does not hold as written ("1,000,000" for "half a million"),
        # or of the wrong kind (a place for "when"), is never shown. The sentence that
        # supports it is: the cited sentence held a gold answer for 63 % of SQuAD-dev
        # questions, and it is exactly the span cited. A sentence of the wrong kind too
        # is declined.
        if not located.quote_type_ok:
            return Verified(DECLINE_TEXT, refused=True, reason="wrong_type")
        phrase = " ".join(quote.split())
    if len(_fold(phrase)) >= 0.8 * len(_fold(quote)):  # the phrase is the sentence
        text = phrase if re.search(r"[.!?]$", phrase) else phrase + "."
        return Verified(_with_marker(text, 1), [located.citation])
    return Verified(f'{phrase} [1] — "{" ".join(quote.split())}"', [located.citation])
