"""Step 5 of an answer, the decline decision: show the verified answer, or decline.

The reader always proposes an answer. Whether to show it is decided here from
measured signals — the model's token probabilities (its one-token Yes/No
judgement, how sure it was of each answer token), retrieval scores, and how
well the cited span fits the question (names of the question missing from it,
its share of the question's words) — combined by a logistic model fitted on
part of a development set (`evals/fit_decision.py`; the fitted weights are in
`rag/decision.json`, the run that chose them in `evals/thresholds.json`).
The answer is shown when the model's probability that it is right is at least
`Settings.decline_threshold`.

`decide` comes after verification (`rag.verify`) and reads what it found; it
never calls back into it. Its `Decision` says what is shown (text, citations,
refused, reason), the confidence and the threshold it was held to, the signals,
and the draft (what would have been shown, kept when declined).

Example:
    >>> model = DeclineModel(["judge_log_odds"], [0.0], [1.0], [2.0], 0.0)
    >>> round(model.confidence({"judge_log_odds": 1.0}), 3)
    0.881
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from index.text import content_terms
from index.types import Passage
from rag.reader import Reading, describe
from rag.types import Citation
from rag.verify import DECLINE_TEXT, Located, Verified, answers_the_type

FEATURES = (
    "judge_log_odds", "answer_first_logprob", "answer_mean_logprob", "answer_min_logprob",
    "answer_tokens", "cited", "verbatim", "support", "question_cover", "keys_missing_span",
    "keys_missing_context", "echo", "type_ok", "question_terms", "none_logprob",
    "cited_similarity", "choice_none", "choice_top", "choice_agrees",
)
# Logged but not used: "dense_top" and "lexical_top" depend on the corpus's size
# (a best-of-N similarity, a BM25 score scaled by IDF), so a model fitted on a
# 12-article corpus misreads them on a one-article one.


def signals(
    question: str, answer: str, reading_stats: Mapping[str, float], located: Located,
    passages: Sequence[Passage], similarity: Callable[[str, str], float] | None = None,
    chosen: Passage | None = None,
) -> dict[str, float]:
    """Every input of the decision, as plain floats (they are logged with each answer).

    `similarity(question, quote)` is the embedder's cosine (0 when not given);
    `chosen` is the sentence the model picked by number (None: none, or not asked).
    """
    cite = located.citation
    quote = cite.quote if cite else ""
    agrees = bool(cite and chosen and cite.source == chosen.source
                  and cite.start < chosen.end and chosen.start < cite.end)
    return {
        **{k: float(v) for k, v in reading_stats.items()},
        "cited": float(located.citation is not None),
        "verbatim": float(located.verbatim),
        "support": located.support,
        "question_cover": located.question_cover,
        "keys_missing_span": float(located.keys_missing_span),
        "keys_missing_context": float(located.keys_missing_context),
        "echo": located.echo,
        "type_ok": float(bool(answer) and answers_the_type(question, f"{answer} {quote}")),
        "dense_top": max((p.dense or 0.0 for p in passages), default=0.0),
        "lexical_top": math.log1p(max((p.lexical or 0.0 for p in passages), default=0.0)),
        "question_terms": float(len(set(content_terms(question)))),
        "cited_similarity": similarity(question, quote) if similarity and quote else 0.0,
        "choice_agrees": float(agrees),
    }


@dataclass(frozen=True)
class DeclineModel:
    """A logistic model over standardised signals: P(the proposed answer is right)."""

    features: Sequence[str]
    mean: Sequence[float]
    scale: Sequence[float]
    coef: Sequence[float]
    intercept: float

    def confidence(self, values: Mapping[str, float]) -> float:
        z = self.intercept
        for name, mu, sd, w in zip(self.features, self.mean, self.scale, self.coef,
                                   strict=True):
            z += w * (float(values.get(name, 0.0)) - mu) / (sd or 1.0)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def to_dict(self) -> dict[str, Any]:
        return {"features": list(self.features), "mean": list(self.mean),
                "scale": list(self.scale), "coef": list(self.coef),
                "intercept": self.intercept}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeclineModel:
        return cls(list(data["features"]), list(data["mean"]), list(data["scale"]),
                   list(data["coef"]), float(data["intercept"]))


@lru_cache(maxsize=1)
def shipped_model() -> DeclineModel:
    """The fitted model shipped in `rag/decision.json` (read once, on first use)."""
    text = resources.files("rag").joinpath("decision.json").read_text(encoding="utf-8")
    return DeclineModel.from_dict(json.loads(text)["model"])


@dataclass(frozen=True)
class Decision:
    """What is shown for one question, and why (see `decide`).

    `reason` is empty for a shown answer; ``"unsupported"`` when no span of the
    text the model read holds its answer (or it gave none); ``"low_confidence"``
    when one does but `confidence` is below `threshold`.
    """

    text: str
    citations: list[Citation]
    refused: bool
    reason: str
    confidence: float
    threshold: float
    signals: dict[str, float]
    draft: str  # what would be shown without the decision (the reader's phrase if unverified)


def decide(
    question: str, reading: Reading, located: Located, verified: Verified,
    passages: Sequence[Passage], model: DeclineModel, threshold: float,
    similarity: Callable[[str, str], float] | None = None,
) -> Decision:
    """Show `verified` when the decision model's confidence reaches `threshold`;
    else decline. An unverified answer is declined whatever the confidence.

    >>> from rag.verify import Verified, Located
    >>> m = DeclineModel(["judge_log_odds"], [0.0], [1.0], [2.0], 0.0)
    >>> sure, unsure = Reading(answer="1884", judge_log_odds=3.0), Reading(answer="1884", judge_log_odds=-3.0)
    >>> shown = Verified("1884 [1]", [])
    >>> decide("When?", sure, Located(None), shown, [], m, 0.25).refused
    False
    >>> d = decide("When?", unsure, Located(None), shown, [], m, 0.25)
    >>> d.refused, d.reason, d.draft
    (True, 'low_confidence', '1884 [1]')
    """
    found = signals(question, reading.answer, describe(reading), located, passages,
                    similarity, reading.chosen())
    confidence = model.confidence(found)
    found["confidence"] = confidence
    rounded = {k: round(v, 4) for k, v in found.items()}
    draft = reading.answer if verified.refused else verified.text
    if not verified.refused and confidence < threshold:
        verified = Verified(DECLINE_TEXT, refused=True, reason="low_confidence")
    return Decision(verified.text, verified.citations, verified.refused, verified.reason,
                    confidence, threshold, rounded, draft)
