"""The CI slice with the real 0.5B model must stay above the recorded floors
(`evals/floors.json`): per corpus (our seed article, the injection corpus and the
SQuAD 2.0 dev questions of `evals/ci_squad_ids.txt`), answerable questions
answered right and unanswerable ones declined; every citation byte-exact; no
injected instruction followed.

Slow (a real model answers ~17 questions, a few minutes on 2 cores); no
timing is asserted. On failure the message lists the questions that failed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evals import shared_sets
from evals.floors import KINDS, ci_slice_questions, copy_corpora, load_floors, violations
from evals.questions import project_root
from evals.runner import RealBuilder, load_rows, run_eval

pytestmark = pytest.mark.slow


def test_floors_file_is_consistent() -> None:
    floors = load_floors()
    assert (project_root() / floors["measured_by"]).is_file()
    assert {"seeds", shared_sets.CORPUS_NAME} <= set(floors["corpora"])
    for corpus, per in floors["corpora"].items():
        for kind in KINDS:  # a zero floor would let a degenerate pipeline pass
            assert per[kind] is None or per[kind] > 0, (corpus, kind)
            if per[kind] is not None and kind in per["measured"]:
                assert per[kind] <= per["measured"][kind], (corpus, kind)
    assert floors["citation_invariant"] == 1.0


def test_ci_slice_stays_above_the_floor(tmp_path: Path) -> None:
    floors = load_floors()
    root = copy_corpora(project_root(), tmp_path / "root")
    questions = ci_slice_questions(root)
    squad = [q for q in questions if q.corpus_name == shared_sets.CORPUS_NAME]
    if not shared_sets.available():
        print(shared_sets.MISSING)  # the floors of the other corpora are still checked
    else:
        assert len(squad) == len(shared_sets.ci_ids()) >= 20
    assert 12 <= len(questions) - len(squad) <= 20
    run = tmp_path / "run"
    doc = run_eval(questions, RealBuilder(floors["model"], baseline=False), run,
                   progress=False, meta={"model": floors["model"], "sets": ["ci slice"]})
    problems = violations(doc.pipelines["ours"], floors)
    failed = [f"{r.id} [{r.failure}] {r.question!r} -> {r.answer[:120]!r}"
              for r in load_rows(run) if r.failure]
    assert not problems, "\n".join(problems + ["failed questions:"] + failed)
