"""Risk–coverage from logged rows: thresholds chosen without running a model again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from evals.questions import default_set_files, load_questions
from evals.risk_coverage import at_threshold, curve, used_point
from evals.rows import EvalRow, RowMetrics
from evals.runner import CallableBuilder, load_rows, run_eval
from tests.fakes import ScriptedConfidence

ROOT = Path(__file__).resolve().parent.parent


def _row(i: int, conf: float | None, answerable: bool, right: bool | None,
         refused: bool = False) -> EvalRow:
    return EvalRow(pipeline="ours", id=f"q{i}", answerable=answerable, refused=refused,
                   signals={} if conf is None else {"confidence": conf, "threshold": 0.5},
                   metrics=RowMetrics(draft_correct=right,
                                      correct=(not refused and bool(right)) if answerable
                                      else refused))


ROWS = [
    _row(1, 0.95, True, True), _row(2, 0.9, True, True), _row(3, 0.8, False, False),
    _row(4, 0.7, True, False), _row(5, 0.4, True, True, refused=True),
    _row(6, 0.3, False, False, refused=True), _row(7, 0.2, False, False, refused=True),
    _row(8, None, True, True),  # no confidence: left out of the curve
]


def test_a_threshold_gives_answered_accuracy_and_both_kinds_of_right() -> None:
    p = at_threshold(ROWS, 0.5)  # answers q1–q4
    assert (p.n, p.answered) == (7, 4)
    assert p.coverage == pytest.approx(4 / 7)
    assert p.accuracy_answered == pytest.approx(2 / 4)  # q3 unanswerable, q4 wrong
    assert p.answerable_right == pytest.approx(2 / 4)  # q5's draft was right but declined
    assert p.unanswerable_declined == pytest.approx(2 / 3)
    assert p.overall == pytest.approx(4 / 7)
    low = at_threshold(ROWS, 0.35)  # now q5 is answered too
    assert low.answerable_right == pytest.approx(3 / 4)


def test_extreme_thresholds_are_the_degenerate_pipelines() -> None:
    everything = at_threshold(ROWS, 0.0)
    assert everything.coverage == 1.0 and everything.unanswerable_declined == 0.0
    nothing = at_threshold(ROWS, 1.01)
    assert nothing.coverage == 0.0 and nothing.answerable_right == 0.0
    assert nothing.accuracy_answered is None and nothing.unanswerable_declined == 1.0


def test_curve_runs_from_declining_all_to_answering_all() -> None:
    pts = curve(ROWS)
    assert pts[0].threshold is None and pts[0].coverage == 0.0
    assert pts[-1].coverage == 1.0 and len(pts) == 8
    assert [p.coverage for p in pts] == sorted(p.coverage for p in pts)
    assert pts[2].accuracy_answered == 1.0  # the two most confident are right
    thinned = curve(ROWS, max_points=3)
    assert len(thinned) == 3 and thinned[0] == pts[0] and thinned[-1] == pts[-1]


def test_an_undecidable_draft_is_counted_wrong_and_reported() -> None:
    rows = [_row(1, 0.9, True, None, refused=True), _row(2, 0.8, True, True)]
    p = at_threshold(rows, 0.0)
    assert p.unknown == 1 and p.answerable_right == 0.5


def test_the_point_used_is_what_the_pipeline_did() -> None:
    p = used_point(ROWS)
    assert p.threshold == 0.5 and p.n == 8
    assert p.answered == 5 and p.unanswerable_declined == pytest.approx(2 / 3)
    assert p.answerable_right == pytest.approx(3 / 5)


def test_signals_reach_rows_summary_curve_and_report(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "seeds", tmp_path / "root" / "seeds")
    sets = [f for f in default_set_files() if f.stem in {"article", "unanswerable"}]
    loaded = [q for q in load_questions(sets, root=tmp_path / "root") if not q.history]
    qs = ([q for q in loaded if q.answerable][:5] + [q for q in loaded if not q.answerable][:3])
    table = {}
    for i, q in enumerate(qs):
        conf = 0.9 - 0.1 * i
        if q.answerable:
            table[q.question] = (q.answers[0], conf < 0.5, {"confidence": conf}, q.answers[0])
        else:
            table[q.question] = ("Nope.", conf < 0.5, {"confidence": conf}, "A guess.")
    table = {k: (("The documents do not say." if r else t), r, s, d)
             for k, (t, r, s, d) in table.items()}
    fake = ScriptedConfidence(table)
    doc = run_eval(qs, CallableBuilder(["ours"], lambda c, s: {"ours": fake}), tmp_path / "run",
                   progress=False)
    rows = load_rows(tmp_path / "run")
    assert all(r.confidence is not None for r in rows)
    assert all(r.metrics.draft_correct is r.answerable for r in rows)  # drafts were scored
    assert all(r.draft for r in rows)  # and kept, declined ones too
    s = doc.pipelines["ours"]
    assert len(s.risk_coverage) == len(qs) + 1 and s.operating_point is not None
    written = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert written["pipelines"]["ours"]["risk_coverage"][-1]["coverage"] == 1.0
    report = (tmp_path / "run" / "report.md").read_text()
    assert "risk_coverage.png" in report
    assert (tmp_path / "run" / "risk_coverage.png").read_bytes()[:4] == b"\x89PNG"
    # the lead's use: choose a threshold from the logged rows alone
    assert at_threshold(rows, 0.0).answerable_right == 1.0


def test_an_uncited_answer_is_never_shown_and_the_run_s_threshold_is_the_point_used() -> None:
    uncited = _row(9, 0.99, True, True, refused=True)
    uncited = uncited.model_copy(update={"signals": {"confidence": 0.99, "cited": 0.0}})
    assert at_threshold([uncited], 0.0).answered == 0
    assert used_point(ROWS, threshold=0.45).threshold == 0.45
    baseline = [r.model_copy(update={"signals": {}}) for r in ROWS]
    assert used_point(baseline, threshold=0.45).threshold is None  # no confidence, no threshold


def test_the_fit_script_reads_rag_eval_rows(tmp_path: Path) -> None:
    """`evals.tuning.fit_decision` takes `rag eval`'s rows.jsonl: article and draft judgement."""
    from evals.tuning.fit_decision import load_rows as fit_rows

    una = EvalRow(pipeline="ours", id="u", answerable=False, article="B.txt", corpus="c",
                  signals={"confidence": 0.2}, metrics=RowMetrics(draft_correct=False))
    ans = EvalRow(pipeline="ours", id="a", answerable=True, article="A.txt", corpus="c",
                  signals={"confidence": 0.8}, draft="x",
                  metrics=RowMetrics(draft_correct=True))
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(r.to_dict()) for r in (una, ans)) + "\n")
    got = fit_rows([path])
    assert [(r.source, r.answerable, r.draft_right) for r in got] == [
        ("B.txt", False, False), ("A.txt", True, True)]
