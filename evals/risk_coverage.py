"""Risk–coverage: what a decline threshold on ``signals["confidence"]`` would give.

A pipeline that reports a confidence per answer (`rag.types.Answer.signals`)
answers when ``confidence >= threshold`` and declines otherwise. From logged
rows (`evals.rows.EvalRow`), without running the model again, this module
tells for any threshold: the share answered (coverage), the accuracy of what
is answered, answerable questions answered right and unanswerable ones
declined. Whether an attempt is right comes from ``metrics.draft_correct``: a
row that was declined and carries no draft cannot be judged, counts as wrong
if the threshold would answer it, and is counted in ``unknown``. A row whose
signals say its answer could not be cited (``signals["cited"] == 0``) is never
shown, whatever the threshold (as in `rag.pipeline` and `evals.tuning.fit_decision`).
Rows without a confidence are left out (``n`` says how many were used).

Example:
    >>> from evals.rows import EvalRow, RowMetrics
    >>> def row(conf, answerable, right):
    ...     return EvalRow(pipeline="ours", id=str(conf), answerable=answerable,
    ...                    signals={"confidence": conf}, metrics=RowMetrics(draft_correct=right))
    >>> rows = [row(0.9, True, True), row(0.6, False, False), row(0.3, True, False)]
    >>> p = at_threshold(rows, 0.5)
    >>> (p.coverage, p.accuracy_answered, p.answerable_right, p.unanswerable_declined)
    (0.6666666666666666, 0.5, 0.5, 0.0)
    >>> [round(q.coverage, 2) for q in curve(rows)]
    [0.0, 0.33, 0.67, 1.0]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from evals.rows import EvalRow

MAX_POINTS = 101  # points kept in summary.json (the curve is thinned evenly beyond)


@dataclass(frozen=True)
class OperatingPoint:
    """The outcome of declining below `threshold` (rates are None with nothing to count).

    `threshold` is None for "decline everything" (the curve's first point) and for
    a pipeline's actual operating point when it reported no threshold.
    """

    threshold: float | None
    n: int
    answered: int
    coverage: float | None
    accuracy_answered: float | None
    answerable_right: float | None
    unanswerable_declined: float | None
    overall: float | None
    unknown: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OperatingPoint:
        return cls(**data)


def _ratio(a: int, b: int) -> float | None:
    return a / b if b else None


def scored(rows: Sequence[EvalRow]) -> list[EvalRow]:
    """The rows that carry a confidence."""
    return [r for r in rows if r.confidence is not None]


def shown(row: EvalRow, threshold: float) -> bool:
    """Would `row`'s answer be shown at `threshold`?"""
    return (row.confidence or 0.0) >= threshold and row.signals.get("cited", 1.0) > 0


def at_threshold(rows: Sequence[EvalRow], threshold: float) -> OperatingPoint:
    """What answering exactly the rows with ``confidence >= threshold`` gives."""
    use = scored(rows)
    answered = [r for r in use if shown(r, threshold)]
    ans = [r for r in use if r.answerable]
    una = [r for r in use if not r.answerable]
    right = sum(1 for r in answered if r.answerable and r.metrics.draft_correct)
    declined_una = sum(1 for r in una if not shown(r, threshold))
    unknown = sum(1 for r in answered if r.answerable and r.metrics.draft_correct is None)
    return OperatingPoint(
        threshold=None if math.isinf(threshold) else threshold, n=len(use), answered=len(answered),
        coverage=_ratio(len(answered), len(use)),
        accuracy_answered=_ratio(right, len(answered)),
        answerable_right=_ratio(right, len(ans)),
        unanswerable_declined=_ratio(declined_una, len(una)),
        overall=_ratio(right + declined_una, len(use)),
        unknown=unknown,
    )


def curve(rows: Sequence[EvalRow], max_points: int = MAX_POINTS) -> list[OperatingPoint]:
    """Operating points from declining everything to answering everything (coverage rising)."""
    levels = sorted({r.confidence or 0.0 for r in scored(rows)}, reverse=True)
    points = [at_threshold(rows, math.inf)] + [at_threshold(rows, t) for t in levels]
    if len(points) > max_points:  # keep both ends, thin the middle evenly
        step = (len(points) - 1) / (max_points - 1)
        points = [points[round(i * step)] for i in range(max_points)]
    return points


def used_point(rows: Sequence[EvalRow], threshold: float | None = None) -> OperatingPoint:
    """The operating point the pipeline actually ran at: what it answered and declined.

    Its threshold is `threshold` (the run's ``decline_threshold`` setting) when the
    rows carry a confidence, else ``signals["threshold"]`` when reported, else None.
    """
    use = [r for r in rows if not r.error]
    answered = [r for r in use if not r.refused]
    ans = [r for r in use if r.answerable]
    una = [r for r in use if not r.answerable]
    right = sum(1 for r in answered if r.answerable and r.metrics.correct)
    declined = sum(1 for r in una if r.refused)
    thresholds = {r.signals["threshold"] for r in use if "threshold" in r.signals}
    if threshold is not None and scored(use):
        thresholds = {threshold}
    return OperatingPoint(
        threshold=thresholds.pop() if len(thresholds) == 1 else None,
        n=len(use), answered=len(answered), coverage=_ratio(len(answered), len(use)),
        accuracy_answered=_ratio(right, len(answered)),
        answerable_right=_ratio(right, len(ans)),
        unanswerable_declined=_ratio(declined, len(una)),
        overall=_ratio(right + declined, len(use)),
    )
