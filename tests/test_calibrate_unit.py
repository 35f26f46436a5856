"""`rag calibrate` without a model: the signal cache, the fit, and which decision runs.

The readers here are fakes (`fake_reader_*`): they produce signal rows the way a
model's reading would, with the truth planted in one signal, so a fit can be
checked to find it. The real model is in tests/test_calibrate_real.py.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from evals.question_types import Question
from evals.tuning.calibrate import (
    LOGPROB_FEATURES,
    CalibrationRow,
    SignalCache,
    calibrate,
    collect,
    format_report,
    question_key,
)
from rag.decisions import FALLBACK, choose_decision, identity_of
from rag.settings import Settings


def _questions(n: int, articles: int = 6) -> list[Question]:
    return [Question(f"q{i}", "single_fact", f"What is thing {i}?", i % 3 != 0,
                     Path("/corpus"), "corpus", "external", answers=("x",) if i % 3 else (),
                     article=f"a{i % articles}.txt") for i in range(n)]


def fake_reader_with_logprobs(seed: int = 0):  # type: ignore[no-untyped-def]
    """A fake reader: right answers have a higher judge log-odds (plus noise)."""
    rng = random.Random(seed)
    calls: list[str] = []

    def read(q: Question) -> tuple[str, dict[str, float], str, float]:
        calls.append(q.id)
        right = q.answerable and rng.random() < 0.7
        signals = {f: 0.0 for f in LOGPROB_FEATURES}
        signals.update({"cited": 1.0, "support": 1.0, "question_terms": float(rng.randint(2, 6)),
                        "judge_log_odds": (2.0 if right else -2.0) + rng.gauss(0, 0.8),
                        "answer_mean_logprob": rng.gauss(-0.5, 0.2)})
        return ("x [1]" if right else "y [1]"), signals, "", 0.01

    read.calls = calls  # type: ignore[attr-defined]
    return read


def fake_reader_without_logprobs(seed: int = 0):  # type: ignore[no-untyped-def]
    """A fake reader of a server that returns no token probabilities: those signals are 0;
    the truth shows in `question_cover`."""
    rng = random.Random(seed)

    def read(q: Question) -> tuple[str, dict[str, float], str, float]:
        right = q.answerable and rng.random() < 0.7
        signals = {f: 0.0 for f in LOGPROB_FEATURES}
        signals.update({"cited": 1.0, "support": rng.random(),
                        "question_cover": (0.8 if right else 0.3) + rng.gauss(0, 0.1)})
        return ("x [1]" if right else "y [1]"), signals, "", 0.01

    return read


def test_signal_cache_fake_rows_survive_a_reopen_and_a_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "m.jsonl"
    cache = SignalCache(path)
    row = CalibrationRow("q1", "a.txt", True, True, False, {"judge_log_odds": 1.5})
    cache.add("k1", row)
    cache.add("k1", CalibrationRow("q1", "a.txt", True, False, False, {}))  # first one kept
    with open(path, "a", encoding="utf-8") as fh:
        fh.write('{"key": "k2", "row": {"id": "q2"')  # killed mid-write
    again = SignalCache(path)
    assert len(again) == 1 and again.get("k1") == row and again.get("k2") is None


def test_collect_reads_each_question_once_then_refits_from_the_cache_fake_reader(
        tmp_path: Path) -> None:
    qs = _questions(60)
    reader = fake_reader_with_logprobs()
    cache = SignalCache(tmp_path / "c.jsonl")
    first = collect(qs, lambda q: reader, cache)
    assert len(reader.calls) == 60 and len(first) == 60
    second = collect(qs, lambda q: reader, SignalCache(tmp_path / "c.jsonl"))
    assert len(reader.calls) == 60  # nothing read again
    assert [r.to_json() for r in second] == [r.to_json() for r in first]
    assert len({question_key(q) for q in qs}) == 60


def test_collect_stops_reading_when_the_time_is_up_and_resumes_fake_reader(
        tmp_path: Path) -> None:
    qs = _questions(10)
    reader = fake_reader_with_logprobs()
    cache = SignalCache(tmp_path / "c.jsonl")
    assert collect(qs, lambda q: reader, cache, minutes=0.0) == [] or len(reader.calls) <= 1
    rows = collect(qs, lambda q: reader, cache)
    assert len(rows) == 10 and len(reader.calls) == 10


def test_the_fit_finds_the_planted_signal_and_beats_both_baselines_fake_reader(
        tmp_path: Path) -> None:
    reader = fake_reader_with_logprobs()
    rows = collect(_questions(240), lambda q: reader, SignalCache(tmp_path / "c.jsonl"))
    c = calibrate(rows, {"a0.txt", "a1.txt", "a2.txt"})
    coef = dict(zip(c.model.features, c.model.coef, strict=True))
    assert coef["judge_log_odds"] > 0 and "choice_top" in c.dropped
    assert c.fit_rows + c.report_rows == 240 and c.report_articles == ["a3.txt", "a4.txt", "a5.txt"]
    at = c.report["at_threshold"]["report"]
    base = c.report["report_baselines"]
    assert at["weighted"] > base["never_decline"]["weighted"]
    assert at["weighted"] > base["always_decline"]["weighted"]
    assert c.report["logprob_features_dropped"] == [
        f for f in LOGPROB_FEATURES if f not in ("judge_log_odds", "answer_mean_logprob")]
    text = format_report(c, "fake")
    assert "<- chosen" in text and f"{c.threshold:.2f}" in text


def test_a_model_without_logprobs_gets_a_decision_without_them_and_is_told_fake_reader(
        tmp_path: Path) -> None:
    reader = fake_reader_without_logprobs()
    rows = collect(_questions(240), lambda q: reader, SignalCache(tmp_path / "c.jsonl"))
    c = calibrate(rows, {"a0.txt", "a1.txt", "a2.txt"})
    assert not set(LOGPROB_FEATURES) & set(c.model.features)
    assert set(LOGPROB_FEATURES) <= set(c.dropped)
    doc = c.to_json({"name": "server"})
    assert doc["logprobs"] is False
    assert "no token probabilities" in format_report(c, "server")
    at = c.report["at_threshold"]["report"]
    assert at["weighted"] > c.report["report_baselines"]["never_decline"]["weighted"]


def test_a_model_without_its_own_decision_runs_with_the_05bs_and_says_so(
        tmp_path: Path) -> None:
    gguf = tmp_path / "other.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 64)
    chosen = choose_decision(Settings(model=str(gguf), store_dir=tmp_path / "store"))
    assert not chosen.own and chosen.fitted_for == FALLBACK
    assert chosen.describe()["fitted_for_this_model"] is False
    served = choose_decision(Settings(llm_url="http://127.0.0.1:9/v1", llm_model="qwen2.5-1.5b",
                                      store_dir=tmp_path / "store"))
    assert served.own == (served.fitted_for == "qwen2.5-1.5b")


def test_a_calibrated_decision_in_the_store_is_preferred_fake_reader(tmp_path: Path) -> None:
    gguf = tmp_path / "other.gguf"
    gguf.write_bytes(b"GGUF" + b"\1" * 64)
    s = Settings(model=str(gguf), store_dir=tmp_path / "store")
    reader = fake_reader_with_logprobs()
    rows = collect(_questions(120), lambda q: reader, SignalCache(tmp_path / "c.jsonl"))
    c = calibrate(rows, {"a0.txt", "a1.txt", "a2.txt"})
    ident = identity_of(s)
    out = tmp_path / "store" / "decisions" / f"{ident.file_stem}.json"
    out.parent.mkdir(parents=True)
    out.write_text(json.dumps(c.to_json(ident.to_json())), encoding="utf-8")
    chosen = choose_decision(s)
    assert chosen.own and chosen.threshold == c.threshold and chosen.origin == str(out)
    gguf.write_bytes(b"GGUF" + b"\2" * 64)  # another file under the same name: not its decision
    assert not choose_decision(s.model_copy()).own


def test_the_pipeline_says_when_its_decision_is_not_its_models_fake_models(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from tests.fakes import pipeline_with_fakes

    corpus = tmp_path / "docs"
    corpus.mkdir()
    (corpus / "a.txt").write_text("The envoys met in Amman in 2017.", encoding="utf-8")
    gguf = tmp_path / "other.gguf"
    gguf.write_bytes(b"GGUF" + b"\3" * 64)
    with caplog.at_level("WARNING"):
        p = pipeline_with_fakes(corpus, tmp_path / "store", model=str(gguf))
    assert "no decline decision was fitted" in caplog.text
    a = p.answer("Where did the envoys meet?")
    assert a.signals["decision_fitted_for_model"] == 0.0
    own = pipeline_with_fakes(corpus, tmp_path / "store2")  # the 0.5B, the default
    assert own.answer("Where did the envoys meet?").signals["decision_fitted_for_model"] == 1.0
