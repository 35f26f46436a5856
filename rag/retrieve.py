"""Hybrid retrieval: dense (Chroma + MiniLM) and lexical (BM25) fused by
reciprocal rank, so exact names and numbers are found as well as paraphrases.

Passages flagged at indexing as carrying instructions are still returned:
their instruction sentences are removed from what the model reads
(`rag.prompts`) and can never be cited (`rag.verify`), while the rest of
the passage stays answerable.

Example:
    >>> r = HybridRetriever.build(store, candidates=20)   # doctest: +SKIP
    >>> [p.source for p in r.retrieve("who are the envoys", k=4)]   # doctest: +SKIP
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

from index.text import content_terms
from rag.types import Passage

if TYPE_CHECKING:
    from index.store import PassageStore

log = logging.getLogger(__name__)

RRF_K = 60  # the usual constant: damps the weight of the very top ranks


def rrf(rankings: list[list[str]], k: int = RRF_K) -> dict[str, float]:
    """Reciprocal-rank fusion of several best-first id lists.

    >>> sorted(rrf([["a", "b"], ["b", "c"]]).items())  # doctest: +ELLIPSIS
    [('a', 0.0163...), ('b', 0.0325...), ('c', 0.0161...)]
    """
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, pid in enumerate(ranking):
            scores[pid] = scores.get(pid, 0.0) + 1.0 / (k + rank + 1)
    return scores


class HybridRetriever:
    """Dense + BM25 retrieval over a `PassageStore`, built once per index state."""

    def __init__(self, store: PassageStore, passages: list[Passage], candidates: int = 20):
        import bm25s

        self.store = store
        self.candidates = candidates
        self.passages = {p.id: p for p in passages}
        self._order = [p.id for p in passages]
        self._bm25 = bm25s.BM25()
        corpus = [content_terms(p.text) or ["\x00"] for p in passages]
        if corpus:
            self._bm25.index(corpus, show_progress=False)

    @classmethod
    def build(cls, store: PassageStore, candidates: int = 20) -> HybridRetriever:
        return cls(store, [p for p, _ in store.all_passages()], candidates)

    def _lexical(self, query: str) -> list[tuple[str, float]]:
        terms = content_terms(query)
        if not terms or not self._order:
            return []
        n = min(self.candidates, len(self._order))
        docs, scores = self._bm25.retrieve([terms], k=n, show_progress=False)
        return [
            (self._order[int(i)], float(s)) for i, s in zip(docs[0], scores[0], strict=True) if s > 0
        ]

    def retrieve(self, query: str, k: int) -> list[Passage]:
        """The `k` best passages for `query`, best first, with fused scores."""
        dense = [(pid, sim) for pid, sim in self.store.search(query, self.candidates)
                 if pid in self.passages]
        lexical = self._lexical(query)
        fused = rrf([[pid for pid, _ in dense], [pid for pid, _ in lexical]])
        dense_of, lex_of = dict(dense), dict(lexical)
        best = sorted(fused, key=lambda pid: -fused[pid])[:k]
        return [
            replace(
                self.passages[pid],
                score=round(fused[pid], 6),
                dense=dense_of.get(pid),
                lexical=lex_of.get(pid),
            )
            for pid in best
        ]
