"""Choose which questions a run asks: stratified samples and article filters.

`stratified_sample` draws N questions so that every (article, answerable)
stratum keeps its share of the whole (largest-remainder rounding), each stratum
drawn with its own seeded generator: the same seed gives the same sample on any
machine and Python version, and adding questions to one article does not
reshuffle the others. Questions keep their order in the set. `only_articles`
keeps the questions about some documents, so a decision can be fitted on some
articles and reported on the others.

Example:
    >>> from types import SimpleNamespace as Q
    >>> qs = [Q(id=f"q{i}", article="a.txt" if i < 6 else "b.txt", answerable=i % 2 == 0)
    ...       for i in range(12)]
    >>> [q.id for q in stratified_sample(qs, 4, seed=0)]
    ['q3', 'q4', 'q8', 'q11']
    >>> len(stratified_sample(qs, 4, seed=0)) == len(stratified_sample(qs, 4, seed=1))
    True
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def stratum(q: Any) -> tuple[str, bool]:
    """The stratum of a question: its article and whether it is answerable."""
    return str(getattr(q, "article", "") or ""), bool(q.answerable)


def allocate(sizes: dict[Any, int], n: int) -> dict[Any, int]:
    """Split `n` over strata in proportion to their sizes (largest remainder, ties by key).

    >>> allocate({"a": 5, "b": 3, "c": 2}, 4)
    {'a': 2, 'b': 1, 'c': 1}
    """
    total = sum(sizes.values())
    if n >= total:
        return dict(sizes)
    exact = {k: n * v / total for k, v in sizes.items()}
    out = {k: int(x) for k, x in exact.items()}
    left = n - sum(out.values())
    for k in sorted(sizes, key=lambda k: (-(exact[k] - out[k]), str(k)))[:left]:
        out[k] += 1
    return out


def stratified_sample(questions: Sequence[T], n: int, seed: int = 0) -> list[T]:
    """`n` questions stratified by article and answerability, in their original order."""
    if n < 1:
        raise ValueError("a sample needs at least one question")
    groups: dict[tuple[str, bool], list[int]] = {}
    for i, q in enumerate(questions):
        groups.setdefault(stratum(q), []).append(i)
    quota = allocate({k: len(v) for k, v in groups.items()}, n)
    chosen: set[int] = set()
    for key, members in groups.items():
        # a string seed is hashed with SHA-512 by `random`: stable across runs and versions
        rng = random.Random(f"{seed}:{key[0]}:{key[1]}")
        chosen.update(rng.sample(members, quota[key]))
    return [q for i, q in enumerate(questions) if i in chosen]


def only_articles(questions: Iterable[T], articles: Iterable[str]) -> list[T]:
    """The questions about the named documents (file names as in the corpus)."""
    wanted = set(articles)
    return [q for q in questions if getattr(q, "article", "") in wanted]
