"""Run question sets through one or more pipelines and write a run folder.

A run folder (``runs/<timestamp>/``) holds `settings.json`, `rows.jsonl` (one
scored `EvalRow` per question per pipeline, appended and flushed as each
finishes, so Ctrl-C keeps what is done), `summary.json` and the report. A run
can be resumed: rows already in `rows.jsonl` are kept and their
question × pipeline pairs are not asked again. A pipeline can be given a subset
of the questions (the slow baseline on a sub-sample); the summary then also
sets every pipeline side by side on that subset. Questions are
grouped by corpus; for each corpus the pipelines are built once and each runs
its questions in a row. Why not interleave the pipelines question by question:
they share one llama.cpp model, whose prompt-prefix cache would then be
thrashed, and we would be timing the cache rather than the pipelines.

Example:
    >>> from tests.fakes import FakePipeline                         # doctest: +SKIP
    >>> builder = CallableBuilder(["ours"], lambda c, s: {"ours": FakePipeline(c)})
    >>> qs = load_questions(default_set_files())                     # doctest: +SKIP
    >>> doc = run_eval(qs, builder, Path("runs/x"))                  # doctest: +SKIP
    >>> doc.pipelines["ours"].accuracy                               # doctest: +SKIP
"""

from __future__ import annotations

import gc
import json
import logging
import platform
import resource
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from tqdm import tqdm

from evals.questions import Question
from evals.rows import EvalRow
from evals.scoring import SourceCache, score_answer
from evals.summary import RunSummary, summarize

log = logging.getLogger(__name__)


class Builder(Protocol):
    """Builds the named pipelines for one corpus, once per corpus."""

    names: list[str]
    info: dict[str, Any]  # setup timings per corpus, for the report

    def build(self, corpus: Path, store_root: Path) -> dict[str, Any]: ...


@dataclass
class CallableBuilder:
    """A `Builder` from a function ``make(corpus, store_root) -> {name: pipeline}`` (tests)."""

    names: list[str]
    make: Callable[[Path, Path], dict[str, Any]]
    info: dict[str, Any] = field(default_factory=dict)

    def build(self, corpus: Path, store_root: Path) -> dict[str, Any]:
        return self.make(corpus, store_root)


@dataclass
class RealBuilder:
    """Our `rag.Pipeline` and, optionally, the tutorial baseline sharing its model.

    Settings come from the usual sources (``rag.yaml``, ``RAG_*``); the corpus,
    the store (inside the run folder, so a run never touches the user's index)
    and temperature 0 are set here.
    """

    model: str | None = None
    baseline: bool = True
    overrides: dict[str, Any] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return ["ours", "baseline"] if self.baseline else ["ours"]

    def build(self, corpus: Path, store_root: Path) -> dict[str, Any]:
        from evals.baseline import BaselinePipeline
        from rag import Pipeline, Settings

        values: dict[str, Any] = {"temperature": 0.0, **self.overrides}
        if self.model:
            values["model"] = self.model
        settings = Settings(corpus_dir=corpus, store_dir=store_root / "ours", **values)
        info = self.info.setdefault(corpus.name, {})
        t = time.perf_counter()
        ours = Pipeline.from_settings(settings, progress=False)
        info["ours_setup_s"] = round(time.perf_counter() - t, 3)  # embedder + index
        t = time.perf_counter()
        chat = ours.chat_model  # load now: cold start is not charged to the first answer
        info["model_load_s"] = round(time.perf_counter() - t, 3)
        pipes: dict[str, Any] = {"ours": ours}
        if self.baseline:
            b = BaselinePipeline(chat, ours.corpus.embeddings, corpus, store_root / "baseline")
            info["baseline_index_s"] = round(b.index()["seconds"], 3)
            pipes["baseline"] = b
        return pipes


def new_run_dir(out_root: Path) -> Path:
    """A fresh ``<out_root>/<YYYYmmdd-HHMMSS>`` folder (suffixed if taken)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = Path(out_root) / stamp
    n = 1
    while path.exists():
        n += 1
        path = Path(out_root) / f"{stamp}-{n}"
    path.mkdir(parents=True)
    return path


def ask(pipeline: Any, q: Question) -> tuple[Any, str, dict[str, float]]:
    """Stream one answer; return ``(answer | None, error, wall timings)``.

    A pipeline that raises gets an error row rather than ending the run: one
    broken question must not hide the results of the other hundred.
    """
    started = time.perf_counter()
    first: float | None = None
    final = None
    try:
        for item in pipeline.stream_answer(q.question, q.history):
            if isinstance(item, str):
                if first is None and item.strip():
                    first = time.perf_counter() - started
            else:
                final = item
    except Exception as exc:  # recorded in the row and counted in the summary
        log.warning("%s raised on %s: %s", type(pipeline).__name__, q.id, exc)
        return None, f"{type(exc).__name__}: {exc}", {}
    total = time.perf_counter() - started
    wall = {"wall_total": round(total, 4),
            "wall_first_token": round(first if first is not None else total, 4)}
    if final is None:
        return None, "the pipeline yielded no final Answer", wall
    return final, "", wall


def run_eval(questions: Sequence[Question], builder: Builder, run_dir: Path,
             progress: bool = True, meta: dict[str, Any] | None = None,
             only: Mapping[str, Collection[str]] | None = None, resume: bool = False,
             tag: str = "") -> RunSummary:
    """Answer every question with every pipeline; write rows, summary and report.

    Args:
        only: pipeline name → the question ids it answers (a pipeline not named
            answers all), e.g. the baseline on a sub-sample.
        resume: keep the rows already in ``run_dir/rows.jsonl`` and skip their
            question × pipeline pairs (a folder without rows starts afresh).
        tag: a name for this run's split of the questions (e.g. ``fit``), kept in
            every row and in the summary.

    Returns the summary (also written to ``summary.json``). Ctrl-C stops the
    run early: the finished rows are kept, summarised and reported, and the
    summary says ``interrupted``.
    """
    from evals.report import write_report

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    rows: list[EvalRow] = []
    if resume and (run_dir / "rows.jsonl").is_file():
        rows = load_rows(run_dir)
        # written back whole, so a line cut by a kill cannot glue onto the next row
        _write_rows(run_dir / "rows.jsonl", rows)
    done = {r.key for r in rows}
    only = {k: set(v) for k, v in (only or {}).items()}
    sources = SourceCache()
    started = datetime.now()
    interrupted = False
    groups: dict[Path, list[Question]] = {}
    for q in questions:
        groups.setdefault(q.corpus, []).append(q)

    def todo(name: str, qs: Sequence[Question]) -> list[Question]:
        return [q for q in qs if (q.id, name) not in done
                and (name not in only or q.id in only[name])]

    total = sum(len(todo(n, qs)) for qs in groups.values() for n in builder.names)
    bar = tqdm(total=total, disable=not progress, unit="answer", desc="eval")
    try:
        with open(run_dir / "rows.jsonl", "a", encoding="utf-8") as out:
            for i, (corpus, qs) in enumerate(groups.items()):
                if not any(todo(n, qs) for n in builder.names):
                    continue  # resumed: this corpus is done, do not even build its pipelines
                pipes = builder.build(corpus, run_dir / "stores" / f"{i}-{corpus.name}")
                for name in builder.names:
                    bar.set_description(f"{name} · {corpus.name}")
                    for q in todo(name, qs):
                        answer, error, wall = ask(pipes[name], q)
                        row = score_answer(q, answer, name, sources, error, tag=tag)
                        row = row.model_copy(update={"timings": {**row.timings, **wall}})
                        rows.append(row)
                        out.write(json.dumps(row.to_dict(), ensure_ascii=False) + "\n")
                        out.flush()
                        bar.update(1)
                del pipes
                gc.collect()  # free the model before the next corpus loads its own
    except KeyboardInterrupt:
        interrupted = True
        log.warning("interrupted: keeping %d finished rows", len(rows))
    finally:
        bar.close()
    subset = set().union(*only.values()) if only else set()
    threshold = (meta or {}).get("decline_threshold")
    doc = RunSummary(**{
        **(meta or {}),
        **({"tag": tag} if tag else {}),
        "run": run_dir.name,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now().isoformat(timespec="seconds"),
        "interrupted": interrupted,
        "questions": len(questions),
        "rows": len(rows),
        "setup": builder.info,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "machine": {"python": platform.python_version(), "cpus": _cpus()},
        "pipelines": summarize(rows, threshold),
        "on_baseline_sample": (summarize([r for r in rows if r.id in subset], threshold)
                               if subset else {}),
    })
    (run_dir / "summary.json").write_text(json.dumps(doc.to_dict(), indent=2) + "\n",
                                          encoding="utf-8")
    write_report(run_dir, rows, doc)
    return doc


def _write_rows(path: Path, rows: Sequence[EvalRow]) -> None:
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        for r in rows:
            fh.write(json.dumps(r.to_dict(), ensure_ascii=False) + "\n")
    tmp.replace(path)


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def load_rows(run_dir: Path) -> list[EvalRow]:
    """The rows of an earlier run (a half-written last line, from a kill, is skipped)."""
    rows = []
    with open(Path(run_dir) / "rows.jsonl", encoding="utf-8") as fh:
        for line in fh:
            try:
                rows.append(EvalRow.from_dict(json.loads(line)))
            except json.JSONDecodeError:
                log.warning("skipping a truncated row in %s", run_dir)
    return rows
