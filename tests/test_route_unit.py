"""The question router (`rag.route`): its kinds on the labelled set, and a few contracts.

The accuracy test reads ``evals/sets/open/route.jsonl`` and the open sets (SQuAD-dev rows
only where ``../shared`` is present) and prints the accuracy of the part the rules were
tuned on (dev) and of the part they were not (heldout).
"""

from __future__ import annotations

from collections import Counter

import pytest

from evals.open_sets import route_rows
from rag.route import KINDS, is_open, route_question


def test_router_accuracy_on_the_labelled_set() -> None:
    rows = route_rows()
    assert len(rows) >= 200
    right = Counter()
    total = Counter()
    wrong = []
    for r in rows:
        got = route_question(r.question)
        total[r.split] += 1
        if got == r.label:
            right[r.split] += 1
        else:
            wrong.append((r.id, r.label, got, r.question))
    for split in sorted(total):
        print(f"router accuracy {split}: {right[split]}/{total[split]} = "
              f"{right[split] / total[split]:.3f}")
    overall = sum(right.values()) / sum(total.values())
    print(f"router accuracy overall: {overall:.3f} on {sum(total.values())} questions")
    for w in wrong:
        print("  wrong:", w)
    assert overall >= 0.90
    assert right["dev"] / total["dev"] >= 0.90


def test_every_label_is_a_kind() -> None:
    assert {r.label for r in route_rows()} <= set(KINDS)


@pytest.mark.parametrize("question, kind", [
    ("What is this article about?", "overview"),
    ("TL;DR", "overview"),
    ("What do the documents say about Brazil?", "topic"),
    ("Tell me about the kettle.", "topic"),
    ("Why did the talks stall?", "explanation"),
    ("How does the heating work?", "explanation"),
    ("How many envoys met?", "factoid"),
    ("List the conditions of the deal.", "list"),
    ("Compare Jordan and Israel.", "comparison"),
    ("What did Jordan reject?", "clause"),
    ("Who is the Russian envoy?", "factoid"),
    ("", "factoid"),
])
def test_kinds_of_plain_questions(question: str, kind: str) -> None:
    assert route_question(question) == kind


def test_only_factoid_goes_to_the_reader() -> None:
    assert [k for k in KINDS if not is_open(k)] == ["factoid"]
