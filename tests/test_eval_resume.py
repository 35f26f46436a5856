"""Resuming a run, the baseline on a sub-sample, and typed rows/summaries round-tripping."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evals import cli
from evals.questions import default_set_files, load_questions
from evals.rows import EvalRow
from evals.runner import CallableBuilder, load_rows, run_eval
from evals.summary import RunSummary
from rag.types import Answer
from tests.fakes import FakePipeline

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "seeds", tmp_path / "seeds")
    shutil.copytree(ROOT / "evals" / "corpus_injection", tmp_path / "evals" / "corpus_injection")
    return tmp_path


class CountingFake(FakePipeline):
    """`FakePipeline` that stops the run (as Ctrl-C would) after `stop_after` answers."""

    def __init__(self, corpus_dir: Path, stop_after: int | None = None) -> None:
        super().__init__(corpus_dir)
        self.stop_after = stop_after

    def stream_answer(self, question, history=()):  # type: ignore[no-untyped-def]
        if self.stop_after is not None and len(self.calls) >= self.stop_after:
            raise KeyboardInterrupt
        yield from super().stream_answer(question, history)


def test_a_resumed_run_asks_only_what_is_missing(tmp_path: Path, root: Path) -> None:
    qs = load_questions(default_set_files(), root=root)[:12]
    made: list[CountingFake] = []

    def builder(stop_after: int | None) -> CallableBuilder:
        def make(corpus: Path, store: Path) -> dict[str, FakePipeline]:
            made.append(CountingFake(corpus, stop_after))
            return {"ours": made[-1]}
        return CallableBuilder(["ours"], make)

    run = tmp_path / "run"
    first = run_eval(qs, builder(5), run, progress=False)
    assert first.interrupted and first.rows == 5
    answered_first = {r.question for r in load_rows(run)}
    with open(run / "rows.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"pipeline": "ours", "id": "cut-by-a-ki')  # a line cut by a kill
    made.clear()
    second = run_eval(qs, builder(None), run, progress=False, resume=True)
    asked = [c for f in made for c in f.calls]
    assert not second.interrupted and second.rows == 12
    assert len(asked) == 7 and not answered_first & set(asked)
    rows = load_rows(run)
    assert sorted(r.id for r in rows) == sorted(q.id for q in qs)  # each once, none cut
    assert second.pipelines["ours"].n == 12


def test_the_baseline_can_answer_a_stratified_sub_sample(tmp_path: Path, root: Path) -> None:
    qs = load_questions(default_set_files(), root=root)
    names = ("ours", "baseline")
    builder = CallableBuilder(list(names), lambda c, s: {n: FakePipeline(c) for n in names})
    picked = [q.id for q in qs[::10]]
    doc = run_eval(qs, builder, tmp_path / "run", progress=False, only={"baseline": picked},
                   tag="fit")
    assert doc.pipelines["ours"].n == len(qs)
    assert doc.pipelines["baseline"].n == len(picked)
    side = doc.on_baseline_sample
    assert side["ours"].n == side["baseline"].n == len(picked)
    assert side["ours"].accuracy == side["baseline"].accuracy  # same fake, same questions
    assert doc.get("tag") == "fit" and {r.tag for r in load_rows(tmp_path / "run")} == {"fit"}
    assert "baseline's sub-sample" in (tmp_path / "run" / "report.md").read_text()


def _fake_cli(monkeypatch: pytest.MonkeyPatch, root: Path) -> list[CallableBuilder]:
    import evals.questions
    import evals.runner

    built: list[CallableBuilder] = []

    def real_builder(model, baseline):  # type: ignore[no-untyped-def]
        names = ["ours", "baseline"] if baseline else ["ours"]
        built.append(CallableBuilder(names, lambda c, s: {n: FakePipeline(c) for n in names}))
        return built[-1]

    monkeypatch.setattr(evals.questions, "project_root", lambda: root)
    monkeypatch.setattr(evals.runner, "RealBuilder", real_builder)
    return built


def test_cli_resume_keeps_the_run_s_own_options(tmp_path: Path, root: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    _fake_cli(monkeypatch, root)
    monkeypatch.chdir(tmp_path)
    args = ["--set", str(ROOT / "evals/sets/article.jsonl"), "--sample", "6", "--seed", "2",
            "--baseline-sample", "3", "--tag", "fit", "--out", "runs", "--no-progress"]
    assert cli.main(args) == 0
    (run,) = (tmp_path / "runs").iterdir()
    saved = json.loads((run / "settings.json").read_text())
    assert saved["sample"] == 6 and saved["tag"] == "fit"
    rows = (run / "rows.jsonl").read_text().splitlines()
    assert len(rows) == 6 + 3
    (run / "rows.jsonl").write_text("\n".join(rows[:4]) + "\n")  # as if killed early
    assert cli.main(["--resume", str(run), "--no-progress"]) == 0
    assert sorted(r.key for r in load_rows(run)) == sorted(
        EvalRow.from_dict(json.loads(line)).key for line in rows)
    assert cli.main(["--resume", str(run), "--sample", "7"]) == 2
    assert "--sample" in capsys.readouterr().err
    monkeypatch.setenv("RAG_TOP_K", "7")
    assert cli.main(["--resume", str(run)]) == 2
    assert "top_k" in capsys.readouterr().err


def test_rows_and_summaries_round_trip_and_read_old_files(tmp_path: Path, root: Path) -> None:
    """A row written before the failure split and signals existed still reads."""
    old = {"pipeline": "ours", "id": "a-1", "set": "article", "answerable": True,
           "metrics": {"correct": False, "hit@4": 0.0}, "failure": "wrong_answer_retrieval_miss"}
    row = EvalRow.from_dict(old)
    assert row.failure == "not_retrieved" and row.metrics.hit_at_k == 0.0 and row.signals == {}
    assert EvalRow.from_dict(row.to_dict()) == row
    committed = json.loads((ROOT / "evals/floor_runs/summary-2026-11-25.json").read_text())
    s = RunSummary.from_dict(committed)
    assert s.pipelines["ours"].accuracy == committed["pipelines"]["ours"]["accuracy"]
    assert s.get("model") == committed["model"]
    qs = load_questions(default_set_files(), root=root)[:3]
    builder = CallableBuilder(["ours"], lambda c, st: {"ours": FakePipeline(c)})
    doc = run_eval(qs, builder, tmp_path / "run", progress=False, meta={"model": "m"})
    again = RunSummary.from_dict(json.loads((tmp_path / "run" / "summary.json").read_text()))
    assert again == doc and again.get("model") == "m"
    assert isinstance(Answer("x").signals, dict)
