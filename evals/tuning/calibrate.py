"""`rag calibrate`: fit the decline decision for the configured model.

The decision (`rag.decide.DeclineModel` and its threshold) was fitted on the
0.5B's signals; another model's signals sit elsewhere (the 1.5B is surer of
itself), so each model gets its own. This reads a question set with the
configured model (in process, or through ``llm_url``), caches what each reading
gave (`SignalCache`), fits on the questions of some articles and reports on the
others (`evals.tuning.fit_decision`'s `fit`, `outcome`, `curve`), and writes
``store_dir/decisions/<model>.json``, which the pipeline then prefers
(`rag.decisions`).

Reading is the cost (seconds per question, ~3× more with the 1.5B); fitting
is milliseconds. So every reading is appended to a JSONL cache under
``store_dir/signal-cache/``, one file per (model identity, code and settings
version): a refit or a report re-reads nothing, a run cut short by
``--minutes`` resumes where it stopped, and a change of the reader, verify or
decide code, or of the settings that shape a reading, starts a fresh file.

    rag calibrate                                   # the shared SQuAD-dev set + our dev split
    rag calibrate --sample 300 --seed 0 --minutes 20
    rag calibrate --set mine.jsonl --corpus docs/ --report-articles a.txt,b.txt

Example (a fake reader; see tests/test_calibrate_unit.py):
    >>> rows = [CalibrationRow("q1", "a.txt", True, True, True, {"x": 1.0})]
    >>> to_rows(rows)[0].draft_right
    True
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evals.question_types import Question
from evals.tuning.fit_decision import Row, curve, fit, outcome
from rag.decide import FEATURES, DeclineModel
from rag.settings import Settings

log = logging.getLogger(__name__)

# The articles the shipped 0.5B decision was fitted on (evals/thresholds.json); the
# other six of the shared SQuAD-dev corpus are reported on.
FIT_ARTICLES = ("Amazon_rainforest.txt", "Economic_inequality.txt", "Immune_system.txt",
                "Oxygen.txt", "Pharmacy.txt", "Rhine.txt")
# The features read from the model's token probabilities: a server that returns none
# leaves them constant, and the fit drops them.
LOGPROB_FEATURES = ("judge_log_odds", "answer_first_logprob", "answer_mean_logprob",
                    "answer_min_logprob", "none_logprob", "choice_none", "choice_top",
                    "choice_agrees")
# Code whose change alters what a reading yields: part of the cache key.
_CODE = ("rag/reader.py", "rag/verify.py", "rag/decide.py", "rag/prompts.py",
         "rag/retrieve.py", "index/text.py", "index/split.py")
# Settings that shape a reading: part of the cache key.
_SETTINGS = ("model", "llm_url", "llm_model", "context_chars", "top_k", "max_answer_tokens",
             "context_size", "temperature", "embed_model", "chunk_size", "chunk_overlap")
SHARE = 0.3  # the unanswerable share the threshold is chosen for (as fit_decision)


@dataclass(frozen=True)
class CalibrationRow:
    """One question as read by the model: the truth, what it proposed, the signals."""

    id: str
    source: str  # the article, or "own:<corpus>" for our sets
    answerable: bool
    strict_right: bool  # the proposed answer's leading phrase holds a gold answer
    lenient_right: bool  # the whole proposed answer does
    signals: dict[str, float]
    reason: str = ""  # why the pipeline declined, if it did
    split: str = "dev"
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def question_key(q: Question) -> str:
    """What identifies a row inside one cache file: the question, its id and its corpus."""
    return hashlib.sha256(f"{q.id}|{q.corpus_name}|{q.question}".encode()).hexdigest()[:20]


def code_version(root: Path | None = None) -> str:
    """A digest of the code that shapes a reading (`_CODE`).

    >>> len(code_version())
    12
    """
    root = root or Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for rel in _CODE:
        p = root / rel
        h.update(rel.encode())
        h.update(p.read_bytes() if p.is_file() else b"")
    return h.hexdigest()[:12]


def cache_name(identity: str, settings: Settings, code: str) -> str:
    """The cache file for a model identity, the settings that shape a reading and the code.

    >>> cache_name("abc", Settings(), "c0de")[:4]
    'abc-'
    """
    shaping = {k: str(getattr(settings, k, "")) for k in _SETTINGS}
    digest = hashlib.sha256(json.dumps([identity, shaping, code], sort_keys=True).encode())
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in identity)[:60]
    return f"{safe}-{digest.hexdigest()[:12]}.jsonl"


class SignalCache:
    """Append-only JSONL of readings, ``{"key": ..., "row": CalibrationRow}`` per line.

    A half-written last line (the run was killed) is skipped; a key written twice
    keeps its first row.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._rows: dict[str, CalibrationRow] = {}
        if self.path.is_file():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    rec = json.loads(line)
                    self._rows.setdefault(rec["key"], CalibrationRow(**rec["row"]))
                except (ValueError, KeyError, TypeError):
                    continue  # a torn line: that question is read again

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, key: str) -> CalibrationRow | None:
        return self._rows.get(key)

    def add(self, key: str, row: CalibrationRow) -> None:
        if key in self._rows:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps({"key": key, "row": row.to_json()}) + "\n")
            fh.flush()
        self._rows[key] = row


# A reader answers one question and returns (draft, signals, reason, seconds).
Reader = Callable[[Question], tuple[str, dict[str, float], str, float]]


def score(q: Question, draft: str, signals: Mapping[str, float], reason: str,
          seconds: float) -> CalibrationRow:
    """A `CalibrationRow` for `q` from what the pipeline proposed (strict and lenient)."""
    from evals.metrics import answer_correct, short_answer

    strict = q.answerable and bool(draft) and answer_correct(
        short_answer(draft), q.answers, q.must_include)
    lenient = q.answerable and bool(draft) and answer_correct(draft, q.answers, q.must_include)
    from evals.questions import default_set_files

    own = q.set_name in {f.stem for f in default_set_files()}
    # our sets are grouped by corpus (their unanswerable questions name no article)
    source = f"own:{q.corpus_name}" if own else (q.article or q.corpus_name)
    return CalibrationRow(q.id, source, q.answerable, bool(strict), bool(lenient),
                          {k: float(v) for k, v in signals.items()}, reason, q.split,
                          round(seconds, 3))


def collect(questions: Sequence[Question], reader_for: Callable[[Question], Reader],
            cache: SignalCache, minutes: float | None = None,
            progress: Callable[[int, int], None] | None = None) -> list[CalibrationRow]:
    """Every question's row, from the cache or read now (and cached), in order.

    Stops reading new questions once `minutes` have passed (rows read so far
    are kept and cached; a later run resumes). `reader_for(q)` gives the reader
    for q's corpus (built once per corpus by the caller).
    """
    started = time.monotonic()
    out = []
    for i, q in enumerate(questions):
        key = question_key(q)
        row = cache.get(key)
        if row is None:
            if minutes is not None and time.monotonic() - started > minutes * 60:
                continue
            draft, signals, reason, seconds = reader_for(q)(q)
            row = score(q, draft, signals, reason, seconds)
            cache.add(key, row)
        out.append(row)
        if progress:
            progress(i + 1, len(questions))
    return out


def to_rows(rows: Iterable[CalibrationRow], strict: bool = True) -> list[Row]:
    """`fit_decision.Row`s; a question declined before the confidence test (not about the
    documents, or no span holds the answer) is never shown, whatever the confidence."""
    out = []
    for r in rows:
        signals = dict(r.signals)
        if r.reason not in ("", "low_confidence"):
            signals["cited"] = 0.0
        right = r.strict_right if strict else r.lenient_right
        out.append(Row(r.source, r.answerable, right, signals, r.split))
    return out


def usable_features(rows: Sequence[Row], features: Sequence[str] = FEATURES
                    ) -> tuple[list[str], list[str]]:
    """(features that vary over `rows`, features dropped as constant or missing).

    >>> usable_features([Row("a", True, True, {"x": 1.0, "y": 0.0}),
    ...                  Row("b", True, False, {"x": 2.0, "y": 0.0})], ["x", "y", "z"])
    (['x'], ['y', 'z'])
    """
    kept, dropped = [], []
    for f in features:
        values = {r.signals[f] for r in rows if f in r.signals}
        if len(values) > 1 and all(f in r.signals for r in rows):
            kept.append(f)
        else:
            dropped.append(f)
    return kept, dropped


def baselines(rows: Sequence[Row]) -> dict[str, dict[str, float]]:
    """Never declining (every proposed answer shown) and always declining, for comparison."""
    ans = [r for r in rows if r.answerable]
    un = len(rows) - len(ans)
    right = sum(r.draft_right for r in ans)
    return {
        "never_decline": {"n": len(rows), "answerable_right": round(right / max(1, len(ans)), 4),
                          "unanswerable_declined": 0.0,
                          "weighted": round((1 - SHARE) * right / max(1, len(ans)), 4)},
        "always_decline": {"n": len(rows), "answerable_right": 0.0,
                           "unanswerable_declined": 1.0 if un else 0.0,
                           "weighted": SHARE if un else 0.0},
    }


@dataclass
class Calibration:
    """A fitted decision and the figures that chose and checked it."""

    model: DeclineModel
    threshold: float
    dropped: list[str]
    fit_rows: int
    report_rows: int
    fit_articles: list[str]
    report_articles: list[str]
    report: dict[str, Any] = field(default_factory=dict)

    def to_json(self, fitted_for: Mapping[str, Any]) -> dict[str, Any]:
        logprobs = not any(f in self.dropped for f in ("judge_log_odds", "answer_mean_logprob"))
        return {
            "note": "fitted by `rag calibrate` (evals/tuning/calibrate.py)",
            "fitted_for": dict(fitted_for), "threshold": self.threshold,
            "model": self.model.to_dict(),
            "logprobs": logprobs,
            "features_dropped": self.dropped,
            "rows": {"fit": self.fit_rows, "report": self.report_rows},
            "fit_articles": self.fit_articles, "report_articles": self.report_articles,
            "unanswerable_share": SHARE, "report": self.report,
        }


def calibrate(rows: Sequence[CalibrationRow], fit_articles: Iterable[str],
              share: float = SHARE, before: tuple[DeclineModel, float] | None = None
              ) -> Calibration:
    """Fit on the rows of `fit_articles` (dev split), choose the threshold there, and
    report on every other row (strict scoring; lenient figures beside it). `before`, the
    decision the model ran with until now (model, threshold), is scored on the same rows."""
    fit_on = set(fit_articles)
    # an open question is answered by quoting (rag.compose), not by this decision
    rows = [r for r in rows if "cited" in r.signals]
    strict = to_rows(rows)
    lenient = to_rows(rows, strict=False)
    is_fit = [r.source in fit_on and r.split != "heldout" for r in rows]
    train = [r for r, f in zip(strict, is_fit, strict=True) if f]
    held = [r for r, f in zip(strict, is_fit, strict=True) if not f]
    held_lenient = [r for r, f in zip(lenient, is_fit, strict=True) if not f]
    if not train or len({r.answerable and r.draft_right for r in train}) < 2:
        raise ValueError("the fit articles need rows both right and wrong to fit on "
                         f"({len(train)} rows)")
    features, dropped = usable_features(train)
    try:
        model = fit(train, features)
    except ValueError:  # a left-out article leaves one class only (few rows): no CV
        model = fit([Row("all", r.answerable, r.draft_right, r.signals, r.split)
                     for r in train], features)
    c_train = [model.confidence(r.signals) for r in train]
    c_held = [model.confidence(r.signals) for r in held]
    best = max(curve(train, c_train, share), key=lambda o: (o["weighted"], -o["threshold"]))
    t = best["threshold"]
    report = {
        "at_threshold": {"fit": outcome(train, c_train, t, share),
                         "report": outcome(held, c_held, t, share),
                         "report_lenient": outcome(held_lenient, c_held, t, share)},
        "report_baselines": baselines(held),
        "fit_baselines": baselines(train),
        "curve_report": curve(held, c_held, share),
        "curve_fit": curve(train, c_train, share),
        "logprob_features_dropped": [f for f in dropped if f in LOGPROB_FEATURES],
    }
    if before is not None:
        old_model, old_t = before
        report["report_before"] = outcome(held, [old_model.confidence(r.signals) for r in held],
                                          old_t, share)
    return Calibration(model, t, dropped, len(train), len(held), sorted(fit_on),
                       sorted({r.source for r in held}), report)


def format_report(c: Calibration, name: str) -> str:
    """The risk–coverage curve on the report rows and the chosen threshold, as text."""
    lines = [f"decision for {name}: fitted on {c.fit_rows} rows "
             f"({', '.join(c.fit_articles)}), reported on {c.report_rows} rows"]
    if c.report["logprob_features_dropped"]:
        lines.append("the model returned no token probabilities: fitted without "
                     + ", ".join(c.report["logprob_features_dropped"]))
    lines.append("threshold  coverage  answerable_right  unanswerable_declined  weighted"
                 "   (report rows, strict)")
    for o in c.report["curve_report"]:
        mark = "  <- chosen" if abs(o["threshold"] - c.threshold) < 1e-9 else ""
        lines.append(f"{o['threshold']:9.2f}  {o['coverage']:8.3f}  {o['answerable_right']:15.3f}"
                     f"  {o['unanswerable_declined']:21.3f}  {o['weighted']:8.3f}{mark}")
    at = c.report["at_threshold"]
    b = c.report["report_baselines"]
    lines.append(f"chosen threshold {c.threshold:.2f} (highest weighted accuracy on the fit rows, "
                 f"unanswerable share {SHARE})")
    for label, o in (("fit", at["fit"]), ("report", at["report"]),
                     ("report, lenient", at["report_lenient"]),
                     *((("report, decision before", c.report["report_before"]),)
                       if "report_before" in c.report else ()),
                     ("report, never declining", b["never_decline"]),
                     ("report, always declining", b["always_decline"])):
        lines.append(f"  {label:26s} answerable right {o['answerable_right']:.3f}, "
                     f"unanswerable declined {o['unanswerable_declined']:.3f}, "
                     f"weighted {o['weighted']:.3f}")
    return "\n".join(lines)


# --- the command ---------------------------------------------------------------


def default_questions(seed: int, sample: int | None) -> list[Question]:
    """The shared SQuAD-dev questions (a seeded sample, interleaved fit/report so a run
    cut short still has both halves) plus our sets' dev split."""
    from evals import shared_sets
    from evals.questions import default_set_files, load_questions

    squad = shared_sets.load_squad() if shared_sets.available() else []
    own = [q for q in load_questions(default_set_files())
           if q.split == "dev" and not q.history and not q.forbidden]
    return order(squad, seed, sample) + order(own, seed, None)


def order(questions: Sequence[Question], seed: int, sample: int | None) -> list[Question]:
    """A seeded shuffle, round-robin over articles (so any prefix covers them all), cut to
    `sample`."""
    rng = random.Random(seed)
    by: dict[str, list[Question]] = {}
    for q in questions:
        by.setdefault(q.article or q.corpus_name, []).append(q)
    for qs in by.values():
        rng.shuffle(qs)
    out: list[Question] = []
    lanes = [by[k] for k in sorted(by)]
    while any(lanes):
        for lane in lanes:
            if lane:
                out.append(lane.pop())
    return out[:sample] if sample else out


def pipeline_reader(settings: Settings, corpus: Path, store_root: Path) -> Reader:
    """A reader over `corpus` with the configured model (in process or through llm_url)."""
    from rag.decide import DeclineModel
    from rag.pipeline import Pipeline

    corpus_store = store_root / hashlib.sha256(str(corpus.resolve()).encode()).hexdigest()[:12]
    s = settings.model_copy(update={"corpus_dir": corpus, "store_dir": corpus_store,
                                    "temperature": 0.0, "decline_threshold": 0.0})
    # The decision's confidence is not a reading's; any model will do to run the pipeline.
    pipe = Pipeline.from_settings(s, progress=False)
    pipe.decline_model = DeclineModel([], [], [], [], 0.0)

    def read(q: Question) -> tuple[str, dict[str, float], str, float]:
        t = time.perf_counter()
        a = pipe.answer(q.question)
        signals = {k: v for k, v in (a.signals or {}).items() if k != "confidence"}
        return (a.draft or (a.text if not a.refused else ""), signals, a.reason,
                time.perf_counter() - t)

    return read


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="rag calibrate", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--set", type=Path, help="question set (rag eval's schema); default: the "
                   "shared SQuAD-dev set plus our sets' dev split")
    p.add_argument("--corpus", type=Path, help="the corpus folder of --set")
    p.add_argument("--sample", type=int, help="read at most N questions of the set")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--minutes", type=float, help="stop reading new questions after this long "
                   "(what is read is cached; run again to read more)")
    p.add_argument("--fit-articles", help="comma-separated articles to fit on (default: six "
                   "of the shared SQuAD-dev articles, or all but --report-articles)")
    p.add_argument("--report-articles", help="comma-separated articles to report on")
    p.add_argument("--model", help="the model to calibrate (default: the configured one)")
    p.add_argument("--no-fit", action="store_true", help="only read and cache")
    p.add_argument("--cache", type=Path, help="the signal cache file to use (default: the one "
                   "of this model, code and settings under store_dir/signal-cache/)")
    p.add_argument("--out", type=Path, help="write the decision here (default: "
                   "store_dir/decisions/<model>.json)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)

    from evals.questions import load_questions
    from rag.decisions import identity_of

    settings = Settings(**({"model": args.model} if args.model else {}))
    if args.set:
        questions = order(load_questions([args.set], corpus=args.corpus), args.seed, args.sample)
    else:
        questions = default_questions(args.seed, args.sample)
    ident = identity_of(settings)
    store = settings.store_dir.expanduser()
    cache = SignalCache(args.cache or store / "signal-cache" / cache_name(
        ident.key, settings, code_version()))
    readers: dict[Path, Reader] = {}

    def reader_for(q: Question) -> Reader:
        if q.corpus not in readers:
            readers[q.corpus] = pipeline_reader(settings, q.corpus, store / "calibrate-index")
        return readers[q.corpus]

    def say(i: int, n: int) -> None:
        if i % 10 == 0 or i == n:
            print(f"\r{i}/{n} questions ({len(cache)} in the cache)", end="", file=sys.stderr,
                  flush=True)

    rows = collect(questions, reader_for, cache, args.minutes, say)
    print(file=sys.stderr)
    print(f"{len(rows)} rows read or cached for {ident.name} ({cache.path.name})")
    if args.no_fit:
        return 0
    sources = sorted({r.source for r in rows})
    if args.fit_articles:
        fit_on = set(args.fit_articles.split(","))
    elif args.report_articles:
        fit_on = set(sources) - set(args.report_articles.split(","))
    elif set(FIT_ARTICLES) & set(sources):  # the shared SQuAD-dev set: as the 0.5B's fit
        fit_on = set(FIT_ARTICLES) | {s for s in sources if s.startswith("own:")}
    else:
        fit_on = set(sources[: max(1, len(sources) // 2)])
    from rag.decisions import choose_decision

    was = choose_decision(settings)
    try:
        c = calibrate(rows, fit_on, before=(was.model, was.threshold))
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_report(c, ident.name))
    out = args.out or store / "decisions" / f"{ident.file_stem}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = c.to_json(ident.to_json())
    doc["code_version"] = code_version()
    out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
