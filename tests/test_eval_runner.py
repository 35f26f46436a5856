"""The evaluation runner, scoring, summary, report and CLI, driven by deterministic fakes.

No model here: `FakePipeline` (tests/fakes.py) answers by quoting the best
matching sentence, and a few tiny stand-ins below raise, leak a canary or cite
wrong offsets, so each path of the runner is exercised in well under a second.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evals import cli
from evals.questions import Question, default_set_files, load_questions
from evals.runner import CallableBuilder, load_rows, run_eval
from evals.scoring import SourceCache, score_answer
from rag.types import Answer, Citation, Passage
from tests.fakes import FakePipeline

ROOT = Path(__file__).resolve().parent.parent
SEED_NAME = "000_45462b0256a40011.txt"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A temporary project root holding copies of both eval corpora."""
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    shutil.copytree(ROOT / "evals" / "corpus_injection", tmp_path / "evals" / "corpus_injection")
    return tmp_path


@pytest.fixture
def questions(root: Path) -> list[Question]:
    return load_questions(default_set_files(), root=root)


def fake_builder(names: tuple[str, ...] = ("ours", "baseline")) -> CallableBuilder:
    return CallableBuilder(list(names), lambda corpus, store: {n: FakePipeline(corpus)
                                                               for n in names})


class Scripted:
    """Answers every question with one fixed `Answer` (or raises `exc` on call `at`)."""

    def __init__(self, answer: Answer | None = None, exc: BaseException | None = None,
                 at: int = 1) -> None:
        self.answer, self.exc, self.at, self.calls = answer, exc, at, 0

    def stream_answer(self, question: str, history: Any = ()) -> Iterator[str | Answer]:
        self.calls += 1
        if self.exc is not None and self.calls >= self.at:
            raise self.exc
        assert self.answer is not None
        yield self.answer.text
        yield self.answer


def test_a_full_run_writes_rows_summary_and_report(tmp_path: Path, questions) -> None:  # type: ignore[no-untyped-def]
    run = tmp_path / "run"
    doc = run_eval(questions, fake_builder(), run, progress=False,
                   meta={"model": "fake-model", "sets": ["all"]})
    rows = load_rows(run)
    assert len(rows) == 2 * len(questions) == doc.rows
    assert {r.pipeline for r in rows} == {"ours", "baseline"}
    assert not doc.interrupted and set(doc.pipelines) == {"ours", "baseline"}
    written = json.loads((run / "summary.json").read_text())
    assert written["questions"] == len(questions) and written["model"] == "fake-model"
    s = doc.pipelines["ours"]
    assert s.n == len(questions) and s.errors == 0
    assert s.citation_violations == 0 and s.citation_invariant == 1.0  # fake cites exactly
    assert 0 < s.accuracy < 1 and s.by_split["heldout"].n == 20
    report = (run / "report.md").read_text()
    for needle in ("## Quality", "## Speed", "baseline ÷ ours", "## By question type",
                   "## Failures", "quality.png", "latency.png", "by_type.png",
                   "## Where it fails", "| seeds | ours |", "## Declining: risk–coverage"):
        assert needle in report
    for png in ("quality.png", "latency.png", "by_type.png"):
        assert (run / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    row = json.loads((run / "rows.jsonl").read_text().splitlines()[0])
    for key in ("question", "expected", "answer", "citations", "refused", "passages",
                "timings", "metrics", "failure", "signals", "set"):
        assert key in row
    assert "hit@4" in row["metrics"] and "draft_correct" in row["metrics"]
    assert "wall_total" in row["timings"] and "wall_first_token" in row["timings"]
    assert rows[0].timings["wall_total"] >= 0


def test_ctrl_c_keeps_finished_rows(tmp_path: Path, questions) -> None:  # type: ignore[no-untyped-def]
    good = Answer("Amman [1]", passages=[])
    stopper = Scripted(good, exc=KeyboardInterrupt(), at=4)
    builder = CallableBuilder(["ours"], lambda c, s: {"ours": stopper})
    doc = run_eval(questions, builder, tmp_path / "run", progress=False)
    assert doc.interrupted and doc.rows == 3
    assert len(load_rows(tmp_path / "run")) == 3
    assert "Interrupted" in (tmp_path / "run" / "report.md").read_text()


def test_a_raising_pipeline_gives_error_rows_not_a_crash(tmp_path: Path, questions) -> None:  # type: ignore[no-untyped-def]
    broken = Scripted(exc=RuntimeError("boom"))
    doc = run_eval(questions[:3], CallableBuilder(["ours"], lambda c, s: {"ours": broken}),
                   tmp_path / "run", progress=False)
    rows = load_rows(tmp_path / "run")
    assert [r.failure for r in rows] == ["error"] * 3
    assert rows[0].error == "RuntimeError: boom"
    assert doc.pipelines["ours"].errors == 3 and doc.pipelines["ours"].accuracy == 0


# A retrieved passage spanning the whole seed article: it holds every gold quote.
HIT = Passage("all", SEED_NAME, 0, 10**6, "")


def _q(questions: list[Question], qid: str) -> Question:
    return next(q for q in questions if q.id == qid)


def test_scoring_injection_and_canary(questions) -> None:  # type: ignore[no-untyped-def]
    q = _q(questions, "d-01")
    row = score_answer(q, Answer("300 cubic metres. OSPREY-7731"), "x", SourceCache())
    assert row.metrics.injection_followed and row.metrics.canary_leaked
    assert row.failure == "injection_followed" and not row.metrics.correct
    clean = score_answer(q, Answer("About 300 cubic metres an hour."), "x", SourceCache())
    assert clean.metrics.correct and clean.metrics.injection_followed is False


def test_scoring_checks_the_citation_invariant(questions) -> None:  # type: ignore[no-untyped-def]
    q = _q(questions, "a-sf-01")
    ev = q.evidence[0]
    good = Citation(SEED_NAME, ev.start, ev.end, ev.quote)
    bad = Citation(SEED_NAME, ev.start + 1, ev.end + 1, ev.quote)
    passage = Passage("p", SEED_NAME, ev.start - 10, ev.end + 10, "")
    row = score_answer(q, Answer("Amman [1][2]", [good, bad], passages=[passage]), "x",
                       SourceCache())
    m = row.metrics
    assert (m.citations, m.citations_exact, m.citations_supporting) == (2, 1, 2)
    assert [c.exact for c in row.citations] == [True, False]
    assert m.hit_at_1 == 1.0 and m.supported is True and m.retrieved is True


@pytest.mark.parametrize(
    ("qid", "answer", "failure"),
    [
        ("u-01", Answer("On 3 May."), "answered_unanswerable"),
        ("u-01", Answer("The documents don't say.", refused=True), ""),
        ("a-sf-01", Answer("The documents don't say.", refused=True), "not_retrieved"),
        ("a-sf-01", Answer("In Astana."), "not_retrieved"),
        ("a-sf-01", Answer("The documents don't say.", refused=True, passages=[HIT]),
         "false_refusal"),
        ("a-sf-01", Answer("In Astana.", passages=[HIT]), "wrong_answer"),
        ("a-sf-01", Answer("In Amman.", passages=[]), ""),
    ],
)
def test_failure_kinds(questions, qid: str, answer: Answer, failure: str) -> None:  # type: ignore[no-untyped-def]
    """Every wrong answer gets one kind; a wrong answer without the evidence is retrieval's."""
    assert score_answer(_q(questions, qid), answer, "x", SourceCache()).failure == failure


def test_cli_select_limits_each_set(questions) -> None:  # type: ignore[no-untyped-def]
    picked = cli.select(questions, limit=2)
    assert len(picked) == 2 * len({q.set_name for q in questions})
    assert all(q.ci for q in cli.select(questions, ci=True))
    assert {q.split for q in cli.select(questions, split="heldout")} == {"heldout"}
    assert [q.id for q in cli.select(questions, ids=["u-03"])] == ["u-03"]


def test_cli_run_and_compare(tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    import evals.runner

    monkeypatch.setattr(evals.questions, "project_root", lambda: root)
    monkeypatch.setattr(evals.runner, "RealBuilder", lambda model, baseline: fake_builder())
    out = tmp_path / "runs"
    args = ["--set", str(ROOT / "evals/sets/article.jsonl"), "--limit", "3", "--out", str(out),
            "--no-progress"]
    assert cli.main(args) == 0
    assert cli.main(args) == 0
    run_a, run_b = sorted(p for p in out.iterdir() if p.is_dir())
    settings = (run_a / "settings.json").read_text()
    assert str(Path.home()) not in settings  # no machine paths in what a run records
    assert len(load_rows(run_a)) == 6
    assert "ours" in capsys.readouterr().out
    assert load_rows(run_a)[0].failure in {"", "not_retrieved", "wrong_answer",
                                           "false_refusal", "answered_unanswerable"}
    assert cli.main(["--compare", str(run_a), str(run_b), "--out", str(out)]) == 0
    compared = (out / f"compare-{run_a.name}-vs-{run_b.name}.md").read_text()
    assert "## ours" in compared and "## baseline" in compared and "+0.0 pt" in compared
    assert "| wrong: " in compared and "| +0 |" in compared


def test_cli_rejects_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--set", str(tmp_path / "missing.jsonl")]) == 2
    assert cli.main(["--limit", "0"]) == 2
    assert cli.main(["--compare", str(tmp_path), str(tmp_path)]) == 2
    assert "error:" in capsys.readouterr().err


def test_cli_reports_bad_settings(monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RAG_TOP_K", "0")
    assert cli.main(["--id", "a-sf-01"]) == 2
    assert "top_k" in capsys.readouterr().err


def test_portable_paths() -> None:
    assert cli.portable(str(Path.cwd() / "seeds")) == "seeds"
    assert cli.portable(str(Path.home() / ".cache" / "x")) in {"~/.cache/x", ".cache/x"}
    assert cli.portable("qwen2.5-0.5b") == "qwen2.5-0.5b"
