"""Measure the constants of `rag/verify.py` on logged answers, without a model.

For each logged row (question, the reader's phrase, whether it was answerable)
the question is retrieved again (retrieval is deterministic), the focused
context rebuilt, and `locate_answer` re-run with each constant moved; what it
gates is whether a phrase gets a citation at all. The table says, per value,
how many answerable questions end with a cited phrase that holds a gold
answer, and how many unanswerable ones get a cited (so showable) phrase.
The result goes into `evals/thresholds.json` under ``verify``.

    python -m evals.tuning.sweep_verify ROWS.jsonl --corpus ../shared/squad2-dev/corpus --store S

Example:
    >>> phrase_of('1884 [1] — "He moved in 1884."')
    '1884'
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag import verify
from rag.retrieve import vouched as vouching

ROOT = Path(__file__).resolve().parents[2]  # the checkout: evals/tuning/ is two below
CONSTANTS = {
    "MIN_NOVEL_COVERAGE": (0.4, 0.5, 0.6, 0.7, 0.8),
    "MIN_BORROWED_COVERAGE": (0.4, 0.5, 0.6, 0.7, 0.8),
    "MIN_RELEVANCE": (0.1, 0.2, 0.3, 0.4, 0.5),
    "MIN_QUESTION_COVERAGE": (0.4, 0.5, 0.6, 0.7, 0.8),
}


# TODO(rag/verify.py, owned elsewhere): tuning must not write to rag's modules. Needed: a
# public keyword parameter of `verify.locate_answer`, e.g. `limits: SupportLimits =
# SupportLimits()`, a frozen dataclass of the four names above in lower case
# (min_novel_coverage, min_borrowed_coverage, min_relevance, min_question_coverage),
# defaults the module constants, handed on to `support` and `question_coverage`. Then
# `_locate` becomes one call, `verify.locate_answer(..., limits=SupportLimits(**values))`.
def _locate(phrase: str, question: str, context: list[Any], vouched: list[str],
            values: dict[str, float]) -> Any:
    """`verify.locate_answer` with some of `CONSTANTS` at other values, for this call only."""
    kept = {name: getattr(verify, name) for name in values}
    try:
        for name, value in values.items():
            setattr(verify, name, value)  # the one write to a rag module (see the TODO)
        return verify.locate_answer(phrase, question, context, vouched)
    finally:
        for name, value in kept.items():
            setattr(verify, name, value)


def phrase_of(draft: str) -> str:
    """The reader's phrase inside a shown answer (the text before its marker)."""
    return draft.split(" [1]")[0] if " [1]" in draft else draft


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.tuning.sweep_verify", description=__doc__)
    p.add_argument("rows", type=Path)
    p.add_argument("--corpus", type=Path, required=True)
    p.add_argument("--store", type=Path, required=True, help="an index of that corpus")
    p.add_argument("--write", action="store_true")
    args = p.parse_args(argv)

    from evals.metrics import contains_answer
    from rag import Settings
    from rag.pipeline import Pipeline
    from rag.reader import focused_sentences

    pipe = Pipeline.from_settings(Settings(corpus_dir=args.corpus, store_dir=args.store),
                                  progress=False)
    cases = []
    for line in args.rows.read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        passages = pipe.corpus.retriever.retrieve(r["question"], pipe.settings.top_k)
        context = focused_sentences(r["question"], passages, pipe.settings.context_chars)
        vouched = vouching(passages)
        cases.append((r, phrase_of(r["draft"]), context, vouched))

    def score(values: dict[str, float]) -> dict[str, Any]:
        ans_ok = un_cited = n_ans = n_un = 0
        for r, phrase, context, vouched in cases:
            loc = _locate(phrase, r["question"], context, vouched, values)
            cited = loc.citation is not None
            if r["answerable"]:
                n_ans += 1
                ans_ok += cited and (contains_answer(phrase, r["expected"])
                                     or contains_answer(loc.citation.quote, r["expected"]))
            else:
                n_un += 1
                un_cited += cited
        return {"answerable_cited_right": round(ans_ok / max(1, n_ans), 4),
                "unanswerable_cited": round(un_cited / max(1, n_un), 4)}

    table: dict[str, Any] = {}
    for name, values in CONSTANTS.items():
        table[name] = {"value": getattr(verify, name), "sweep": {}}
        for v in values:
            table[name]["sweep"][str(v)] = score({name: v})
        print(name, json.dumps(table[name]))
    record = {"data": str(args.rows.name), "rows": len(cases),
              "what": "share of answerable questions whose phrase gets a citation and holds a "
                      "gold answer (phrase or quote), and of unanswerable ones whose phrase "
                      "gets a citation, as each constant moves (others at their values)",
              "constants": table}
    if args.write:
        out = ROOT / "evals" / "thresholds.json"
        existing = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
        existing["verify"] = record
        out.write_text(json.dumps(existing, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
