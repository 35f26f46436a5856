"""Follow-ups in conversations (issue 16 part 4): the rewrite, and the answer beside
the same question asked standalone.

    python -m evals.conversations                         # every row, both measures
    python -m evals.conversations --split dev --limit 5   # the first 5 rows per document
    python -m evals.conversations --modes code,model,free --no-answers

Rows are ``evals/sets/conversations/conversations.jsonl`` (a folder of its own:
``rag eval`` reads ``evals/sets/*.jsonl`` as factoid sets): a ``history`` of one or two turns, the
follow-up ``question``, its ``standalone`` equivalent, ``referent`` (alternatives, one
of which a good rewrite contains) and ``key_points`` (as the open sets: lists of
alternatives, ``min`` matched). The split is by document: the seed article, the bike
share report and a SQuAD-dev article are dev; the library page and another SQuAD-dev
article are held out (the SQuAD text is read from ``../shared``, never stored here).

Two measures:

- **rewrite**: the share of follow-ups whose rewritten question contains the referent,
  per way of rewriting (`MODES`): ``code`` (`rag.rewrite.fill`, no model), ``model``
  (the model over the bounded context, its reply used only when `acceptable`, else
  the code fill) and ``free`` (the model's free text, as before issue 16).
- **answers**: the share answered with the key points, follow-up vs the standalone
  question, through the real pipeline; the goal is follow-up/standalone ≥ 0.90.

Example:
    >>> referent_hit("Where have the envoys met?", ["envoys", "ratney"])
    True
    >>> ratio(0.45, 0.5)
    0.9
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.open_metrics import fold, key_points_hit

SET = Path(__file__).parent / "sets" / "conversations" / "conversations.jsonl"
MODES = ("code", "model", "free")


@dataclass(frozen=True)
class Conversation:
    id: str
    split: str
    corpus: str
    history: tuple[tuple[str, str], ...]
    question: str
    standalone: str
    referent: tuple[str, ...]
    key_points: tuple[tuple[str, ...], ...]
    min: int = 1


def load(path: Path = SET) -> list[Conversation]:
    """The conversation rows of `path`."""
    rows = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        rows.append(Conversation(
            r["id"], r["split"], r["corpus"], tuple((u, a) for u, a in r["history"]),
            r["question"], r["standalone"], tuple(r["referent"]),
            tuple(tuple(p) for p in r["key_points"]), r.get("min", 1)))
    return rows


def referent_hit(rewritten: str, referent: Sequence[str]) -> bool:
    """The rewritten question names the referent (one alternative, whole words, folded)."""
    folded = f" {fold(rewritten)} "
    return any(f" {fold(r)} " in folded for r in referent if fold(r))


def ratio(follow: float, standalone: float) -> float:
    """Follow-up rate over standalone rate (1.0 when both are 0)."""
    return round(follow / standalone, 3) if standalone else 1.0


Rewriter = Callable[[Conversation], str]


def rewriters(model: Any, system: str) -> dict[str, Rewriter]:
    """One rewriter per mode, over `model` (a LangChain chat model) behind `system`."""
    from rag import prompts, rewrite

    def code(c: Conversation) -> str:
        return rewrite.standalone(None, c.question, c.history, system)

    def with_model(c: Conversation) -> str:
        return rewrite.standalone(model, c.question, c.history, system, model_first=True)

    def free(c: Conversation) -> str:
        ctx = rewrite.context_of(c.history)
        reply = model.invoke(prompts.rewrite_messages(c.question, ctx.last_question, ctx.lead,
                                                      ctx.earlier, system),
                             max_tokens=rewrite.REWRITE_TOKENS)
        return rewrite.clean_rewrite(str(reply.content), c.question, ctx.last_question)

    return {"code": code, "model": with_model, "free": free}


def score_rewrites(rows: Sequence[Conversation], rewrite_with: dict[str, Rewriter],
                   out: list[dict] | None = None) -> dict[str, dict[str, float]]:
    """Per mode and split: the share of rewrites that contain the referent, and the
    median seconds per rewrite."""
    result: dict[str, dict[str, float]] = {}
    for mode, fn in rewrite_with.items():
        hits: dict[str, list[bool]] = {}
        secs: list[float] = []
        for c in rows:
            t = time.perf_counter()
            text = fn(c)
            secs.append(time.perf_counter() - t)
            hit = referent_hit(text, c.referent)
            hits.setdefault(c.split, []).append(hit)
            hits.setdefault("all", []).append(hit)
            if out is not None:
                out.append({"id": c.id, "mode": mode, "rewritten": text, "hit": hit})
        secs.sort()
        result[mode] = {k: round(sum(v) / len(v), 3) for k, v in hits.items()}
        result[mode]["median_s"] = round(secs[len(secs) // 2], 3) if secs else 0.0
    return result


def score_answers(rows: Sequence[Conversation], answer: Callable[[str, list], Any],
                  out: list[dict] | None = None) -> dict[str, dict[str, float]]:
    """Per split: answered with the key points, follow-up vs standalone, and their ratio.
    `answer(question, history)` returns an `Answer`."""
    per: dict[str, dict[str, list[bool]]] = {}
    for c in rows:
        follow = answer(c.question, [list(t) for t in c.history])
        alone = answer(c.standalone, [])
        got = [(not a.refused) and key_points_hit(c.key_points, a.text) >= c.min
               for a in (follow, alone)]
        for split in (c.split, "all"):
            d = per.setdefault(split, {"follow_up": [], "standalone": []})
            d["follow_up"].append(got[0])
            d["standalone"].append(got[1])
        if out is not None:
            out.append({"id": c.id, "rewritten": follow.rewritten_question,
                        "follow_up": follow.text, "standalone": alone.text,
                        "follow_up_right": got[0], "standalone_right": got[1]})
    result = {}
    for split, d in per.items():
        f, s = (sum(d[k]) / len(d[k]) for k in ("follow_up", "standalone"))
        result[split] = {"rows": len(d["follow_up"]), "follow_up": round(f, 3),
                         "standalone": round(s, 3), "ratio": ratio(f, s)}
    return result


def run(rows: Sequence[Conversation], run_dir: Path, modes: Sequence[str],
        answers: bool, model: str | None = None) -> dict:
    """Both measures on the real pipeline, document by document; writes rows.jsonl and
    summary.json into `run_dir` and returns the summary."""
    from evals.open_sets import build_corpus
    from rag import Settings, reader
    from rag.pipeline import Pipeline

    run_dir.mkdir(parents=True, exist_ok=True)
    detail: list[dict] = []
    answer_rows: list[dict] = []
    progress = open(run_dir / "rows.jsonl", "w", encoding="utf-8")  # noqa: SIM115
    for corpus in dict.fromkeys(r.corpus for r in rows):
        chosen = [r for r in rows if r.corpus == corpus]
        folder = build_corpus(corpus, run_dir / "corpora" / corpus.replace(":", "_"))
        extra = {"model": model} if model else {}
        settings = Settings(corpus_dir=folder, store_dir=folder.parent / f"{folder.name}.store",
                            temperature=0.0, **extra)
        pipeline = Pipeline.from_settings(settings, progress=False)
        if modes:
            pipeline.warm_up()
            system = reader.system_for(pipeline.corpus.full_context)
            fns = {m: f for m, f in rewriters(pipeline.chat_model, system).items() if m in modes}
            part: list[dict] = []
            score_rewrites(chosen, fns, part)
            detail += part
            progress.writelines(json.dumps(d, ensure_ascii=False) + "\n" for d in part)
            progress.flush()
        if answers:
            before = len(answer_rows)
            score_answers(chosen, pipeline.answer, answer_rows)
            progress.writelines(json.dumps({"answer": True, **a}, ensure_ascii=False) + "\n"
                                for a in answer_rows[before:])
            progress.flush()
        pipeline.close()
    progress.close()
    by_id = {r.id: r for r in rows}
    summary: dict[str, Any] = {"rewrite": {}, "answers": {}}
    for mode in modes:
        mine = [d for d in detail if d["mode"] == mode]
        for split in ("dev", "heldout", "all"):
            hits = [d["hit"] for d in mine if split == "all" or by_id[d["id"]].split == split]
            if hits:
                summary["rewrite"].setdefault(mode, {})[split] = round(sum(hits) / len(hits), 3)
    if answers:
        for split in ("dev", "heldout", "all"):
            part_rows = [a for a in answer_rows if split == "all" or by_id[a["id"]].split == split]
            if part_rows:
                f = sum(a["follow_up_right"] for a in part_rows) / len(part_rows)
                s = sum(a["standalone_right"] for a in part_rows) / len(part_rows)
                summary["answers"][split] = {"rows": len(part_rows), "follow_up": round(f, 3),
                                             "standalone": round(s, 3), "ratio": ratio(f, s)}
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.conversations", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", choices=["dev", "heldout"])
    parser.add_argument("--limit", type=int, default=0, help="the first N rows per document")
    parser.add_argument("--corpus", action="append", help="only these documents (repeatable)")
    parser.add_argument("--modes", default="code,model,free",
                        help="rewrite modes to score, comma-separated ('' for none)")
    parser.add_argument("--no-answers", action="store_true", help="score the rewrites only")
    parser.add_argument("--model", default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    rows = [r for r in load() if (not args.split or r.split == args.split)
            and (not args.corpus or r.corpus in args.corpus)]
    if args.limit:
        rows = [r for corpus in dict.fromkeys(r.corpus for r in rows)
                for r in [x for x in rows if x.corpus == corpus][: args.limit]]
    modes = [m for m in args.modes.split(",") if m]
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown mode(s) {sorted(unknown)}; choose from {MODES}")
    out = args.out or Path("runs") / time.strftime("conversations-%Y%m%d-%H%M%S")
    summary = run(rows, out, modes, not args.no_answers, args.model)
    print(json.dumps(summary, indent=2))
    print(f"\nrows and summary in {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
