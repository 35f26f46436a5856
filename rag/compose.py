"""Answer an open question with quoted sentences, each cited to its exact span.

The factoid reader proposes one short phrase; an open question ("What do the
documents say about Iran?", "Why…", "Summarize…") needs a few sentences. The
composer chooses them from the documents and shows them as written (tidied
spaces only), so every shown sentence is supported by construction and each
marker ``[n]`` points to a `Citation` whose quote is exactly that sentence:
``document_text(c.source)[c.start:c.end] == c.quote``.

How the sentences are chosen:

* topic, explanation, list, comparison, clause: the sentences of the
  retrieved passages that are *about* the question (`rag.offtopic`), best
  first by embedding similarity plus the share of the question's focus they
  hold, without near-duplicates (MMR over MiniLM vectors); a comparison
  starts with the best sentence for each side;
* overview: what is central to the document (closest to the centroid of its
  sentences, lead sentences favoured), not what matches the question's words;
  over several documents, one line for each of the most relevant (at most 8),
  saying how many there are.

An open question nothing retrieved is about is declined (`rag.offtopic`).
No model is called: the first sentence is shown as soon as retrieval and one
embedding batch are done.

Example:
    >>> pieces, cites = render([_demo_pick()], "topic")
    >>> "".join(pieces)
    'The zone could become a safe area [1].'
    >>> cites[0].quote
    'The zone could become a safe area.'
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from index.injection import looks_like_instruction
from index.split import sentence_spans
from index.text import content_terms, key_terms, normalise, words
from rag.offtopic import (
    MAX_ABSENT,
    RESCUE_SIMILARITY,
    absent_names,
    absent_share,
    focus_cover,
    focus_of,
    is_about,
)
from rag.route import Kind
from rag.types import Answer, Citation, Passage
from rag.verify import DECLINE_TEXT

# Sentences shown per kind: enough to answer, few enough to read (the issue asks 1-5).
MAX_SENTENCES: dict[str, int] = {"topic": 4, "explanation": 3, "list": 5, "comparison": 4,
                                 "clause": 2, "overview": 4}
RETRIEVE_K = 8  # passages searched for an open question's sentences (the reader reads 4)
MMR_LAMBDA = 0.7  # relevance vs novelty in MMR
NEAR_DUPLICATE = 0.9  # MiniLM cosine above which two sentences say the same thing
# A sentence scoring below this share of the best one is left out: it would pad the answer.
# COVER_WEIGHT weighs the share of the question's focus a sentence holds beside its MiniLM
# similarity. Chosen on the dev part of evals/sets/open (66 questions: seed, PDF, SQuAD
# Amazon; composer given the right kind): floor 0.5/0.6/0.7 x weight 0.5/1.0 gave key points
# 0.886/0.864-0.886/0.841-0.864, every shown sentence strictly supported in all, off-topic
# declined 22/22 with the offtopic thresholds below; 0.5 and 1.0 keep the most key points.
RELATIVE_FLOOR = 0.5
COVER_WEIGHT = 1.0
LEAD_BONUS = 0.08  # an overview favours a document's first sentences (news puts them first)
MAX_DOCUMENTS = 8  # lines of an overview over several documents
OVERVIEW_SENTENCES_PER_DOC = 200  # sentences of one document an overview reads at most
_END = re.compile(r"[.!?][\"'”’)\]]*$")


@dataclass(frozen=True)
class OpenCorpus:
    """What the composer needs from the pipeline: three callables, nothing else.

    `retrieve(query, k)` gives the best passages; `passages()` every indexed
    passage; `embed(texts)` one vector per text (the index's embedder).
    """

    retrieve: Callable[[str, int], list[Passage]]
    passages: Callable[[], Iterable[Passage]]
    embed: Callable[[list[str]], list[list[float]]]


@dataclass(frozen=True)
class Sentence:
    """A candidate sentence: its exact span in a document and the passage it came from."""

    passage: Passage
    start: int  # absolute offsets in the source
    end: int

    @property
    def text(self) -> str:
        return self.passage.text[self.start - self.passage.start : self.end - self.passage.start]

    def citation(self) -> Citation:
        return Citation(self.passage.source, self.start, self.end, self.text, self.passage.id,
                        page=self.passage.page)


def _demo_pick() -> Sentence:
    p = Passage("p1", "a.txt", 10, 44, "The zone could become a safe area.")
    return Sentence(p, 10, 44)


def showable(text: str) -> bool:
    """A whole sentence worth quoting: ends like one, has a few words, no planted instruction.

    >>> showable("U.S. MISTRUST OF IRAN"), showable("Safe zones should be guaranteed by all.")
    (False, True)
    """
    return (bool(_END.search(text)) and len(text.split()) >= 5
            and any(c.islower() for c in text) and not looks_like_instruction(text))


def _is_piece(text: str) -> bool:
    """A piece of a sentence too long for one passage (cut at a space when indexing)."""
    return (len(text.split()) >= 8 and any(c.islower() for c in text)
            and not looks_like_instruction(text))


def sentences_of(passages: Iterable[Passage]) -> list[Sentence]:
    """The showable sentences of `passages`, each once, in the passages' order.

    A sentence longer than a passage was cut when indexing: its piece at the
    passage's edge is kept too (shown with an ellipsis where it was cut).
    """
    out: list[Sentence] = []
    seen: set[tuple[str, int, int]] = set()
    for p in passages:
        spans = sentence_spans(p.text, 0, len(p.text))
        for i, (s, e) in enumerate(spans):
            key = (p.source, p.start + s, p.start + e)
            text = p.text[s:e]
            edge = (i == len(spans) - 1 and not _END.search(text)) or (i == 0 and text[:1].islower())
            if key not in seen and (showable(text) or (edge and _is_piece(text))):
                seen.add(key)
                out.append(Sentence(p, p.start + s, p.start + e))
    return out


def with_marker(sentence: str, n: int) -> str:
    """The sentence, spaces tidied, with ``[n]`` before its final punctuation; a piece of a
    sentence (no final punctuation, or a lower-case start) gets an ellipsis where it was cut.

    >>> with_marker('"Iran must go," he  said.', 2)
    '"Iran must go," he said [2].'
    >>> with_marker("to the north of the city", 1)
    '… to the north of the city … [1]'
    """
    sentence = " ".join(sentence.split())
    if sentence[:1].islower():
        sentence = "… " + sentence
    m = _END.search(sentence)
    if m:
        return f"{sentence[: m.start()]} [{n}]{sentence[m.start():]}"
    return f"{sentence} … [{n}]"


def render(picked: Sequence[Sentence], kind: str, header: str = "") -> tuple[list[str], list[Citation]]:
    """The shown text as pieces to stream (joined, the whole text) and its citations,
    marker n for ``citations[n-1]``: a paragraph, or bullets for a list or several documents.

    >>> render([_demo_pick(), _demo_pick()], "list")[0]
    ['- The zone could become a safe area [1].', '\\n- The zone could become a safe area [2].']
    """
    lines = [with_marker(s.text, n) for n, s in enumerate(picked, 1)]
    if kind == "list" or header:
        pieces = [f"- {line}" for line in lines]
        pieces = [header, *pieces] if header else pieces
        pieces = pieces[:1] + ["\n" + p for p in pieces[1:]]
    else:
        pieces = [line if i == 0 else " " + line for i, line in enumerate(lines)]
    return pieces, [s.citation() for s in picked]


def mmr(scores: np.ndarray, vectors: np.ndarray, k: int, first: Sequence[int] = (),
        lam: float = MMR_LAMBDA, same: float = NEAR_DUPLICATE) -> list[int]:
    """Indexes of up to `k` items, relevant and not near-duplicates of one another.

    `first` are taken first (unless near-duplicates). Vectors are unit-length.

    >>> v = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> mmr(np.array([0.9, 0.8, 0.5]), v, 3)
    [0, 2]
    """
    chosen: list[int] = []
    for i in first:
        if len(chosen) < k and all(float(vectors[i] @ vectors[j]) < same for j in chosen):
            chosen.append(i)
    while len(chosen) < k:
        best, best_value = -1, -np.inf
        for i in range(len(scores)):
            if i in chosen:
                continue
            overlap = max((float(vectors[i] @ vectors[j]) for j in chosen), default=0.0)
            if overlap >= same:
                continue
            value = lam * float(scores[i]) - (1 - lam) * overlap
            if value > best_value:
                best, best_value = i, value
        if best < 0:
            break
        chosen.append(best)
    return chosen


_SIDES = [
    re.compile(r"\b(?:compare|contrast)\s+(?:the\s+)?(.+?)\s+(?:and|with|to|versus|vs\.?)\s+(.+)$",
               re.I),
    re.compile(r"\b(?:difference|differences|similarities)\s+between\s+(.+?)\s+and\s+(.+)$", re.I),
    re.compile(r"\bhow\s+(?:does|do|did|is|are|was|were)\s+(.+?)\s+(?:differ|different|compare)\w*"
               r"\s+(?:from|to|with)\s+(.+)$", re.I),
    re.compile(r"^(?:\w+\s+){0,3}?(.+?)\s+(?:versus|vs\.?)\s+(.+)$", re.I),
]


def sides_of(question: str) -> tuple[str, str] | None:
    """The two things a comparison question compares, if its wording says.

    >>> sides_of("How does Washington's view differ from Moscow's?")
    ("Washington's view", "Moscow's")
    """
    q = question.strip().rstrip("?.! ")
    for pattern in _SIDES:
        m = pattern.search(q)
        if m:
            return m.group(1).strip(), m.group(2).strip()
    return None


@dataclass
class Composer:
    """Builds open answers from an `OpenCorpus`; keeps sentence vectors between questions."""

    corpus: OpenCorpus
    model_name: str = "extractive"
    retrieve_k: int = RETRIEVE_K
    # ``open_answers: written``: turns the chosen sentences into the shown text and its
    # citations (`rag.write.Writer.stream`); None shows them quoted
    write: Callable[[str, str, list[Sentence], str],
                    Generator[str, None, tuple[list[Citation], dict[str, float]]]] | None = None
    _vectors: dict[str, np.ndarray] = field(default_factory=dict)

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of `texts`, embedded once each (cached by text)."""
        todo = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if todo:
            if len(self._vectors) > 20_000:  # a bound, not a policy: a corpus changes slowly
                self._vectors.clear()
            for t, v in zip(todo, self.corpus.embed(todo), strict=True):
                a = np.asarray(v, dtype=np.float32)
                self._vectors[t] = a / (float(np.linalg.norm(a)) or 1.0)
        return np.stack([self._vectors[t] for t in texts]) if texts else np.zeros((0, 1))

    # --- answering -----------------------------------------------------------
    def stream(self, question: str, kind: Kind, asked: str = "",
               timings: dict[str, float] | None = None) -> Iterator[str | Answer]:
        """Yield each shown line as soon as it is ready, then the final `Answer`."""
        started = time.perf_counter()
        timings = dict(timings or {})
        if kind == "overview":
            picked, header, passages, reason = self._overview(question, timings)
        else:
            picked, passages, reason = self._focused(question, kind, timings)
            header = ""
        signals = {"open": 1.0}
        if picked and self.write is not None:
            pieces = []
            written = self.write(question, kind, picked, header)
            while True:
                try:
                    piece = next(written)
                except StopIteration as done:
                    citations, counts = done.value
                    signals.update(counts)
                    break
                timings.setdefault("first_token", time.perf_counter() - started)
                pieces.append(piece)
                yield piece  # each sentence once verified
        else:
            pieces, citations = render(picked, kind, header) if picked else ([DECLINE_TEXT], [])
            timings["first_token"] = time.perf_counter() - started
            yield from pieces  # extractive: every sentence is ready once the first is
        timings["generate"] = time.perf_counter() - started
        timings["total"] = timings.get("rewrite", 0.0) + timings["generate"]
        yield Answer(text="".join(pieces), citations=citations, refused=not picked, passages=passages,
                     question=asked or question, rewritten_question=question,
                     timings={k: round(v, 4) for k, v in timings.items()},
                     reason=reason if not picked else f"composed_{kind}",
                     model=self.model_name, signals=signals)

    def _focused(self, question: str, kind: str, timings: dict[str, float]
                 ) -> tuple[list[Sentence], list[Passage], str]:
        t = time.perf_counter()
        passages = self.corpus.retrieve(question, self.retrieve_k)
        timings["retrieve"] = time.perf_counter() - t
        focus = focus_of(question)
        retrieved_terms = frozenset().union(*(_terms(p.text) for p in passages))
        if not passages or absent_names(focus, retrieved_terms):
            return [], passages, "not_in_documents"
        candidates = sentences_of(passages)
        if not candidates:
            return [], passages, "not_in_documents"
        vecs = self.vectors([s.text for s in candidates])
        qvec = self.vectors([question])[0]
        sims = vecs @ qvec
        if absent_share(focus, retrieved_terms) >= MAX_ABSENT and float(sims.max()) < RESCUE_SIMILARITY:
            return [], passages, "off_topic"
        covers = np.array([focus_cover(focus, terms) for terms in _context_terms(candidates)])
        about = [i for i in range(len(candidates)) if is_about(covers[i], float(sims[i]))]
        if not about:
            return [], passages, "off_topic"
        scores = sims + COVER_WEIGHT * covers
        best = max(float(scores[i]) for i in about)
        keep = [i for i in about if float(scores[i]) >= RELATIVE_FLOOR * best]
        first = self._sides_first(question, candidates, keep, scores) if kind == "comparison" else []
        local = mmr(scores[keep], vecs[keep], MAX_SENTENCES.get(kind, 3),
                    first=[keep.index(i) for i in first])
        chosen = [candidates[keep[i]] for i in local]
        # the best sentence leads; the rest follow in the documents' order, which reads better
        rest = sorted(chosen[1:], key=lambda s: (s.passage.source, s.start))
        return with_antecedents(chosen[:1] + rest, candidates, MAX_SENTENCES.get(kind, 3) + 1), \
            passages, ""

    def _sides_first(self, question: str, candidates: list[Sentence], keep: list[int],
                     scores: np.ndarray) -> list[int]:
        sides = sides_of(question)
        if not sides:
            return []
        out = []
        for side in sides:
            terms = [t for t in focus_of(side).terms]
            holding = [i for i in keep if terms and focus_cover(focus_of(side),
                                                                _terms(candidates[i].text)) > 0]
            if holding:
                out.append(max(holding, key=lambda i: float(scores[i])))
        return list(dict.fromkeys(out))

    def _overview(self, question: str, timings: dict[str, float]
                  ) -> tuple[list[Sentence], str, list[Passage], str]:
        everything = list(self.corpus.passages())
        by_source: dict[str, list[Passage]] = {}
        for p in everything:
            by_source.setdefault(p.source, []).append(p)
        if not by_source:
            return [], "", [], "not_in_documents"
        t = time.perf_counter()
        retrieved = self.corpus.retrieve(question, self.retrieve_k) if len(by_source) > 1 else []
        timings["retrieve"] = time.perf_counter() - t
        sources = _scope(question, retrieved, by_source)
        if len(sources) == 1:
            doc = sorted(by_source[sources[0]], key=lambda p: p.start)
            picked = self._central(sentences_of(doc)[:OVERVIEW_SENTENCES_PER_DOC],
                                   MAX_SENTENCES["overview"], lead=True)
            return picked, "", doc, ""
        ranked = list(dict.fromkeys([p.source for p in retrieved] + sources))[:MAX_DOCUMENTS]
        picked = []
        for source in ranked:
            doc = sorted(by_source[source], key=lambda p: p.start)
            picked += self._central(sentences_of(doc)[:12], 1)
        n = len(by_source)
        header = (f"{n} documents; the {len(picked)} most relevant:" if n > len(picked)
                  else f"{n} documents:")
        return picked, header, [s.passage for s in picked], ""

    def _central(self, candidates: list[Sentence], k: int, lead: bool = False) -> list[Sentence]:
        """Up to `k` sentences closest to the candidates' centroid (the first ones favoured),
        in document order; with `lead`, the document's first sentence always (news, reports
        and encyclopedias state their subject first)."""
        if not candidates:
            return []
        vecs = self.vectors([s.text for s in candidates])
        centroid = vecs.mean(axis=0)
        centroid /= float(np.linalg.norm(centroid)) or 1.0
        bonus = np.array([LEAD_BONUS * max(0.0, 1 - i / 4) for i in range(len(candidates))])
        chosen = mmr(vecs @ centroid + bonus, vecs, k, first=[0] if lead else [])
        return [candidates[i] for i in sorted(chosen)]


def _scope(question: str, retrieved: list[Passage], by_source: dict[str, list[Passage]]
           ) -> list[str]:
    """The documents an overview covers: one when the corpus has one, or when the question
    names a subject and the best passages come mostly from one document; else all of them,
    the larger first."""
    if len(by_source) == 1:
        return list(by_source)
    if focus_of(question).terms and retrieved:
        top = [p.source for p in retrieved[:5]]
        best = max(set(top), key=top.count)
        if top.count(best) >= 3:
            return [best]
    return sorted(by_source, key=lambda s: (-len(by_source[s]), s))


_PRONOUN_START = re.compile(r"^\W*(?:\w+\s+){0,3}?(?:it|they|he|she|its|their|his|her|this|these|"
                            r"those|them)\b", re.I)


def _context_terms(candidates: list[Sentence]) -> list[frozenset[str]]:
    """Each sentence's terms; one that opens with a pronoun ("But it has rejected…") also
    gets the names of the sentence just before it in its document (when that one is a
    candidate too, in this passage or the one before), which it refers to."""
    ends = {(s.passage.source, s.end): s for s in candidates}
    out = []
    for s in candidates:
        terms = _terms(s.text)
        if _PRONOUN_START.search(s.text):
            prev = next((ends[(s.passage.source, s.start - gap)] for gap in range(1, 4)
                         if (s.passage.source, s.start - gap) in ends), None)
            if prev is not None:
                # its names, the first word too ("Jordan wants…": key_terms skips it)
                terms |= frozenset(normalise(w) for w in words(prev.text) if w[:1].isupper())
        out.append(terms)
    return out


def _previous(s: Sentence, candidates: list[Sentence]) -> Sentence | None:
    """The candidate just before `s` in its document (whitespace between), if any."""
    return next((c for c in candidates if c.passage.source == s.passage.source
                 and 0 < s.start - c.end <= 3), None)


def with_antecedents(chosen: list[Sentence], candidates: list[Sentence], cap: int
                     ) -> list[Sentence]:
    """`chosen`, where a sentence opening with a pronoun ("But it has rejected…") is
    preceded by the sentence before it, which says who "it" is; at most `cap` sentences."""
    out: list[Sentence] = []
    for s in chosen:
        prev = _previous(s, candidates) if _PRONOUN_START.search(s.text) else None
        if prev is not None and prev not in out and (prev in chosen or len(out) + 2 <= cap):
            out.append(prev)
        if s not in out:
            out.append(s)
    return out[:cap]


def _terms(text: str) -> frozenset[str]:
    return frozenset(content_terms(text)) | frozenset(key_terms(text))
