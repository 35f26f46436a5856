"""`rag calibrate` end to end with the real 0.5B: in process and through `llm_url`.

A tiny set (two short documents, fit on one, report on the other) keeps it to a
few minutes on a shared machine; the figures of a real calibration are in
evals/thresholds.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.tuning.calibrate import main
from rag.settings import Settings
from tests.servers import llama_server

pytestmark = pytest.mark.slow

DOCS = {
    "envoys.txt": "The envoys met in Amman in 2017. The Russian envoy is Alexander Lavrentiev. "
                  "The talks lasted three days.",
    "river.txt": "The Rhine is 1,230 kilometres long. It flows into the North Sea. "
                 "Basel stands on the Rhine.",
}
QUESTIONS = [  # id, question, answers, source, evidence
    ("e1", "Where did the envoys meet?", ["Amman"], "envoys.txt", "met in Amman"),
    ("e2", "Who is the Russian envoy?", ["Alexander Lavrentiev"], "envoys.txt",
     "The Russian envoy is Alexander Lavrentiev."),
    ("e3", "How many days did the talks last?", ["three days"], "envoys.txt",
     "The talks lasted three days."),
    ("e4", "What currency does the envoy's country use?", [], "envoys.txt", ""),
    ("r1", "How long is the Rhine?", ["1,230 kilometres"], "river.txt",
     "The Rhine is 1,230 kilometres long."),
    ("r2", "Into which sea does the Rhine flow?", ["North Sea"], "river.txt",
     "It flows into the North Sea."),
    ("r3", "Who founded Basel?", [], "river.txt", ""),
]


def _set(base: Path) -> tuple[Path, Path]:
    corpus = base / "corpus"
    corpus.mkdir()
    for name, text in DOCS.items():
        (corpus / name).write_text(text, encoding="utf-8")
    rows = [{"id": i, "category": "factual" if a else "unanswerable", "question": q,
             "answers": a, "source": src, **({"evidence": ev} if ev else {})}
            for i, q, a, src, ev in QUESTIONS]
    path = base / "set.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path, corpus


def _calibrate(base: Path, monkeypatch: pytest.MonkeyPatch, **env: str) -> dict:
    path, corpus = _set(base)
    store = base / "store"
    monkeypatch.setenv("RAG_STORE_DIR", str(store))
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    argv = ["--set", str(path), "--corpus", str(corpus), "--fit-articles", "envoys.txt"]
    assert main(argv) == 0
    cache = list((store / "signal-cache").glob("*.jsonl"))
    assert len(cache) == 1 and len(cache[0].read_text().splitlines()) == len(QUESTIONS)
    assert main(argv) == 0  # refit from the cache: the cache holds no more lines
    assert len(cache[0].read_text().splitlines()) == len(QUESTIONS)
    out = list((store / "decisions").glob("*.json"))
    assert len(out) == 1
    return json.loads(out[0].read_text())


def test_calibrate_the_05b_in_process_end_to_end(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    doc = _calibrate(tmp_path, monkeypatch, RAG_MODEL="qwen2.5-0.5b")
    assert doc["fitted_for"]["name"] == "qwen2.5-0.5b"
    assert doc["rows"] == {"fit": 4, "report": 3} and doc["report_articles"] == ["river.txt"]
    assert 0.0 <= doc["threshold"] <= 1.0 and doc["logprobs"] is True
    from rag.decisions import choose_decision

    chosen = choose_decision(Settings(model="qwen2.5-0.5b", store_dir=tmp_path / "store"))
    assert chosen.own and chosen.threshold == doc["threshold"]


def test_calibrate_through_llm_url_against_llama_cpp_server(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.models import resolve_model_path

    model = resolve_model_path(Settings(model="qwen2.5-0.5b").resolved())
    with llama_server(model, tmp_path / "server", alias="served-05b") as url:
        doc = _calibrate(tmp_path, monkeypatch, RAG_LLM_URL=url, RAG_LLM_MODEL="served-05b",
                         RAG_GENERATION_TIMEOUT="240")
    assert doc["fitted_for"]["llm_model"] == "served-05b"
    assert doc["rows"]["fit"] == 4
    from rag.decisions import choose_decision

    served = Settings(llm_url=url, llm_model="served-05b", store_dir=tmp_path / "store")
    assert choose_decision(served).own
