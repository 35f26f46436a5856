"""`rag bench`: the table on hand-made results, and (slow) one real run end to end;
`rag bench-ingest` on a small folder.

A benchmark, not a test of speed: nothing here asserts a time.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.bench import cli as bench
from rag import cli as rag_cli


def _result(scale: float) -> dict:
    return {"cold_start_s": 10 * scale, "model_load_s": 1.0, "index": {"seconds": 2.0,
            "chars_per_s": 2500.0, "passages_per_s": 10.0}, "retrieve": {"p50": 0.05},
            "first_answer_s": 9 * scale, "first_token": {"p50": 1.0 * scale, "p95": 2.0},
            "latency": {"p50": 2.0 * scale, "p95": None}, "tokens_per_s": 20.0,
            "peak_rss_mb": 900.0}


def test_table_puts_pipelines_side_by_side_with_the_ratio() -> None:
    text = bench.table({"ours": _result(1), "baseline": _result(4)})
    lines = text.splitlines()
    assert lines[0] == "| | unit | ours | baseline | baseline ÷ ours |"
    assert len(lines) == 2 + len(bench.ROWS)
    row = next(line for line in lines if line.startswith("| End-to-end p50"))
    assert row.endswith("| 2.00 | 8.00 | 4.0× |")
    assert "| End-to-end p95 | s | n/a | n/a | n/a |" in text


def test_table_without_baseline_has_no_ratio() -> None:
    assert "÷" not in bench.table({"ours": _result(1)})


def test_bench_ingest_measures_a_folder_through_the_rag_command(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_text("The envoys met in Astana. " * 20, encoding="utf-8")
    (tmp_path / "b.md").write_text("# Notes\n\nThey met again in May.\n", encoding="utf-8")
    assert rag_cli.main(["bench-ingest", str(tmp_path), "--repeat", "1"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line.startswith("text ") and " 2 files" in line and "files/s" in line


def test_bench_ingest_of_a_missing_folder_is_a_one_line_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert rag_cli.main(["bench-ingest", str(tmp_path / "nowhere")]) == rag_cli.EXIT_ERROR
    assert "is not a folder" in capsys.readouterr().err


@pytest.mark.slow
def test_bench_runs_end_to_end_with_the_tiny_model(seed_corpus: Path, tmp_path: Path) -> None:
    # the 135M model is only for plumbing: this checks the worker processes and the
    # saved files, not any figure
    out = tmp_path / "runs"
    code = bench.main(["--model", "smollm2-135m", "--questions", "2", "--corpus",
                       str(seed_corpus), "--out", str(out)])
    assert code == 0
    (folder,) = out.iterdir()
    results = json.loads((folder / "bench.json").read_text())
    assert set(results) == {"ours", "baseline"}
    for r in results.values():
        assert r["cold_start_s"] > 0 and r["peak_rss_mb"] > 0 and r["latency"]["n"] == 1
    assert "baseline ÷ ours" in (folder / "bench.md").read_text()
