"""The evaluation question sets: schema, coverage, gold evidence and the injection corpus."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from evals.questions import (
    TYPES,
    QuestionSetError,
    default_set_files,
    load_questions,
    locate_quote,
    read_source,
)
from evals.runner import load_rows  # noqa: F401  (import check: no model at import)

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_45462b0256a40011.txt"


@pytest.fixture(scope="module")
def questions():  # type: ignore[no-untyped-def]
    return load_questions(default_set_files())


def test_at_least_80_questions_covering_every_type(questions) -> None:  # type: ignore[no-untyped-def]
    assert len(questions) >= 80
    counts = Counter(q.type for q in questions)
    assert set(counts) == TYPES
    assert counts["unanswerable"] >= 15
    assert sum(1 for q in questions if q.history) >= 10


def test_evidence_offsets_point_at_the_quotes(questions) -> None:  # type: ignore[no-untyped-def]
    for q in questions:
        assert bool(q.evidence) == q.answerable, q.id
        for ev in q.evidence:
            assert read_source(q.corpus / ev.source)[ev.start : ev.end] == ev.quote, q.id
    assert any(len(q.evidence) >= 2 for q in questions if q.type == "multi_hop")


def test_heldout_split_and_ci_slice(questions) -> None:  # type: ignore[no-untyped-def]
    heldout = [q for q in questions if q.split == "heldout"]
    ci = [q for q in questions if q.ci]
    assert len(heldout) >= 15
    assert set(q.type for q in heldout) == TYPES  # every kind is represented
    assert 12 <= len(ci) <= 20
    assert not [q.id for q in ci if q.split == "heldout"]  # the slice never tunes on held-out
    assert any(not q.answerable for q in ci) and any(q.forbidden for q in ci)
    readme = (ROOT / "evals" / "sets" / "README.md").read_text(encoding="utf-8")
    for q in heldout:  # the README names every held-out question
        assert f"`{q.id}`" in readme


def test_questions_are_not_sentences_copied_from_the_article(questions) -> None:  # type: ignore[no-untyped-def]
    article = read_source(SEED).lower()
    for q in questions:
        assert q.question.lower().rstrip("?.") not in article, q.id


def test_injection_corpus_is_separate_and_carries_canaries(questions) -> None:  # type: ignore[no-untyped-def]
    corpus = ROOT / "evals" / "corpus_injection"
    assert read_source(corpus / SEED.name) == read_source(SEED)  # an unchanged copy
    notes = read_source(corpus / "aid_notes_deraa.md")
    assert "OSPREY-7731" in notes
    assert not any("OSPREY" in read_source(p) for p in (ROOT / "seeds").iterdir())
    doc_rows = [q for q in questions if q.type == "injection_document"]
    assert doc_rows and all(q.corpus == corpus.resolve() for q in doc_rows)
    assert all("OSPREY-7731" in q.forbidden for q in doc_rows)


def test_locate_quote_fails_loudly() -> None:
    assert locate_quote("one two three", "two", "doc") == (4, 7)
    with pytest.raises(QuestionSetError, match="not found"):
        locate_quote("one two three", "four", "doc")
    with pytest.raises(QuestionSetError, match="more than once"):
        locate_quote("two and two", "two", "doc")


def _write_set(tmp_path: Path, *rows: dict) -> Path:
    (tmp_path / "seeds").mkdir(exist_ok=True)
    (tmp_path / "seeds" / "doc.txt").write_text("Alpha met Beta in Gamma. Beta left.\n")
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


GOOD = {"id": "x-1", "type": "single_fact", "question": "Where?", "answerable": True,
        "answers": ["Gamma"], "evidence": [{"source": "doc.txt", "quote": "in Gamma"}]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "red"}, "unknown field"),
        ({"type": "trivia"}, "type 'trivia'"),
        ({"split": "test"}, "split 'test'"),
        ({"evidence": []}, "needs answers and evidence"),
        ({"evidence": [{"source": "doc.txt", "quote": "in Delta"}]}, "not found"),
        ({"evidence": [{"source": "doc.txt", "quote": "Beta"}]}, "more than once"),
        ({"evidence": [{"source": "nope.txt", "quote": "x"}]}, "not in corpus"),
        ({"corpus": "elsewhere"}, "corpus folder"),
        ({"history": [["only one"]]}, "history"),
        ({"answerable": False}, "takes no answers"),
    ],
)
def test_malformed_rows_are_rejected(tmp_path: Path, change: dict, message: str) -> None:
    path = _write_set(tmp_path, {**GOOD, **change})
    with pytest.raises(QuestionSetError, match=message):
        load_questions([path], root=tmp_path)


def test_duplicate_ids_and_bad_json_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(QuestionSetError, match="already used"):
        load_questions([_write_set(tmp_path, GOOD, GOOD)], root=tmp_path)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    with pytest.raises(QuestionSetError, match="not valid JSON"):
        load_questions([bad], root=tmp_path)


def test_a_good_row_resolves_offsets(tmp_path: Path) -> None:
    (q,) = load_questions([_write_set(tmp_path, GOOD)], root=tmp_path)
    assert (q.evidence[0].start, q.evidence[0].end) == (15, 23)
    assert q.corpus == (tmp_path / "seeds").resolve() and q.split == "dev" and not q.ci
