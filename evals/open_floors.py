"""CI floors for open questions (issue 16): the seed article's open set, run on every CI.

The slice is the rows marked ``"ci": true`` in ``evals/sets/open/`` (today the
whole seed set: every kind, on-topic and off-topic, no shared data needed, and
no model call on the extractive path). Its floors fail a pipeline that
declines every open question (key points, and on-topic answered) and one that
answers every off-topic one (off-topic declined); shown sentences strictly
supported and citations byte-exact must stay at 1.0. Each floor is the share
measured with the real pipeline less a margin of `MARGIN_QUESTIONS` questions
(at least `MIN_FLOOR`), so one or two answers changing with a library version
does not fail CI but a broken decision does.

    python -m evals.open_floors            # print the floors
    python -m evals.open_floors --measure  # re-measure them on the real 0.5B and rewrite

Example:
    >>> figures = {"key_points": 0.2, "declined_off_topic": 1.0, "supported": 1.0, "exact": 1.0,
    ...            "declined_on_topic": 0.0}
    >>> violations(figures, {"floors": {"key_points": 0.6, "declined_off_topic": 0.7,
    ...                                 "supported": 1.0, "exact": 1.0}})
    ['key_points 0.200 < floor 0.600']
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from evals.open_sets import OpenRow, load_open

FLOORS_FILE = Path(__file__).resolve().parent / "open_floors.json"
RUNS_DIR = Path(__file__).resolve().parent / "floor_runs"
MODEL = "qwen2.5-0.5b"
MIN_FLOOR = 0.05
# questions of slack below the measured count (16 on-topic, 8 off-topic rows today)
MARGIN_QUESTIONS = {"key_points": 3, "declined_off_topic": 2}
EXACT = ("supported", "exact")  # held at what they must be, not at what was measured
ON = {"key_points": "on_topic", "declined_off_topic": "off_topic"}


def ci_rows() -> list[OpenRow]:
    """The open CI slice: rows marked ``ci``."""
    return [r for r in load_open() if r.ci]


def floors_from(figures: Mapping[str, float]) -> dict[str, Any]:
    """Floors from the overall figures of a run of the slice (`evals.open_metrics.summarise`)."""
    out: dict[str, float] = {}
    for key, margin in MARGIN_QUESTIONS.items():
        n = figures[ON[key]]
        got = figures[key] * n
        out[key] = round(max(MIN_FLOOR, (got - margin) / n), 3) if n else MIN_FLOOR
    out.update({k: 1.0 for k in EXACT})
    return out


def violations(figures: Mapping[str, float], floors: Mapping[str, Any]) -> list[str]:
    """Each figure below its floor, as a message; [] when the slice holds."""
    return [f"{k} {figures[k]:.3f} < floor {floor:.3f}"
            for k, floor in floors["floors"].items() if figures[k] + 1e-9 < floor]


def load_floors() -> dict[str, Any]:
    return json.loads(FLOORS_FILE.read_text(encoding="utf-8"))


def measure(model: str = MODEL) -> dict[str, Any]:
    """Run the slice with the real pipeline (default settings), keep its rows and summary in
    ``evals/floor_runs/``, and write `FLOORS_FILE`."""
    from evals.open_eval import run

    with tempfile.TemporaryDirectory(prefix="open-floors-") as tmp:
        summary = run(ci_rows(), Path(tmp), model)
        rows = (Path(tmp) / "rows.jsonl").read_text(encoding="utf-8")
    RUNS_DIR.mkdir(exist_ok=True)
    name = f"open-summary-{date.today().isoformat()}.json"
    (RUNS_DIR / f"open-rows-{date.today().isoformat()}.jsonl").write_text(rows, encoding="utf-8")
    (RUNS_DIR / name).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    floors = {
        "about": "CI floors of the open-question slice (rows with \"ci\": true in "
                 "evals/sets/open/) with our pipeline at default settings: floor = measured - "
                 "margin (in questions), at least 0.05; supported and exact held at 1.0. "
                 "Re-measure: python -m evals.open_floors --measure",
        "model": model,
        "measured_by": f"evals/floor_runs/{name}",
        "measured": {k: summary["overall"][k] for k in (*MARGIN_QUESTIONS, *EXACT)},
        "margin_questions": MARGIN_QUESTIONS,
        "floors": floors_from(summary["overall"]),
    }
    FLOORS_FILE.write_text(json.dumps(floors, indent=2) + "\n", encoding="utf-8")
    return floors


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.open_floors",
                                description=__doc__.split("\n")[0])
    p.add_argument("--measure", action="store_true", help="re-measure and rewrite the floors")
    p.add_argument("--model", default=MODEL)
    args = p.parse_args(list(argv) if argv is not None else None)
    print(json.dumps(measure(args.model) if args.measure else load_floors(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
