"""The open-question CI slice (`evals.open_floors`: the seed article's open set) with the real
pipeline (0.5B, real Chroma, MiniLM) stays above its recorded floors: key points, off-topic
declines, and every shown sentence strictly supported with a byte-exact citation. Slow; no
timing is asserted."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_the_open_ci_slice_stays_above_its_floors(tmp_path: Path) -> None:
    from evals.open_eval import run
    from evals.open_floors import ci_rows, load_floors, violations

    floors = load_floors()
    summary = run(ci_rows(), tmp_path / "run", floors["model"])
    assert violations(summary["overall"], floors) == []
