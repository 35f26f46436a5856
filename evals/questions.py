"""Load evaluation question sets (JSONL) and pin their gold evidence to offsets.

Each line of a set file is one question; `evals/sets/README.md` documents the
fields. Gold evidence is written as quotes, never as offsets: this module finds
each quote in its document and fails loudly when a quote is missing or occurs
more than once, so an edited document or a typo cannot silently move the gold
span. Rows in an external benchmark's own format (``category`` instead of
``type``, e.g. ``../shared/squad2-dev/questions.jsonl``) are read by
`evals.external_sets`, which is lenient about repeated evidence sentences.
It does not run anything; `evals.runner` does.

Example:
    >>> qs = load_questions([set_file("article")])
    >>> q = qs[0]
    >>> doc = read_source(q.corpus / q.evidence[0].source)
    >>> doc[q.evidence[0].start:q.evidence[0].end] == q.evidence[0].quote
    True
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from evals.external_sets import is_external, parse_external
from evals.open_sets import is_kind_row
from evals.question_types import Evidence, Question, QuestionSetError, read_source

TYPES = frozenset({
    "single_fact", "numeric", "paraphrase", "list", "multi_hop", "follow_up",
    "unanswerable", "injection_question", "injection_document",
})
SPLITS = frozenset({"dev", "heldout"})
_KEYS = {
    "id", "type", "split", "ci", "question", "history", "answerable", "answers",
    "must_include", "evidence", "forbidden", "corpus", "note",
}
DEFAULT_CORPUS = "seeds"


def project_root() -> Path:
    """The folder holding the `evals` package (where `seeds/` lives in a checkout)."""
    return Path(__file__).resolve().parent.parent


def default_set_files() -> list[Path]:
    """Every ``evals/sets/*.jsonl``, sorted by name."""
    return sorted((Path(__file__).resolve().parent / "sets").glob("*.jsonl"))


def set_file(name: str) -> Path:
    """One of our sets by name: ``set_file("article")`` is ``evals/sets/article.jsonl``."""
    return Path(__file__).resolve().parent / "sets" / f"{name}.jsonl"


def locate_quote(text: str, quote: str, where: str) -> tuple[int, int]:
    """Return ``(start, end)`` of the single occurrence of `quote` in `text`.

    >>> locate_quote("a cat and a dog", "a dog", "doc")
    (10, 15)
    """
    first = text.find(quote)
    if not quote or first < 0:
        raise QuestionSetError(f"{where}: evidence quote not found: {quote!r}")
    if text.find(quote, first + 1) >= 0:
        raise QuestionSetError(
            f"{where}: evidence quote occurs more than once, make it longer: {quote!r}"
        )
    return first, first + len(quote)


def load_questions(paths: list[Path], root: Path | None = None,
                   corpus: Path | None = None, corpus_name: str | None = None) -> list[Question]:
    """Parse and validate set files; ids must be unique across all of them.

    Args:
        paths: JSONL set files, in our format or an external benchmark's
            (`evals.external_sets`), one format per file.
        root: folder that a row's ``corpus`` is relative to (default: `project_root()`).
            Tests pass a temporary copy here.
        corpus: the corpus folder for rows that name none (external rows always;
            our rows instead of the default ``seeds``), as given by the user.
        corpus_name: how rows and summaries name `corpus` (default: as given).
    """
    root = Path(root) if root else project_root()
    corpus_dir = Path(corpus).resolve() if corpus is not None else None
    corpus_label = corpus_name or (Path(corpus).as_posix() if corpus is not None else "")
    if corpus_dir is not None and not corpus_dir.is_dir():
        raise QuestionSetError(f"corpus folder {corpus_label} does not exist")
    out: list[Question] = []
    seen: dict[str, str] = {}
    texts: dict[Path, str] = {}
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise QuestionSetError(f"question set {path} does not exist")
        with open(path, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                where = f"{path.name}:{lineno}"
                try:
                    raw = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise QuestionSetError(f"{where}: not valid JSON ({exc})") from None
                if is_kind_row(raw):  # an open or conversation row: `evals.open_eval` runs it
                    continue
                if is_external(raw):
                    # a benchmark's folder holds its questions.jsonl: name the set after it
                    name = path.parent.name if path.stem == "questions" else path.stem
                    q = parse_external(raw, where, name, corpus_dir, corpus_label, texts)
                else:
                    q = _parse(raw, where, path.stem, root, texts, corpus_dir, corpus_label)
                if q.id in seen:
                    raise QuestionSetError(f"{where}: id {q.id!r} already used in {seen[q.id]}")
                seen[q.id] = where
                out.append(q)
    return out


def _parse(raw: Any, where: str, set_name: str, root: Path, texts: dict[Path, str],
           default_corpus: Path | None = None, default_name: str = "") -> Question:
    if not isinstance(raw, dict):
        raise QuestionSetError(f"{where}: each line must be a JSON object")
    unknown = set(raw) - _KEYS
    if unknown:
        raise QuestionSetError(
            f"{where}: unknown field(s) {sorted(unknown)}; known: {sorted(_KEYS)}"
        )
    for key in ("id", "type", "question", "answerable"):
        if key not in raw:
            raise QuestionSetError(f"{where}: missing required field {key!r}")
    if raw["type"] not in TYPES:
        raise QuestionSetError(f"{where}: type {raw['type']!r} is not one of {sorted(TYPES)}")
    split = raw.get("split", "dev")
    if split not in SPLITS:
        raise QuestionSetError(f"{where}: split {split!r} is not one of {sorted(SPLITS)}")
    answerable = raw["answerable"]
    if not isinstance(answerable, bool):
        raise QuestionSetError(f"{where}: answerable must be true or false")
    if answerable and not (raw.get("answers") and raw.get("evidence")):
        raise QuestionSetError(f"{where}: an answerable question needs answers and evidence")
    if not answerable and (raw.get("answers") or raw.get("evidence")):
        raise QuestionSetError(f"{where}: an unanswerable question takes no answers or evidence")
    history = raw.get("history", [])
    if not all(isinstance(p, list) and len(p) == 2 for p in history):
        raise QuestionSetError(f"{where}: history must be a list of [user, assistant] pairs")

    if "corpus" in raw or default_corpus is None:
        corpus_name = raw.get("corpus", DEFAULT_CORPUS)
        corpus = (root / corpus_name).resolve()
    else:  # --corpus: relative to the working folder, as the user typed it
        corpus_name, corpus = default_name, default_corpus
    if not corpus.is_dir():
        raise QuestionSetError(f"{where}: corpus folder {corpus_name!r} not found under {root}")
    evidence = []
    for ev in raw.get("evidence", []):
        doc = corpus / ev["source"]
        if doc not in texts:
            if not doc.is_file():
                raise QuestionSetError(f"{where}: evidence source {ev['source']!r} not in corpus")
            texts[doc] = read_source(doc)
        start, end = locate_quote(texts[doc], ev["quote"], f"{where} ({ev['source']})")
        evidence.append(Evidence(ev["source"], ev["quote"], start, end))

    return Question(
        id=str(raw["id"]), type=raw["type"], question=raw["question"], answerable=answerable,
        corpus=corpus, corpus_name=corpus_name, set_name=set_name, split=split,
        ci=bool(raw.get("ci", False)),
        history=tuple((str(u), str(a)) for u, a in history),
        answers=tuple(raw.get("answers", ())), must_include=tuple(raw.get("must_include", ())),
        evidence=tuple(evidence), forbidden=tuple(raw.get("forbidden", ())),
        note=raw.get("note", ""), article=evidence[0].source if evidence else "",
    )
