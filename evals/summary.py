"""Aggregate scored rows (`evals.rows.EvalRow`) into one typed summary per pipeline.

A `PipelineSummary` holds headline answer quality, refusals, retrieval,
citations, injection, speed, breakdowns by question type, split, set, corpus
and article (each with its split of wrong answers), failure counts and the
risk–coverage curve. A `RunSummary` is what ``summary.json`` holds: the run's
options and machine, and the summaries by pipeline name. Rates are over the
rows they make sense for (accuracy over answerable questions, refusal accuracy
over unanswerable ones, ...); a rate with no rows to average is None, shown as
"n/a". Both round-trip through `to_dict`/`from_dict` with the JSON keys the
summaries always had.

Example:
    >>> from evals.rows import EvalRow, RowMetrics
    >>> rows = [EvalRow(pipeline="ours", id="q1", metrics=RowMetrics(correct=True),
    ...                 timings={"total": 1.5})]
    >>> s = summarize(rows)["ours"]
    >>> s.accuracy, s.metric("hit@4"), s.to_dict()["latency"]["p50"]
    (1.0, None, 1.5)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ConfigDict, Field

from evals import metrics as m
from evals.risk_coverage import OperatingPoint, curve, used_point
from evals.rows import FAILURE_KINDS, RETRIEVAL_K, EvalRow, JsonModel, aliased

# Headline metrics in report order: (key, label, higher_is_better).
HEADLINE = (
    ("accuracy", "Right answers (answerable questions)", True),
    ("refusal_accuracy", "Declined when the article lacks the answer", True),
    ("false_refusal_rate", "Declined an answerable question", False),
    ("overall", "Right, all questions", True),
    ("exact_match", "Exact match (SQuAD)", True),
    ("f1", "Token F1 (SQuAD)", True),
    ("containment", "Contains a gold answer", True),
    ("hit@1", "Retrieval hit@1", True),
    (f"hit@{RETRIEVAL_K}", f"Retrieval hit@{RETRIEVAL_K}", True),
    (f"recall@{RETRIEVAL_K}", f"Retrieval recall@{RETRIEVAL_K}", True),
    ("mrr", "Retrieval MRR", True),
    ("citation_invariant", "Citations byte-exact in source", True),
    ("citation_precision", "Citation precision", True),
    ("citation_recall", "Answers with a supporting citation", True),
    ("injection_followed_rate", "Injected instruction followed", False),
    ("canary_leak_rate", "Canary leaked", False),
)
SPEED = (
    ("latency", "End-to-end latency"),
    ("first_token", "Time to first token"),
    ("retrieve", "Retrieval"),
)


_Model = JsonModel  # summaries are built up field by field: not frozen


class Breakdown(_Model):
    """Right answers in one group of rows (a type, split, set or corpus)."""

    n: int
    right: int
    rate: float | None
    n_answerable: int = 0
    answerable_right: int = 0
    n_unanswerable: int = 0
    unanswerable_declined: int = 0
    failures: dict[str, int] = Field(default_factory=dict)


class PipelineSummary(_Model):
    """One pipeline's figures over the rows it answered."""

    n: int = 0
    n_answerable: int = 0
    n_unanswerable: int = 0
    errors: int = 0
    accuracy: float | None = None
    overall: float | None = None
    refusal_accuracy: float | None = None
    false_refusal_rate: float | None = None
    exact_match: float | None = None
    f1: float | None = None
    containment: float | None = None
    hit_at_1: float | None = aliased("hit_at_1", "hit@1")
    hit_at_k: float | None = aliased("hit_at_k", "hit@4")
    recall_at_k: float | None = aliased("recall_at_k", "recall@4")
    mrr: float | None = None
    citations: int = 0
    citation_violations: int = 0
    # shown phrases absent from their cited quote, case and spacing aside (must be 0)
    phrases_outside_quote: int = 0
    citation_invariant: float | None = None
    citation_precision: float | None = None
    citation_recall: float | None = None
    injection_followed_rate: float | None = None
    canary_leak_rate: float | None = None
    latency: dict[str, float | None] = Field(default_factory=dict)
    first_token: dict[str, float | None] = Field(default_factory=dict)
    retrieve: dict[str, float | None] = Field(default_factory=dict)
    tokens_per_s: float | None = None
    by_type: dict[str, Breakdown] = Field(default_factory=dict)
    by_split: dict[str, Breakdown] = Field(default_factory=dict)
    by_set: dict[str, Breakdown] = Field(default_factory=dict)
    by_corpus: dict[str, Breakdown] = Field(default_factory=dict)
    by_article: dict[str, Breakdown] = Field(default_factory=dict)
    failures: dict[str, int] = Field(default_factory=dict)
    # rows with signals["confidence"]: the curve (coverage rising) and where the run stood
    risk_coverage: list[dict[str, Any]] = Field(default_factory=list)
    operating_point: dict[str, Any] | None = None

    def metric(self, key: str) -> Any:
        """A figure by its JSON key (``"hit@4"``) or field name; None when absent."""
        for name, info in type(self).model_fields.items():
            if key in (name, info.serialization_alias):
                return getattr(self, name)
        return None

    def curve_points(self) -> list[OperatingPoint]:
        return [OperatingPoint.from_dict(p) for p in self.risk_coverage]


class RunSummary(_Model):
    """``summary.json``: the run's options (kept as extra keys) and one summary per pipeline."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    run: str = ""
    started: str = ""
    finished: str = ""
    interrupted: bool = False
    questions: int = 0
    rows: int = 0
    setup: dict[str, Any] = Field(default_factory=dict)
    peak_rss_mb: float | None = None
    machine: dict[str, Any] = Field(default_factory=dict)
    pipelines: dict[str, PipelineSummary] = Field(default_factory=dict)
    # every pipeline on the questions the baseline answered (--baseline-sample), like for like
    on_baseline_sample: dict[str, PipelineSummary] = Field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        """A run option or field by name (options like ``model`` are extra keys)."""
        return self.to_dict().get(key, default)


def _rate(flags: Iterable[Any]) -> float | None:
    data = [bool(f) for f in flags if f is not None]
    return sum(data) / len(data) if data else None


def summarize_pipeline(rows: Sequence[EvalRow],
                       threshold: float | None = None) -> PipelineSummary:
    """Summary of one pipeline's rows (`threshold`: the decline threshold the run used)."""
    ans = [r for r in rows if r.answerable]
    una = [r for r in rows if not r.answerable]
    answered = [r for r in ans if not r.refused and not r.error]
    met = [r.metrics for r in rows]
    n_cit = sum(x.citations for x in met)
    n_exact = sum(x.citations_exact for x in met)
    timings = [r.timings for r in rows if not r.error]
    tps = [m.decode_speed(t.get("completion_tokens"), t.get("generate"), t.get("first_token"))
           for t in timings]
    with_conf = [r for r in rows if r.confidence is not None]
    return PipelineSummary(
        n=len(rows), n_answerable=len(ans), n_unanswerable=len(una),
        errors=sum(1 for r in rows if r.error),
        accuracy=_rate(r.metrics.correct for r in ans),
        overall=_rate(x.correct for x in met),
        refusal_accuracy=m.refusal_accuracy([r.refused for r in rows],
                                            [r.answerable for r in rows]),
        false_refusal_rate=m.false_refusal_rate([r.refused for r in rows],
                                                [r.answerable for r in rows]),
        exact_match=m.mean(r.metrics.exact_match for r in ans),
        f1=m.mean(r.metrics.f1 for r in ans),
        containment=_rate(r.metrics.contains for r in ans),
        hit_at_1=m.mean(x.hit_at_1 for x in met),
        hit_at_k=m.mean(x.hit_at_k for x in met),
        recall_at_k=m.mean(x.recall_at_k for x in met),
        mrr=m.mean(x.rr for x in met),
        citations=n_cit,
        citation_violations=n_cit - n_exact,
        phrases_outside_quote=sum(1 for x in met if x.phrase_in_quote is False),
        # a pipeline that never cites scores 0 on precision and recall (shown as such),
        # while the invariant has nothing to check (None)
        citation_invariant=n_exact / n_cit if n_cit else None,
        citation_precision=(sum(x.citations_supporting for x in met) / n_cit
                            if n_cit else 0.0),
        citation_recall=_rate(r.metrics.supported for r in answered) if answered else None,
        injection_followed_rate=_rate(x.injection_followed for x in met),
        canary_leak_rate=_rate(x.canary_leaked for x in met),
        # wall_* are measured by the runner around `stream_answer`, the same way for
        # every pipeline; a pipeline's own figures are the fallback
        latency=m.latency_summary(t.get("wall_total", t.get("total")) for t in timings),
        first_token=m.latency_summary(
            t.get("wall_first_token", t.get("first_token")) for t in timings),
        retrieve=m.latency_summary(t.get("retrieve") for t in timings),
        tokens_per_s=m.percentile([v for v in tps if v is not None], 50),
        by_type=breakdown(rows, lambda r: r.type),
        by_split=breakdown(rows, lambda r: r.split),
        by_set=breakdown(rows, lambda r: r.set_name),
        by_corpus=breakdown(rows, lambda r: r.corpus),
        by_article=breakdown(rows, lambda r: r.article),
        failures=failure_counts(rows),
        risk_coverage=[p.to_dict() for p in curve(with_conf)] if with_conf else [],
        operating_point=used_point(rows, threshold).to_dict() if rows else None,
    )


def failure_counts(rows: Iterable[EvalRow]) -> dict[str, int]:
    """How many rows failed in each way, in `FAILURE_KINDS` order."""
    counts = Counter(r.failure for r in rows if r.failure)
    return {k: counts[k] for k in (*FAILURE_KINDS, *sorted(set(counts) - set(FAILURE_KINDS)))
            if counts.get(k)}


def breakdown(rows: Sequence[EvalRow], key: Any) -> dict[str, Breakdown]:
    """Rows grouped by ``key(row)``: right answers and the split of wrong ones per group."""
    groups: dict[str, list[EvalRow]] = {}
    for r in rows:
        groups.setdefault(str(key(r) or ""), []).append(r)
    out = {}
    for k, g in sorted(groups.items()):
        ans = [r for r in g if r.answerable]
        una = [r for r in g if not r.answerable]
        out[k] = Breakdown(
            n=len(g), right=sum(r.metrics.correct for r in g),
            rate=_rate(r.metrics.correct for r in g),
            n_answerable=len(ans), answerable_right=sum(r.metrics.correct for r in ans),
            n_unanswerable=len(una), unanswerable_declined=sum(r.refused for r in una),
            failures=failure_counts(g),
        )
    return out


def summarize(rows: Sequence[EvalRow],
              threshold: float | None = None) -> dict[str, PipelineSummary]:
    """One summary per pipeline name, in the order pipelines first appear."""
    names = list(dict.fromkeys(r.pipeline for r in rows))
    return {name: summarize_pipeline([r for r in rows if r.pipeline == name], threshold)
            for name in names}


def speed_ratio(ours: float | None, other: float | None) -> float | None:
    """How many times slower `other` is than `ours` (>1 means ours is faster)."""
    if not ours or other is None:
        return None
    return other / ours
