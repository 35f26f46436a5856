"""Fit the decline decision on logged answers and choose `decline_threshold`.

Input: rows that hold, per question, the article (`source`), whether it is
answerable, whether the reader's proposed answer (`draft`) holds a gold
answer as it would be shown, and the decision `signals` (rows of `rag eval` or of any collection
that logs them). The rows of the *fit* articles train a logistic regression
(scikit-learn, standardised signals) predicting "the proposed answer is
right"; the threshold that maximises accuracy on those rows *at a stated share
of unanswerable questions* (``--unanswerable-share``, default 0.3) becomes the
default: ``(1 - share) * answerable_right + share * unanswerable_declined``.
Why not plain accuracy: SQuAD 2.0 is half unanswerable, and adversarially so;
tuned to that, the threshold declines four questions in five, which is wrong
for people asking about their own documents. 0.3 is the share in the
project's own measurements (issue 7's held-out table: 52 of 179; our sets:
25 of 95). The *report* articles are scored with the same model and threshold
and are never used to choose anything.

Writes `rag/decision.json` (the model the pipeline loads) and
`evals/thresholds.json` (what chose it: data, model, value, the
risk–coverage curve, what moving the threshold costs on both halves).

    python -m evals.tuning.fit_decision ROWS.jsonl [...] --fit-articles A.txt,B.txt,...

Example:
    >>> rows = [Row("a", True, True, {"x": 1.0}), Row("a", False, False, {"x": -1.0})]
    >>> outcome(rows, [0.9, 0.1], 0.5)["accuracy"]
    1.0
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.decide import FEATURES, DeclineModel

ROOT = Path(__file__).resolve().parents[2]  # the checkout: evals/tuning/ is two below


@dataclass(frozen=True)
class Row:
    """One logged answer: its article, the truth, and what the decision read."""

    source: str
    answerable: bool
    draft_right: bool  # the proposed answer, as it would be shown, holds a gold answer
    signals: dict[str, float]
    split: str = "dev"  # "heldout" rows are never fitted on


def load_rows(paths: Sequence[Path]) -> list[Row]:
    """Rows from JSONL files (ours-pipeline rows only when a `pipeline` field is present)."""
    from evals.metrics import contains_answer

    out = []
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            r = json.loads(line)
            if r.get("pipeline", "ours") != "ours" or not r.get("signals"):
                continue
            # `rag eval` rows (evals.rows.EvalRow) name the article of every question,
            # unanswerable ones too, and score the draft in metrics.draft_correct
            source = (r.get("source") or r.get("article")
                      or (r.get("evidence") or [{}])[0].get("source", ""))
            expected = r.get("expected") or []
            right = r.get("shown_right")
            if right is None:
                right = (r.get("metrics") or {}).get("draft_correct")
            if right is None:
                right = bool(expected) and contains_answer(r.get("draft", ""), expected)
            out.append(Row(source or r.get("corpus", ""), bool(r["answerable"]), bool(right),
                           {k: float(v) for k, v in r["signals"].items()},
                           r.get("split", "dev")))
    return out


def outcome(rows: Sequence[Row], confidence: Sequence[float], threshold: float,
            share: float = 0.3) -> dict[str, Any]:
    """Figures if answers at or above `threshold` (and with a citation) are shown."""
    right = answered = ans_right = ans_total = un_declined = un_total = 0
    for row, conf in zip(rows, confidence, strict=True):
        shown = conf >= threshold and row.signals.get("cited", 1.0) > 0
        answered += shown
        ok = row.draft_right if shown else not row.answerable
        right += ok
        if row.answerable:
            ans_total += 1
            ans_right += shown and row.draft_right
        else:
            un_total += 1
            un_declined += not shown
    n = max(1, len(rows))
    return {
        "threshold": round(threshold, 3), "n": len(rows), "accuracy": round(right / n, 4),
        "answerable_right": round(ans_right / max(1, ans_total), 4),
        "unanswerable_declined": round(un_declined / max(1, un_total), 4),
        "coverage": round(answered / n, 4),
        "balanced": round((ans_right / max(1, ans_total) + un_declined / max(1, un_total)) / 2, 4),
        "weighted": round((1 - share) * ans_right / max(1, ans_total)
                          + share * un_declined / max(1, un_total), 4),
    }


def fit(rows: Sequence[Row], features: Sequence[str] = FEATURES,
        cs: Sequence[float] = (0.01, 0.03, 0.1, 0.3, 1.0)) -> DeclineModel:
    """A logistic regression of "the proposed answer is right" on the signals.

    L1-penalised (weak signals get weight 0); its strength is chosen among `cs`
    by cross-validation that leaves one article out at a time (log-loss), so
    nothing is chosen on rows of the article it is scored on.
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
    from sklearn.model_selection import LeaveOneGroupOut

    x = np.array([[r.signals.get(f, 0.0) for f in features] for r in rows], dtype=float)
    y = np.array([r.answerable and r.draft_right for r in rows], dtype=int)
    groups = [r.source for r in rows]
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    if len(set(groups)) >= 3 and len(set(y.tolist())) == 2:
        splits = list(LeaveOneGroupOut().split(z, y, groups))
        warnings.filterwarnings("ignore", category=FutureWarning, module="sklearn")
        clf = LogisticRegressionCV(Cs=list(cs), cv=splits, penalty="l1", solver="liblinear",
                                   scoring="neg_log_loss", max_iter=2000).fit(z, y)
    else:  # too few articles to cross-validate (tests, tiny sets)
        clf = LogisticRegression(max_iter=2000).fit(z, y)
    return DeclineModel(list(features), mean.round(6).tolist(), scale.round(6).tolist(),
                        clf.coef_[0].round(6).tolist(), round(float(clf.intercept_[0]), 6))


def curve(rows: Sequence[Row], conf: Sequence[float], share: float = 0.3
          ) -> list[dict[str, Any]]:
    """The outcome at thresholds 0.00, 0.05, ... 1.00 (the risk–coverage curve's points)."""
    return [outcome(rows, conf, t / 20, share) for t in range(21)]


def _group(row: Row) -> str:
    """Report groups: external articles together; our own sets by corpus and split."""
    return f"{row.source}:{row.split}" if row.source.startswith("own:") else "external articles"


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.tuning.fit_decision", description=__doc__)
    p.add_argument("rows", nargs="+", type=Path)
    p.add_argument("--fit-articles", required=True,
                   help="comma-separated sources to fit on; all others (and every row of "
                   "split 'heldout') are reported on")
    p.add_argument("--model-name", default="qwen2.5-0.5b")
    p.add_argument("--data", default="../shared/squad2-dev", help="what the rows came from")
    p.add_argument("--unanswerable-share", type=float, default=0.3,
                   help="share of unanswerable questions the threshold is chosen for")
    p.add_argument("--write", action="store_true", help="write rag/decision.json and "
                   "evals/thresholds.json (else only print)")
    args = p.parse_args(argv)
    rows = load_rows(args.rows)
    fit_on = set(args.fit_articles.split(","))
    train = [r for r in rows if r.source in fit_on and r.split != "heldout"]
    held = [r for r in rows if r.source not in fit_on or r.split == "heldout"]
    if not train or not held:
        print("error: need rows on both the fit and the report articles", file=sys.stderr)
        return 2
    model = fit(train)
    c_train = [model.confidence(r.signals) for r in train]
    c_held = [model.confidence(r.signals) for r in held]
    share = args.unanswerable_share
    # ties go to the lower threshold: of equally good points, answer more
    best = max(curve(train, c_train, share), key=lambda o: (o["weighted"], -o["threshold"]))
    t = best["threshold"]
    record = {
        "decline_threshold": {
            "value": t, "chosen_by": f"highest accuracy on the fit articles at an unanswerable share of "
                         f"{share} ((1-share)*answerable_right + share*unanswerable_declined, "
                         "'weighted'); ties to the lower threshold (answer more)",
            "data": args.data, "model": args.model_name,
            "fit_articles": sorted(fit_on), "report_articles": sorted({r.source for r in held}),
            "rows": {"fit": len(train), "report": len(held)},
            "unanswerable_share": share,
            "at_value": {"fit": outcome(train, c_train, t, share),
                         "report": outcome(held, c_held, t, share)},
            "never_decline": {"fit": outcome(train, c_train, 0.0),
                              "report": outcome(held, c_held, 0.0)},
            "moving_it": {f"{d:+.2f}": {"fit": outcome(train, c_train, t + d),
                                        "report": outcome(held, c_held, t + d)}
                          for d in (-0.2, -0.1, 0.1, 0.2)},
            "curve_report": curve(held, c_held),
        },
        "decision_model": {"features": model.features,
                           "coef": dict(zip(model.features, model.coef, strict=True))},
    }
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(held):
        groups.setdefault(_group(r), []).append(i)
    record["decline_threshold"]["report_by_group"] = {
        g: outcome([held[i] for i in ix], [c_held[i] for i in ix], t, share)
        for g, ix in sorted(groups.items())}
    print(json.dumps(record["decline_threshold"]["at_value"], indent=1))
    print(json.dumps(record["decline_threshold"]["report_by_group"], indent=1))
    print("never decline:", json.dumps(record["decline_threshold"]["never_decline"]))
    print("coef:", json.dumps(record["decision_model"]["coef"], indent=1))
    if args.write:
        (ROOT / "rag" / "decision.json").write_text(json.dumps(
            {"note": "fitted by evals/tuning/fit_decision.py; see evals/thresholds.json",
             "threshold": t, "model": model.to_dict()}, indent=2) + "\n", encoding="utf-8")
        out = ROOT / "evals" / "thresholds.json"
        existing = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
        existing.update(record)
        out.write_text(json.dumps(existing, indent=2) + "\n", encoding="utf-8")
        print(f"written rag/decision.json and {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
