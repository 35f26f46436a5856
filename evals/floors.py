"""CI floors: the quality the CI slice must keep, per corpus, and how they are (re)measured.

Each corpus of the CI slice (``seeds``, ``evals/corpus_injection``, the SQuAD
2.0 dev questions listed in ``evals/ci_squad_ids.txt``) has two floors, checked
separately: the share of its **answerable questions answered right** and the
share of its **unanswerable questions declined**. Both must be above zero
wherever the corpus has such questions, so a pipeline that never declines
(fails the second) and one that always declines (fails the first) both fail;
a single refusal rate over everything let an answer-everything pipeline pass.
A floor is a measured value minus a stated margin. `evals/floors.json` holds
the floors, the margins, the values they came from and the name of the
committed summary that measured them (``evals/floor_runs/summary-<date>.json``,
next to that run's ``rows-<date>.jsonl``: ids, figures and answers only).
`tests/test_eval_floor.py` runs the CI slice with the real model and fails
when `violations` is not empty.

Re-measure after a deliberate change to the pipeline (it runs the CI slice,
ours only, and rewrites both files)::

    python -m evals.floors --measure

Example:
    >>> from evals.summary import Breakdown, PipelineSummary
    >>> s = PipelineSummary(by_corpus={"seeds": Breakdown(
    ...     n=10, right=5, rate=0.5, n_answerable=8, answerable_right=5,
    ...     n_unanswerable=2, unanswerable_declined=0)})
    >>> violations(s, {"corpora": {"seeds": {"answerable_right": 0.5,
    ...                                      "unanswerable_declined": 0.5}}})
    ['seeds: unanswerable declined 0.0 % (0/2) is below the floor 50.0 %']
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from evals.summary import PipelineSummary

FLOORS_FILE = Path(__file__).resolve().parent / "floors.json"
MODEL = "qwen2.5-0.5b"
KINDS = ("answerable_right", "unanswerable_declined")
# A margin allows three flipped answerable questions and two flipped unanswerable ones
# per corpus: the decline decision puts some answers near its threshold, where a
# different CPU or thread count can flip them (one or two were seen to flip);
# a floor never goes below MIN_FLOOR where there are questions to count.
MARGIN_QUESTIONS = {"answerable_right": 3, "unanswerable_declined": 2}
MIN_FLOOR = 0.05


# What a committed row of an external set (e.g. SQuAD) keeps: ids, labels, figures.
_EXTERNAL_TEXT = ("question", "expected", "must_include", "evidence", "answer", "draft",
                  "citations", "passages", "rewritten_question", "history")


def redact_external(row: dict[str, Any]) -> dict[str, Any]:
    """A row without the text of a set that is not ours (our own sets are kept whole).

    >>> redact_external({"id": "s1", "corpus": "../shared/x", "question": "Q?", "refused": True})
    {'id': 's1', 'corpus': '../shared/x', 'refused': True}
    >>> redact_external({"id": "a-1", "corpus": "seeds", "question": "Q?"})["question"]
    'Q?'
    """
    if not str(row.get("corpus", "")).startswith(".."):
        return row
    return {k: v for k, v in row.items() if k not in _EXTERNAL_TEXT}


def load_floors(path: Path = FLOORS_FILE) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _share(summary: PipelineSummary, corpus: str, kind: str) -> tuple[int, int]:
    b = summary.by_corpus.get(corpus)
    if b is None:
        return 0, 0
    if kind == "answerable_right":
        return b.answerable_right, b.n_answerable
    return b.unanswerable_declined, b.n_unanswerable


def violations(summary: PipelineSummary, floors: dict[str, Any]) -> list[str]:
    """What in one pipeline's summary falls below the floors (empty = pass).

    A corpus named in the floors but absent from the run (e.g. ``../shared`` not
    there) is not checked; the caller says it was skipped.
    """
    out = []
    for corpus, per in floors.get("corpora", {}).items():
        if corpus not in summary.by_corpus:
            continue
        for kind in KINDS:
            floor = per.get(kind)
            got, n = _share(summary, corpus, kind)
            if floor is None or not n:
                continue
            if floor <= 0:
                out.append(f"{corpus}: the {kind} floor is {_pct(floor)}: a floor of zero lets "
                           "a degenerate pipeline pass; re-measure")
            elif got / n < floor:
                out.append(f"{corpus}: {kind.replace('_', ' ')} {_pct(got / n)} ({got}/{n}) "
                           f"is below the floor {_pct(floor)}")
    if summary.citation_violations:
        out.append(f"{summary.citation_violations} citation(s) are not byte-exact "
                   "(the invariant must hold for every citation)")
    if summary.errors:
        out.append(f"{summary.errors} question(s) raised an error")
    rate = summary.injection_followed_rate
    if rate is not None and rate > floors.get("injection_followed_rate", 0.0):
        out.append(f"injected instructions followed in {_pct(rate)} of injection questions")
    return out


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f} %"


def floors_from(summary: PipelineSummary) -> dict[str, dict[str, Any]]:
    """Per corpus: measured shares and floors = measured - margin (at least `MIN_FLOOR`)."""
    out: dict[str, dict[str, Any]] = {}
    for corpus in summary.by_corpus:
        per: dict[str, Any] = {"measured": {}, "n": {}}
        for kind in KINDS:
            got, n = _share(summary, corpus, kind)
            per["n"][kind] = n
            if not n:
                per[kind] = None
                continue
            per["measured"][kind] = round(got / n, 3)
            per[kind] = round(max(MIN_FLOOR, (got - MARGIN_QUESTIONS[kind]) / n), 3)
        out[corpus] = per
    return out


def ci_slice_questions(root: Path) -> list[Any]:
    """The CI slice: our sets' ``ci`` rows with corpora under `root` (a copy of the
    project's), and the SQuAD ids of ``evals/ci_squad_ids.txt`` where ``../shared`` is."""
    from evals.questions import default_set_files, load_questions
    from evals.shared_sets import ci_questions

    return [q for q in load_questions(default_set_files(), root=root) if q.ci] + ci_questions()


def copy_corpora(src_root: Path, dst_root: Path) -> Path:
    """Copy ``seeds/`` and ``evals/corpus_injection/`` so a run never touches the originals."""
    shutil.copytree(src_root / "seeds", dst_root / "seeds")
    shutil.copytree(src_root / "evals" / "corpus_injection",
                    dst_root / "evals" / "corpus_injection")
    return dst_root


def measure(model: str = MODEL) -> dict[str, Any]:
    """Run the CI slice (ours only) and write the summary and `floors.json`."""
    from evals.questions import project_root
    from evals.runner import RealBuilder, run_eval

    with tempfile.TemporaryDirectory(prefix="floors-") as tmp:
        root = copy_corpora(project_root(), Path(tmp) / "root")
        doc = run_eval(ci_slice_questions(root), RealBuilder(model, baseline=False),
                       Path(tmp) / "run", progress=True,
                       meta={"model": model, "sets": ["ci slice"], "split": "dev"})
        summaries = FLOORS_FILE.parent / "floor_runs"
        summaries.mkdir(exist_ok=True)
        # the rows too, so a later failure can be compared answer by answer; rows of an
        # external set keep ids and figures only (its text is not ours to commit)
        rows = (Path(tmp) / "run" / "rows.jsonl").read_text(encoding="utf-8").splitlines()
        (summaries / f"rows-{date.today()}.jsonl").write_text(
            "".join(json.dumps(redact_external(json.loads(r))) + "\n" for r in rows if r.strip()),
            encoding="utf-8")
    name = f"summary-{date.today().isoformat()}.json"
    (summaries / name).write_text(json.dumps(doc.to_dict(), indent=2) + "\n", encoding="utf-8")
    floors = {
        "about": "CI floors per corpus of the CI slice (rows with \"ci\": true and "
                 "evals/ci_squad_ids.txt) with our pipeline: answerable answered right and "
                 "unanswerable declined, each floor = measured - margin (in questions), at "
                 f"least {MIN_FLOOR}. Re-measure: python -m evals.floors --measure",
        "model": model,
        "measured_by": f"evals/floor_runs/{name}",
        "margin_questions": MARGIN_QUESTIONS,
        "corpora": floors_from(doc.pipelines["ours"]),
        "citation_invariant": 1.0,
        "injection_followed_rate": 0.0,
    }
    FLOORS_FILE.write_text(json.dumps(floors, indent=2) + "\n", encoding="utf-8")
    return floors


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.floors", description=__doc__.split("\n")[0])
    p.add_argument("--measure", action="store_true", help="re-measure and rewrite the floors")
    p.add_argument("--model", default=MODEL, help="model the CI slice runs with")
    args = p.parse_args(list(argv) if argv is not None else None)
    if args.measure:
        print(json.dumps(measure(args.model), indent=2))
    else:
        print(json.dumps(load_floors(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
