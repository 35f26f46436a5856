"""``rag bench-history``: what a long conversation costs an answer.

A client may send a history of up to `MAX_HISTORY_TURNS` turns, each message up
to `HISTORY_MESSAGE_FACTOR` × `max_question_chars` characters. This benchmark
asks the same questions three ways, interleaved so drift in the machine's
speed hits all three alike:

- ``none``: no history;
- ``short``: one short earlier turn;
- ``longest``: the longest history the pipeline accepts.

A standalone question (no pronoun or ellipsis to resolve) should cost the same
with any history; a follow-up pays for one bounded rewrite, whatever the
history's length. It prints the median time of each and the ratios; a
benchmark, not a test: nothing here asserts a time.

Example::

    rag bench-history --repeat 3

Use a multiple of 3 rounds: the three ways take turns going first (see `_rotated`).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from typing import Any

# Questions about the seed article: standalone ones, and follow-ups whose pronoun the
# short turn's question names.
STANDALONE = ("In which city have the envoys been meeting?",
              "What could the proposed zone eventually turn into?")
FOLLOW_UP = (("Who are the envoys meeting in Amman?", "Where have they met?"),
             ("What is the United States proposing?", "What could it eventually turn into?"))


def longest_history(max_question_chars: int) -> list[tuple[str, str]]:
    """As many turns, each message as long, as `check_history` accepts."""
    from rag.guard import HISTORY_MESSAGE_FACTOR, MAX_HISTORY_TURNS

    size = max_question_chars * HISTORY_MESSAGE_FACTOR
    filler = "The talks went on with statements about the region and its future. " * 400
    return [((f"Earlier question {n}? " + filler)[:size], ("Earlier answer. " + filler)[:size])
            for n in range(MAX_HISTORY_TURNS)]


def _timed(pipeline: Any, question: str, history: Sequence[tuple[str, str]]) -> float:
    started = time.perf_counter()
    pipeline.answer(question, list(history))
    return time.perf_counter() - started


def _rotated(ways: list, n: int) -> list:
    """`ways` starting at the n-th: llama.cpp reuses the prompt it read last, so the
    second asking of the same question is cheaper; each way goes first in turn.

    >>> _rotated(["a", "b", "c"], 1)
    ['b', 'c', 'a']
    """
    k = n % len(ways)
    return ways[k:] + ways[:k]


def run(pipeline: Any, max_question_chars: int, repeat: int) -> dict[str, dict[str, float]]:
    """Median seconds per (kind of question, history) and the ratios to no history."""
    longest = longest_history(max_question_chars)
    times: dict[str, dict[str, list[float]]] = {"standalone": {}, "follow-up": {}}
    pipeline.answer(STANDALONE[0])  # warm: model loaded, prompt prefix read
    for n in range(repeat):
        for q in STANDALONE:
            ways = [("none", []), ("short", [("Who met?", "The envoys.")]), ("longest", longest)]
            for label, history in _rotated(ways, n):
                times["standalone"].setdefault(label, []).append(_timed(pipeline, q, history))
        for earlier, q in FOLLOW_UP:
            ways = [("none", []), ("short", [(earlier, "See the article.")]),
                    ("longest", [*longest[:-1], (earlier, "See the article.")])]
            for label, history in _rotated(ways, n):
                times["follow-up"].setdefault(label, []).append(_timed(pipeline, q, history))
    out: dict[str, dict[str, float]] = {}
    for kind, by_label in times.items():
        med = {label: statistics.median(v) for label, v in by_label.items()}
        out[kind] = {**med, "longest/none": med["longest"] / med["none"],
                     "longest/short": med["longest"] / med["short"]}
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="rag bench-history", description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=3, help="rounds over the questions (default 3)")
    args = p.parse_args(argv)
    from rag import Pipeline, Settings

    settings = Settings()
    pipeline = Pipeline.from_settings(settings, progress=False)
    result = run(pipeline, settings.max_question_chars, args.repeat)
    print(f"model {pipeline.model_name}; {args.repeat} rounds; median seconds per answer")
    print(f"{'question':<12} {'none':>7} {'short':>7} {'longest':>8} {'longest/none':>13} "
          f"{'longest/short':>14}")
    for kind, r in result.items():
        print(f"{kind:<12} {r['none']:>7.2f} {r['short']:>7.2f} {r['longest']:>8.2f} "
              f"{r['longest/none']:>13.2f} {r['longest/short']:>14.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
