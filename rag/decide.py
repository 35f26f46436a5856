"""Step 5 of an answer, the decline decision: show the verified answer, or decline.

The reader always proposes an answer. Whether to show it is decided here from
measured signals — the model's token probabilities (its one-token Yes/No
judgement, how sure it was of each answer token), retrieval scores, and how
well the cited span fits the question (names of the question missing from it,
its share of the question's words) — combined by a logistic model fitted on
part of a development set (`evals/tuning/fit_decision.py`; the fitted weights are in
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

from index.names import NameVocabulary, question_names
from index.text import QUESTION_WORDS, content_terms
from index.types import Passage
from rag.reader import Reading, describe
from rag.types import Citation
from rag.verify import DECLINE_TEXT, Located, Verified, answers_the_type, phrase_in_quote

# Reasons of a decline for a question that is not about the documents: it names what
# they never mention, or most of its words appear in none of them.
NAME_NOT_IN_DOCUMENTS = "name_not_in_documents"
WORDS_NOT_IN_DOCUMENTS = "words_not_in_documents"
# Share of a question's content words no document holds from which it is declined:
# more than two in three (two of three is a short question with two framing words,
# "How far away is Damascus?"). Measured on whole sets without the model: 1 of 2273
# answerable SQuAD-dev questions (misspelt) and 1 of 78 of ours (a paraphrase, "the
# kingdom next door") are declined, against 3969 of 4415 SQuAD-dev questions asked
# of the seed article alone and 916 of 1236 of ours asked of each SQuAD article
# alone (with the name rule); at two in three, 6 of our 78 were.
OFF_CORPUS_SHARE = 0.67

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
        # logged, not (yet) decision features: what the shown-phrase invariants did
        "phrase_in_quote": float(bool(quote) and phrase_in_quote(located.phrase or answer, quote)),
        "phrase_type_ok": float(located.phrase_type_ok),
        "role_resolved": float(bool(located.phrase)),
    }


def name_signals(
    question: str, vocabulary: NameVocabulary | None, passages: Sequence[Passage]
) -> dict[str, float]:
    """How many of the question's names (words, acronyms, numbers) the corpus never
    mentions — any one means the question is not about the documents, and it is
    declined (`off_corpus`) — how many the corpus holds but the retrieved passages
    do not (a signal, not a rule: retrieval may have missed), and the share of the
    question's content words no document holds.

    >>> v = NameVocabulary.from_texts(["Envoys met in Amman in 2017.", "Paris is far."])
    >>> p = [Passage("p", "a.txt", 0, 28, "Envoys met in Amman in 2017.")]
    >>> name_signals("Who met in Paris and in Amman in 2017?", v, p)
    {'names_absent_corpus': 0.0, 'names_not_retrieved': 1.0, 'terms_absent_share': 0.0}
    >>> name_signals("What is the capital of France?", v, p)["names_absent_corpus"]
    1.0
    """
    names = question_names(question, numbers=True)
    if vocabulary is None:
        return {"names_absent_corpus": 0.0, "names_not_retrieved": 0.0, "terms_absent_share": 0.0}
    absent = [n for n in names if not vocabulary.holds(n)]
    retrieved = NameVocabulary.from_texts(p.text for p in passages) if names else vocabulary
    missed = [n for n in names if n not in absent and not retrieved.holds(n)]
    terms = [t for t in content_terms(question) if t not in QUESTION_WORDS]
    unknown = sum(1 for t in terms if not vocabulary.holds_word(t))
    return {"names_absent_corpus": float(len(absent)), "names_not_retrieved": float(len(missed)),
            "terms_absent_share": unknown / len(terms) if terms else 0.0}


def off_corpus(found: Mapping[str, float]) -> str:
    """The reason to decline a question `name_signals` found not about the corpus, or "".

    >>> off_corpus({"names_absent_corpus": 0.0, "terms_absent_share": 0.8})
    'words_not_in_documents'
    """
    if found.get("names_absent_corpus", 0.0) > 0:
        return NAME_NOT_IN_DOCUMENTS
    if found.get("terms_absent_share", 0.0) >= OFF_CORPUS_SHARE:
        return WORDS_NOT_IN_DOCUMENTS
    return ""


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
    when one does but `confidence` is below `threshold`; ``"name_not_in_documents"``
    or ``"words_not_in_documents"`` when the question is not about the documents.
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
    names: Mapping[str, float] | None = None,
) -> Decision:
    """Show `verified` when the decision model's confidence reaches `threshold`;
    else decline. An unverified answer is declined whatever the confidence, and so
    is a question `names` (from `name_signals`) shows is not about the documents.

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
    found.update(names or {})  # logged beside the fitted inputs, not (yet) among them
    rounded = {k: round(v, 4) for k, v in found.items()}
    draft = reading.answer if verified.refused else verified.text
    if not verified.refused and confidence < threshold:
        verified = Verified(DECLINE_TEXT, refused=True, reason="low_confidence")
    not_about = off_corpus(names or {})
    if not_about:
        verified = Verified(DECLINE_TEXT, refused=True, reason=not_about)
    return Decision(verified.text, verified.citations, verified.refused, verified.reason,
                    confidence, threshold, rounded, draft)
