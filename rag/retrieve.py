"""Step 2 of an answer, retrieval: dense (Chroma + MiniLM) and lexical (BM25)
fused by reciprocal rank, so exact names and numbers are found as well as
paraphrases.

Every stored passage may be returned: a block that carries instructions or
active markup was dropped at indexing (`index.hostile`) and was never stored.
Should a sentence that looks like an instruction still reach a passage, the
reader skips it (`rag.reader`) and it is never cited (`rag.verify`).

Example:
    >>> r = HybridRetriever.build(store, candidates=20)   # doctest: +SKIP
    >>> [p.source for p in r.retrieve("who are the envoys", k=4)]   # doctest: +SKIP
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.text import content_terms
from rag.types import Passage

if TYPE_CHECKING:
    from index.store import PassageStore

log = logging.getLogger(__name__)

RRF_K = 60  # the usual constant: damps the weight of the very top ranks
# Two passages whose content words overlap this much (Jaccard) say the same thing: a copied
# file, a page saved twice. Only the better ranked one is given to the model. Measured on
# 120k passages of Python docs with perturbed copies: 12 queries' top-4 held 11 such pairs
# before, none after; answer in top-4 unchanged (558/600 SQuAD-dev, 47/65 of ours).
SAME_TEXT = 0.9
CACHE_PREFIX = "retriever-"
PASSAGES = "passages.json"
# The fields of a `Passage` the cache keeps, written and read by name (the scores are
# per query, never stored).
CACHED_FIELDS = ("id", "source", "start", "end", "text", "page")
# The two best retrieved passages vouch for relevance to a paraphrased question when
# they are also semantically close (an off-topic question has no such passage).
VOUCH_SIMILARITY = 0.4  # MiniLM cosine: paraphrases of a passage score ~0.45-0.6


def vouched(passages: list[Passage]) -> list[str]:
    """Ids of the retrieved passages that vouch for relevance (see `rag.verify.support`).

    >>> vouched([Passage("a", "s", 0, 1, "x", dense=0.5), Passage("b", "s", 0, 1, "y", dense=0.1)])
    ['a']
    """
    return [p.id for p in passages[:2] if (p.dense or 0.0) >= VOUCH_SIMILARITY]


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

    def __init__(self, store: PassageStore, passages: list[Passage], candidates: int = 20,
                 bm25: Any = None):
        """`bm25`: the BM25 index of `passages`, in their order (built when not given)."""
        import bm25s

        self.store = store
        self.candidates = candidates
        self.passages = {p.id: p for p in passages}
        self._order = [p.id for p in passages]
        if bm25 is None:
            bm25 = bm25s.BM25()
            corpus = [content_terms(p.text) or ["\x00"] for p in passages]
            if corpus:
                bm25.index(corpus, show_progress=False)
        self._bm25 = bm25

    @classmethod
    def build(cls, store: PassageStore, candidates: int = 20) -> HybridRetriever:
        """The retriever for the store's current passages.

        The passages and the BM25 index are saved beside the store
        (``<store_dir>/retriever-<generation>/``) and loaded from there while the
        store's generation is unchanged, instead of rescanning every passage and
        rebuilding BM25 at each start. Only a complete index is saved: building a
        retriever over one that a killed run left half-written (to list it) writes
        nothing.
        """
        manifest = store.manifest()
        generation = str(manifest.get("generation", ""))
        folder = Path(store.store_dir) / f"{CACHE_PREFIX}{generation}"
        if generation:
            loaded = cls._load(store, folder, candidates)
            if loaded is not None:
                return loaded
        retriever = cls(store, store.all_passages(), candidates)
        if generation and manifest.get("complete"):
            retriever._save(folder)
        return retriever

    def _save(self, folder: Path) -> None:
        tmp = folder.with_name(f"{folder.name}.{os.getpid()}.tmp")
        try:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
            if self._order:
                self._bm25.save(str(tmp / "bm25"))
            # JSON, not pickle: loading the folder must never run code written into it
            with open(tmp / PASSAGES, "w", encoding="utf-8") as fh:
                json.dump([{k: getattr(p, k) for k in CACHED_FIELDS}
                           for p in self.passages.values()], fh, ensure_ascii=False)
            shutil.rmtree(folder, ignore_errors=True)
            tmp.rename(folder)
        except OSError as exc:  # a cache: failing to write it costs time, not answers
            log.warning("could not save the retriever cache in %s: %s", folder, exc)
            shutil.rmtree(tmp, ignore_errors=True)
            return
        for old in folder.parent.glob(f"{CACHE_PREFIX}*"):
            if old != folder and not old.name.endswith(".tmp"):
                shutil.rmtree(old, ignore_errors=True)

    @classmethod
    def _load(cls, store: PassageStore, folder: Path, candidates: int) -> HybridRetriever | None:
        import bm25s

        try:
            with open(folder / PASSAGES, encoding="utf-8") as fh:
                rows = json.load(fh)
            passages = [Passage(**{k: r[k] for k in CACHED_FIELDS}) for r in rows]
            bm25 = bm25s.BM25.load(str(folder / "bm25"), mmap=True) if rows else bm25s.BM25()
        except (OSError, ValueError, TypeError, IndexError, KeyError) as exc:
            if folder.exists():  # also a cache written in an older layout
                log.info("rebuilding the retriever cache (%s)", exc)
            return None
        return cls(store, passages, candidates, bm25)

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
        best = distinct([self.passages[pid] for pid in sorted(fused, key=lambda pid: -fused[pid])],
                        k)
        return [
            replace(
                self.passages[pid],
                score=round(fused[pid], 6),
                dense=dense_of.get(pid),
                lexical=lex_of.get(pid),
            )
            for pid in best
        ]


def distinct(ranked: list[Passage], k: int, same: float = SAME_TEXT) -> list[str]:
    """Ids of the first `k` passages of `ranked` that are not near-copies of a better one.

    >>> P = lambda i, t: Passage(i, "s", 0, len(t), t)
    >>> text = ("The harbour master said the tide turned at noon, the ferries to the island ran "
    ...         "late all week, and the pier lights failed twice during the storm on Tuesday.")
    >>> distinct([P("a", text), P("b", text + " (copy 2)"), P("c", "Ferries ran late.")], 2)
    ['a', 'c']
    """
    kept: list[tuple[str, set[str]]] = []
    for p in ranked:
        words = set(content_terms(p.text))
        if any(_jaccard(words, other) >= same for _, other in kept):
            continue
        kept.append((p.id, words))
        if len(kept) == k:
            break
    return [pid for pid, _ in kept]


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0
