"""Read question rows written in an external benchmark's own format (e.g. ``../shared/squad2-dev``).

A row of that format has ``id, category ("factual" | "unanswerable"), question,
answers`` (all gold strings, ``[]`` when unanswerable), ``evidence`` (one
sentence holding the first gold answer, ``""`` or absent when unanswerable),
``source`` (the article's file name) and optionally ``squad_id``. Its rows name
no corpus folder: the caller gives one (``rag eval --corpus DIR``).

Unlike our hand-written sets, an evidence sentence that occurs more than once
in its article takes its **first** occurrence: the sentence was cut from the
article by someone else, and a repeated sentence is the text's, not a typo of
ours (both occurrences hold the answer). A sentence not found at all is still
an error. `evals.questions.load_questions` dispatches here.

Example:
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / "a.txt").write_text("Title\\n\\nParis is big. Paris is big.", encoding="utf-8")
    >>> raw = {"id": "s1", "category": "factual", "question": "Is Paris big?",
    ...        "answers": ["big"], "evidence": "Paris is big.", "source": "a.txt"}
    >>> q = parse_external(raw, "q.jsonl:1", "squad", d, "corpus", {})
    >>> (q.type, q.article, q.evidence[0].start)
    ('factual', 'a.txt', 7)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals.question_types import Evidence, Question, QuestionSetError, read_source

EXTERNAL_KEYS = frozenset({"id", "category", "question", "answers", "evidence", "source",
                           "squad_id"})
CATEGORIES = frozenset({"factual", "unanswerable"})


def is_external(raw: Any) -> bool:
    """A row in the external format names a ``category`` and no ``type``."""
    return isinstance(raw, dict) and "category" in raw and "type" not in raw


def parse_external(raw: dict[str, Any], where: str, set_name: str, corpus: Path | None,
                   corpus_name: str, texts: dict[Path, str]) -> Question:
    """One external row → a `Question` whose evidence is located in ``corpus/source``."""
    unknown = set(raw) - EXTERNAL_KEYS
    if unknown:
        raise QuestionSetError(f"{where}: unknown field(s) {sorted(unknown)}; "
                               f"known: {sorted(EXTERNAL_KEYS)}")
    for key in ("id", "category", "question", "source"):
        if not raw.get(key):
            raise QuestionSetError(f"{where}: missing required field {key!r}")
    if raw["category"] not in CATEGORIES:
        raise QuestionSetError(f"{where}: category {raw['category']!r} is not one of "
                               f"{sorted(CATEGORIES)}")
    if corpus is None:
        raise QuestionSetError(f"{where}: this set's rows name no corpus folder: "
                               "give one with --corpus DIR")
    answerable = raw["category"] == "factual"
    answers = tuple(str(a) for a in raw.get("answers") or ())
    quote = raw.get("evidence") or ""
    if answerable and not (answers and quote):
        raise QuestionSetError(f"{where}: a factual question needs answers and evidence")
    if not answerable and (answers or quote):
        raise QuestionSetError(f"{where}: an unanswerable question takes no answers or evidence")
    doc = corpus / raw["source"]
    if doc not in texts:
        if not doc.is_file():
            raise QuestionSetError(f"{where}: source {raw['source']!r} not in {corpus_name}")
        texts[doc] = read_source(doc)
    evidence: tuple[Evidence, ...] = ()
    if quote:
        start = texts[doc].find(quote)
        if start < 0:
            raise QuestionSetError(f"{where}: evidence not found in {raw['source']}: {quote!r}")
        evidence = (Evidence(raw["source"], quote, start, start + len(quote)),)
    return Question(
        id=str(raw["id"]), type=raw["category"], question=raw["question"],
        answerable=answerable, corpus=corpus, corpus_name=corpus_name, set_name=set_name,
        answers=answers, evidence=evidence, article=raw["source"],
    )
