"""The CI slice of the question sets with the real 0.5B model must stay above
the recorded floors (`evals/floors.json`): accuracy, refusal accuracy, every
citation byte-exact, no injected instruction followed.

Slow (a real model answers ~17 questions, a few minutes on 2 cores); no
timing is asserted. On failure the message lists the questions that failed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.floors import ci_slice_questions, copy_corpora, load_floors, violations
from evals.questions import project_root
from evals.runner import RealBuilder, load_rows, run_eval

pytestmark = pytest.mark.slow


def test_floors_file_is_consistent() -> None:
    floors = load_floors()
    assert (project_root() / floors["measured_by"]).is_file()
    for key, margin in floors["margins"].items():
        assert floors[key] == pytest.approx(max(0.0, floors["measured"][key] - margin), abs=1e-3)
    assert floors["citation_invariant"] == 1.0


def test_ci_slice_stays_above_the_floor(tmp_path: Path) -> None:
    floors = load_floors()
    root = copy_corpora(project_root(), tmp_path / "root")
    questions = ci_slice_questions(root)
    assert 12 <= len(questions) <= 20
    run = tmp_path / "run"
    doc = run_eval(questions, RealBuilder(floors["model"], baseline=False), run,
                   progress=False, meta={"model": floors["model"], "sets": ["ci slice"]})
    problems = violations(doc["pipelines"]["ours"], floors)
    failed = [f"{r['id']} [{r['failure']}] {r['question']!r} -> {r['answer'][:120]!r}"
              for r in load_rows(run) if r["failure"]]
    assert not problems, "\n".join(problems + ["failed questions:"] + failed)
