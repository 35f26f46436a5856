"""One evaluation row as a typed object: what `rows.jsonl` holds, one line each.

An `EvalRow` is one question answered by one pipeline: the question, what was
expected, what the pipeline said (text, refusal, citations, retrieved
passages, timings, the decline decision's `signals` and the reader's `draft`),
every per-question
metric (`RowMetrics`) and a `failure` kind naming the first thing that went
wrong. `to_dict` gives the JSON line (keys as they always were, e.g.
``"hit@4"`` and ``"set"``); `from_dict` reads it back, including rows written
before `signals` and the failure split existed. Scoring lives in
`evals.scoring`; aggregation in `evals.summary`.

Example:
    >>> row = EvalRow(pipeline="ours", id="q1", set_name="article", type="single_fact",
    ...               question="Where?", answerable=True, answer="In Amman.",
    ...               metrics=RowMetrics(correct=True))
    >>> d = row.to_dict()
    >>> d["set"], d["metrics"]["hit@4"]
    ('article', None)
    >>> EvalRow.from_dict(d) == row
    True
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

RETRIEVAL_K = 4  # both pipelines give the model four passages by default
# the JSON keys below spell RETRIEVAL_K out ("hit@4"): type checkers need literals
# Every wrong answer gets exactly one kind, checked in this order.
FAILURE_KINDS = (
    "error",  # the pipeline raised
    "injection_followed",  # a forbidden string (canary, injected phrase) is in the answer
    "answered_unanswerable",  # should have declined, answered instead
    "not_retrieved",  # answerable, wrong, and no retrieved passage held the gold evidence
    "false_refusal",  # answerable, evidence retrieved, declined
    "wrong_answer",  # answerable, evidence retrieved, answered wrong
)
# Kinds written by earlier versions, read as today's.
_LEGACY_KINDS = {"wrong_answer_retrieval_miss": "not_retrieved"}


def aliased(field: str, key: str) -> Any:
    """An optional float field written as `key` in JSON (e.g. ``"hit@4"``), read as either."""
    return Field(None, serialization_alias=key, validation_alias=AliasChoices(field, key))


class JsonModel(BaseModel):
    """A typed record that reads and writes its JSON form (rows, summaries)."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values, keys as written in `rows.jsonl`."""
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        """Read what `to_dict` wrote (unknown keys are ignored)."""
        return cls.model_validate(data)


class _Model(JsonModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")


class EvidenceRow(_Model):
    """A gold quote and its offsets in ``corpus/source``."""

    source: str
    start: int
    end: int
    quote: str


class CitationRow(_Model):
    """A citation as given, and whether it is byte-exact in the stored source."""

    source: str
    start: int
    end: int
    quote: str
    exact: bool
    page: int | None = None  # 1-based, for a PDF


class PassageRow(_Model):
    """A retrieved passage (its text is left out: the offsets find it)."""

    id: str
    source: str
    start: int
    end: int
    score: float | None = None


class RowMetrics(_Model):
    """Per-question metrics; None where a metric does not apply (e.g. F1 of an unanswerable)."""

    correct: bool = False
    exact_match: float | None = None
    f1: float | None = None
    contains: bool | None = None
    hit_at_1: float | None = aliased("hit_at_1", "hit@1")
    hit_at_k: float | None = aliased("hit_at_k", "hit@4")
    recall_at_k: float | None = aliased("recall_at_k", "recall@4")
    rr: float | None = None
    # the gold evidence is covered by some passage the pipeline returned (any rank)
    retrieved: bool | None = None
    citations: int = 0
    citations_exact: int = 0
    citations_supporting: int = 0
    supported: bool | None = None
    injection_followed: bool | None = None
    canary_leaked: bool | None = None
    # would the attempted answer be right if it were given (see `evals.risk_coverage`)
    draft_correct: bool | None = None
    # the shown phrase lies in its cited quote, case and spacing aside (None: nothing cited)
    phrase_in_quote: bool | None = None


class EvalRow(_Model):
    """One question answered by one pipeline, scored."""

    pipeline: str
    id: str
    set_name: str = Field("", serialization_alias="set",
        validation_alias=AliasChoices("set_name", "set"))
    type: str = ""
    split: str = "dev"
    ci: bool = False
    corpus: str = ""
    article: str = ""
    tag: str = ""
    question: str = ""
    history: list[list[str]] = Field(default_factory=list)
    answerable: bool = True
    expected: list[str] = Field(default_factory=list)
    must_include: list[str] = Field(default_factory=list)
    evidence: list[EvidenceRow] = Field(default_factory=list)
    answer: str = ""
    refused: bool = False
    reason: str = ""
    citations: list[CitationRow] = Field(default_factory=list)
    passages: list[PassageRow] = Field(default_factory=list)
    rewritten_question: str = ""
    timings: dict[str, float] = Field(default_factory=dict)
    model: str = ""
    error: str = ""
    signals: dict[str, float] = Field(default_factory=dict)
    draft: str = ""  # the answer the reader proposed before the decision (`Answer.draft`)
    metrics: RowMetrics = Field(default_factory=lambda: RowMetrics.model_validate({}))
    failure: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvalRow:
        failure = data.get("failure", "")
        if failure in _LEGACY_KINDS:
            data = {**data, "failure": _LEGACY_KINDS[failure]}
        return cls.model_validate(data)

    @property
    def key(self) -> tuple[str, str]:
        """``(question id, pipeline)``: what a resumed run skips when already present."""
        return self.id, self.pipeline

    @property
    def confidence(self) -> float | None:
        """The decline decision's confidence, when the pipeline reported one."""
        return self.signals.get("confidence")
