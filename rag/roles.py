"""Which of several coordinated entities a question asks for.

A sentence often names several entities at once and gives each a role:
"A and B, the Russian and American envoys respectively", "the Russian envoy A
and the US envoy B", "A, the Russian envoy, and B, the US envoy". A small
model asked "Who is the Russian envoy?" answers "A and B", or B. `resolve`
splits such a sentence into its conjuncts, pairs each entity with its role
(by position, for "respectively"; by adjacency otherwise), matches the roles
against the question's words, and returns the one entity whose role the
question names — always words of the sentence itself, so the shown phrase
stays within the cited span.

It changes a phrase only when the sentence has such a coordination, a name of
the question singles out one role, the question asks for that role's holder
("Who is the Russian envoy taking part?", or all its words are the role's; not
"Who met the Russian envoy?"),
and the phrase is not already that entity: it spans several of the entities,
or names another one.

Example:
    >>> s = "The talks were led by Alexander Lavrentiev and Michael Ratney, the Russian and American envoys respectively."
    >>> resolve("Alexander Lavrentiev and Michael Ratney", "Who is the Russian envoy?", s)
    'Alexander Lavrentiev'
    >>> resolve("Alexander Lavrentiev", "Who is the American envoy?", s)
    'Michael Ratney'
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from index.text import QUESTION_WORDS, STOPWORDS, content_terms, holds, key_terms

# Where a conjunct ends: a comma or semicolon, "and"/"or" (with an optional comma),
# a copula ("A and B were the R and S envoys"), a parenthesis.
_SEPARATOR = re.compile(
    r"\s*(?:,\s*(?:and|or)\s+|\s(?:and|or)\s+|[,;]\s*|\s+(?:were|are|was|is|became|"
    r"respectively)\b\s*|[()])\s*", re.I)
# A question for the holder of a role: "Who is the U.S. envoy taking part in the talks?"
# (not "Who met the U.S. envoy?", which asks for someone else).
_HOLDER = re.compile(r"^\s*(?:who|which\s+\w+|what\s+\w+)\s+(?:is|was|are|were)\s+the\b", re.I)
_RESPECTIVELY = re.compile(r"\brespectively\b", re.I)
# A run of capitalised words (with linking words inside), a dotted abbreviation, or a number.
_NAME = re.compile(
    r"(?:[A-Z](?:\.[A-Z])+\.?|[A-Z][\w'’\-]*|\d[\d,.]*)"
    r"(?:\s+(?:(?:of|de|da|van|von|al|bin|del)\s+)?(?:[A-Z](?:\.[A-Z])+\.?|[A-Z][\w'’\-]*|\d[\d,.]*))*"
)
# Capitalised only because they open a sentence (stop words aside).
_OPENERS = frozenset("""yesterday today tomorrow meanwhile however later earlier then now
    recently previously finally eventually initially subsequently currently separately
    together last next instead still yet thus""".split())
_LEADING = re.compile(r"^(?:the|a|an|by|with|to|of|from|between|led by)\s+", re.I)


@dataclass(frozen=True)
class _Conjunct:
    start: int  # offsets in the sentence
    end: int
    text: str
    joined: str = ""  # what joins it to the conjunct before: ",", "and", "were"...


def _conjuncts(sentence: str) -> list[_Conjunct]:
    out: list[_Conjunct] = []
    pos, joined = 0, ""
    for m in [*_SEPARATOR.finditer(sentence), None]:
        end = m.start() if m else len(sentence.rstrip(" .!?\"'”’"))
        piece = sentence[pos:end]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            out.append(_Conjunct(pos + lead, end, piece.strip(), joined))
        if m:
            pos, joined = m.end(), " ".join(m.group().lower().split())
    return out


def _is_list(items: list[_Conjunct]) -> bool:
    """Items joined as one list: "A, B and C" (commas, then "and"/"or" before the last)."""
    return (re.search(r"\b(?:and|or)\b", items[-1].joined) is not None
            and all(c.joined == "," for c in items[1:-1]))


def _terms(text: str) -> set[str]:
    return set(content_terms(text)) | key_terms(text)


def _trim(name: str) -> str:
    """A name without a capitalised word that only starts the sentence ("Yesterday X")."""
    first, _, rest = name.partition(" ")
    return rest if rest and first.lower() in _OPENERS | STOPWORDS else name


def _entity(c: _Conjunct, sentence: str, question_terms: set[str]) -> str:
    """The entity a conjunct names: its longest name not taken from the question,
    else the conjunct without a leading article."""
    names = [_trim(m.group()) if m.start() + c.start == 0 else m.group()
             for m in _NAME.finditer(c.text)
             # "American envoy": a name before a noun of the question is a role
             if not (set(content_terms(c.text[m.end():].split(" ", 2)[1]
                                       if c.text[m.end():].startswith(" ") else ""))
                     & question_terms)]
    names = [n for n in names if not (_terms(n) <= question_terms)]
    if names:
        return max(names, key=len)
    return _LEADING.sub("", c.text)


def _role_scores(items: list[_Conjunct], q: set[str], keys: set[str]) -> list[int]:
    """How many question words each item holds, leaving out those all items share.

    The question's names and numbers decide first: in "the Russian and American
    envoys" the shared head "envoys" stands in the last item only.
    """
    sets = [_terms(c.text) for c in items]
    shared = set.intersection(*sets) if sets else set()
    for words in (keys, q):
        scores = [sum(1 for t in words if holds(t, frozenset(s - shared))) for s in sets]
        if _single_best(scores) is not None:
            return scores
    return [0] * len(items)


def _single_best(scores: list[int]) -> int | None:
    best = max(scores, default=0)
    return scores.index(best) if best > 0 and scores.count(best) == 1 else None


def _only_role(q: set[str], roles: list[_Conjunct]) -> bool:
    """The question asks for the holder of a role and nothing else: all its words are
    the roles' own. "Who met the Russian envoy?" asks for someone else."""
    held = frozenset().union(*(_terms(c.text) for c in roles))
    return all(holds(t, held) for t in q)


def _same(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


def _inside(phrase: str, text: str) -> bool:
    return " ".join(phrase.lower().split()) in " ".join(text.lower().split())


def resolve(phrase: str, question: str, sentence: str) -> str:
    """The entity of `sentence` that `question` asks for, when the sentence names several
    with their roles and `phrase` is not that one; else `phrase` unchanged."""
    keys = key_terms(question)
    q = {t for t in content_terms(question) if t not in QUESTION_WORDS} | keys
    parts = _conjuncts(sentence)
    if len(parts) < 2 or not keys:  # only a name of the question singles out a role
        return phrase
    resp = _RESPECTIVELY.search(sentence)
    before = [c for c in parts if c.end <= resp.start()] if resp else parts
    # "Who is the R envoy ...?" asks for the holder whatever else it says
    holder = bool(_HOLDER.match(question))
    got = _parallel(phrase, q, keys, sentence, before, bool(resp), holder)
    if got is None:
        got = _adjacent(phrase, q, keys, sentence, parts, holder)
    return got or phrase


def _parallel(phrase: str, q: set[str], keys: set[str], sentence: str,
              parts: list[_Conjunct], at_end: bool, holder: bool) -> str | None:
    """Two lists of as many items side by side, one of roles and one of entities: "A and
    B, the R and S envoys respectively", "the R and S envoys, A and B, met". With
    "respectively" the lists end just before it. The entity paired with the role the
    question names; "" when the phrase is that entity already; None: no such lists."""
    for n in (2, 3, 4):
        starts = [len(parts) - 2 * n] if at_end else range(len(parts) - 2 * n + 1)
        for k in starts:
            if k < 0:
                continue
            first, second = parts[k : k + n], parts[k + n : k + 2 * n]
            if not (_is_list(first) and _is_list(second)) or re.search(
                    r"\b(?:and|or)\b", second[0].joined):
                continue  # "A, B and C and D" is one list, not two
            for roles, entities in ((second, first), (first, second)):
                i = _single_best(_role_scores(roles, keys, keys))
                if i is None or not (holder or _only_role(q, roles)):
                    continue
                answer = _entity(entities[i], sentence, q)
                others = [_entity(e, sentence, q) for j, e in enumerate(entities) if j != i]
                if not answer or _inside(answer, phrase) and not any(_inside(o, phrase)
                                                                     for o in others):
                    return ""  # the phrase is already the asked entity
                return answer
    return None


def _adjacent(phrase: str, q: set[str], keys: set[str], sentence: str, parts: list[_Conjunct],
              holder: bool) -> str:
    """No "respectively": a phrase naming several conjuncts' entities is narrowed to
    the one whose own words (or its appositive's) the question names."""
    entities = [_entity(c, sentence, q) for c in parts]
    named = [e for e in entities if e and _NAME.fullmatch(e) and _inside(e, phrase)]
    single = [e for e in entities if e and _same(e, phrase)]
    if len(named) < 2 and not single:
        return ""
    # only the question's names single out a role here: "Which countries back the
    # talks?" matches the conjunct that carries the verb, which is no role
    i = _single_best(_role_scores(parts, keys, keys))
    if i is None or not (holder or _only_role(q, parts[i : i + 1])):
        return ""
    # the answer is one of the entities the phrase names or stands beside: never a
    # name from elsewhere in the sentence ("envoys for Syria" gives no "Syria")
    allowed = set(named) | ({e for e in entities if e and _NAME.fullmatch(e)} if single else set())
    own = entities[i]
    if own in allowed and not (_terms(own) & q):
        return own
    # an appositive role ("B, the US envoy"): the entity is the conjunct before it
    if i > 0 and "," in sentence[parts[i - 1].end : parts[i].start]:
        prev = entities[i - 1]
        if prev in allowed:
            return prev
    return ""
