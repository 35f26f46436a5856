"""Aggregate scored rows (see `evals.scoring`) into one summary per pipeline.

The summary is plain JSON: headline answer quality, refusals, retrieval,
citations, injection, speed, and breakdowns by question type, by split and by
failure kind. Rates are over the rows they make sense for (accuracy over
answerable questions, refusal accuracy over unanswerable ones, ...); a rate
with no rows to average is None, shown as "n/a".

Example:
    >>> rows = [{"pipeline": "ours", "answerable": True, "refused": False,
    ...          "metrics": {"correct": True}, "timings": {"total": 1.5}}]
    >>> summarize(rows)["ours"]["accuracy"]
    1.0
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from evals import metrics as m
from evals.scoring import RETRIEVAL_K

# Headline metrics in report order: (key, label, higher_is_better).
HEADLINE = (
    ("accuracy", "Right answers (answerable questions)", True),
    ("refusal_accuracy", "Declined when the article lacks the answer", True),
    ("false_refusal_rate", "Declined an answerable question", False),
    ("overall", "Right, all questions", True),
    ("exact_match", "Exact match (SQuAD)", True),
    ("f1", "Token F1 (SQuAD)", True),
    ("containment", "Answer contained", True),
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


def _rate(flags: Iterable[Any]) -> float | None:
    data = [bool(f) for f in flags if f is not None]
    return sum(data) / len(data) if data else None


def summarize_pipeline(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Summary of one pipeline's rows."""
    ans = [r for r in rows if r["answerable"]]
    una = [r for r in rows if not r["answerable"]]
    answered = [r for r in ans if not r["refused"] and not r.get("error")]
    met = [r["metrics"] for r in rows]
    n_cit = sum(x.get("citations", 0) for x in met)
    timings = [r.get("timings", {}) for r in rows if not r.get("error")]
    tps = [m.decode_speed(t.get("completion_tokens"), t.get("generate"), t.get("first_token"))
           for t in timings]
    out: dict[str, Any] = {
        "n": len(rows), "n_answerable": len(ans), "n_unanswerable": len(una),
        "errors": sum(1 for r in rows if r.get("error")),
        "accuracy": _rate(r["metrics"]["correct"] for r in ans),
        "overall": _rate(x["correct"] for x in met),
        "refusal_accuracy": m.refusal_accuracy([r["refused"] for r in rows],
                                               [r["answerable"] for r in rows]),
        "false_refusal_rate": m.false_refusal_rate([r["refused"] for r in rows],
                                                   [r["answerable"] for r in rows]),
        "exact_match": m.mean(r["metrics"].get("exact_match") for r in ans),
        "f1": m.mean(r["metrics"].get("f1") for r in ans),
        "containment": _rate(r["metrics"].get("contains") for r in ans),
        "hit@1": m.mean(x.get("hit@1") for x in met),
        f"hit@{RETRIEVAL_K}": m.mean(x.get(f"hit@{RETRIEVAL_K}") for x in met),
        f"recall@{RETRIEVAL_K}": m.mean(x.get(f"recall@{RETRIEVAL_K}") for x in met),
        "mrr": m.mean(x.get("rr") for x in met),
        "citations": n_cit,
        "citation_violations": n_cit - sum(x.get("citations_exact", 0) for x in met),
        # a pipeline that never cites scores 0 on precision and recall (shown as such),
        # while the invariant has nothing to check (None)
        "citation_invariant": (sum(x.get("citations_exact", 0) for x in met) / n_cit
                               if n_cit else None),
        "citation_precision": (sum(x.get("citations_supporting", 0) for x in met) / n_cit
                               if n_cit else 0.0),
        "citation_recall": _rate(r["metrics"].get("supported") for r in answered)
        if answered else None,
        "injection_followed_rate": _rate(x.get("injection_followed") for x in met),
        "canary_leak_rate": _rate(x.get("canary_leaked") for x in met),
        # wall_* are measured by the runner around `stream_answer`, the same way for
        # every pipeline; a pipeline's own figures are the fallback
        "latency": m.latency_summary(t.get("wall_total", t.get("total")) for t in timings),
        "first_token": m.latency_summary(
            t.get("wall_first_token", t.get("first_token")) for t in timings
        ),
        "retrieve": m.latency_summary(t.get("retrieve") for t in timings),
        "tokens_per_s": m.percentile([v for v in tps if v is not None], 50),
        "by_type": _breakdown(rows, "type"),
        "by_split": _breakdown(rows, "split"),
        "failures": dict(Counter(r["failure"] for r in rows if r.get("failure")).most_common()),
    }
    return out


def _breakdown(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(str(r.get(key, "")), []).append(r)
    return {
        k: {"n": len(g), "right": sum(r["metrics"]["correct"] for r in g),
            "rate": _rate(r["metrics"]["correct"] for r in g)}
        for k, g in sorted(groups.items())
    }


def summarize(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """One summary per pipeline name, in the order pipelines first appear."""
    names = list(dict.fromkeys(r["pipeline"] for r in rows))
    return {name: summarize_pipeline([r for r in rows if r["pipeline"] == name])
            for name in names}


def speed_ratio(ours: float | None, other: float | None) -> float | None:
    """How many times slower `other` is than `ours` (>1 means ours is faster)."""
    if not ours or other is None:
        return None
    return other / ours
