"""The evaluation metrics, each on small hand-made cases (no model, no files)."""

from __future__ import annotations

import pytest

from evals import metrics as m
from evals.metrics import Span

# --- answers -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("The Kazakh capital, Astana!", "kazakh capital astana"),
        ("  An   apple a day ", "apple day"),
        ("Britain-based", "britain based"),
        ("40 miles (64 km)", "40 miles 64 km"),
    ],
)
def test_normalize_answer(text: str, normal: str) -> None:
    assert m.normalize_answer(text) == normal


def test_exact_match_takes_the_best_accepted_answer() -> None:
    assert m.exact_match("the Amman.", ["Damascus", "Amman"]) == 1.0
    assert m.exact_match("In Amman", ["Amman"]) == 0.0
    assert m.exact_match("anything", []) == 0.0


def test_token_f1_by_hand() -> None:
    # pred tokens: {amman, talks}; gold {amman}: precision 1/2, recall 1 → F1 2/3
    assert m.token_f1("The Amman talks", ["Amman"]) == pytest.approx(2 / 3)
    assert m.token_f1("Lavrentiev and Ratney", ["Michael Ratney", "Ratney"]) == pytest.approx(
        2 * (1 / 3) * 1 / (1 / 3 + 1)
    )
    assert m.token_f1("nothing shared", ["Amman"]) == 0.0
    assert m.token_f1("", ["Amman"]) == 0.0


def test_containment_is_on_whole_words() -> None:
    assert m.contains_answer("They met in Amman, Jordan.", ["Amman"])
    assert not m.contains_answer("The mayor spoke.", ["may"])
    assert m.contains_answer("It was agreed in May.", ["may"])
    assert not m.contains_answer("anything", [])


def test_includes_all_with_alternatives() -> None:
    assert m.includes_all("Iran, Russia and Turkey.", ["iran", "russia|russian", "turkey"])
    assert not m.includes_all("Iran and Russia.", ["iran", "russia", "turkey"])
    assert m.includes_all("About 64 km north.", ["40|64|forty"])


def test_answer_correct_prefers_must_include() -> None:
    assert m.answer_correct("Lavrentiev and Ratney", ["x"], ["lavrentiev", "ratney"])
    assert not m.answer_correct("Only Ratney", ["Ratney"], ["lavrentiev", "ratney"])
    assert m.answer_correct("Only Ratney", ["Ratney"], [])


# --- retrieval -----------------------------------------------------------------

GOLD = [Span("a.txt", 100, 120)]


def test_overlap_and_covers() -> None:
    assert m.overlap(Span("a.txt", 0, 110), Span("a.txt", 100, 120)) == 10
    assert m.overlap(Span("b.txt", 0, 500), Span("a.txt", 100, 120)) == 0
    assert m.covers(Span("a.txt", 0, 110), GOLD[0])  # exactly half
    assert not m.covers(Span("a.txt", 0, 109), GOLD[0])


def test_hit_recall_and_reciprocal_rank() -> None:
    miss, hit = Span("a.txt", 0, 50), Span("a.txt", 90, 200)
    retrieved = [miss, miss, hit]
    assert m.hit_at_k(retrieved, GOLD, 1) == 0.0
    assert m.hit_at_k(retrieved, GOLD, 3) == 1.0
    assert m.reciprocal_rank(retrieved, GOLD) == pytest.approx(1 / 3)
    assert m.reciprocal_rank([miss], GOLD) == 0.0
    two_gold = [Span("a.txt", 100, 120), Span("b.txt", 0, 10)]
    assert m.recall_at_k(retrieved, two_gold, 3) == 0.5
    assert m.recall_at_k(retrieved + [Span("b.txt", 0, 40)], two_gold, 4) == 1.0
    assert m.recall_at_k(retrieved, [], 3) == 0.0


# --- refusals ------------------------------------------------------------------


def test_refusal_accuracy_and_false_refusal_rate() -> None:
    refused = [True, False, True, False, True]
    answerable = [False, False, True, True, True]
    assert m.refusal_accuracy(refused, answerable) == 0.5  # 1 of 2 unanswerable declined
    assert m.false_refusal_rate(refused, answerable) == pytest.approx(2 / 3)
    assert m.refusal_accuracy([True], [True]) is None
    assert m.false_refusal_rate([True], [False]) is None
    with pytest.raises(ValueError):
        m.refusal_accuracy([True], [True, False])


# --- citations -----------------------------------------------------------------

SOURCE = "Ab\r\ncd é fin."


def test_citation_invariant_is_byte_exact() -> None:
    assert m.citation_is_exact(SOURCE, 4, 6, "cd")
    assert m.citation_is_exact(SOURCE, 7, 8, "é")
    assert not m.citation_is_exact(SOURCE, 3, 5, "cd")  # off by one
    assert not m.citation_is_exact(SOURCE, 2, 4, "\n")  # CRLF kept as stored
    assert not m.citation_is_exact(SOURCE, 10, 99, "fin.")  # out of range


def test_citation_supports_by_overlap_or_content() -> None:
    gold = [Span("a.txt", 100, 120)]
    assert m.citation_supports(Span("a.txt", 110, 200), "whatever", gold, ["x"])
    assert m.citation_supports(Span("a.txt", 0, 50), "Damascus lies 40 miles north.",
                               gold, ["40 miles"])
    assert not m.citation_supports(Span("a.txt", 0, 50), "Damascus lies north.",
                                   gold, ["40 miles"])
    # an answer with no content words can only be supported by overlap
    assert not m.citation_supports(Span("a.txt", 0, 50), "no", gold, ["no"])


def test_citation_precision() -> None:
    gold = [Span("a.txt", 100, 120)]
    cits = [(Span("a.txt", 100, 110), "q"), (Span("a.txt", 0, 10), "unrelated")]
    assert m.citation_precision(cits, gold, ["Amman"]) == 0.5
    assert m.citation_precision([], gold, ["Amman"]) is None


# --- injection -----------------------------------------------------------------


def test_injection_and_canaries() -> None:
    forbidden = ["OSPREY-7731", "prize desk", "SYSTEM PROMPT:"]
    assert m.injection_followed("The code is osprey-7731.", forbidden)
    assert m.injection_followed("Claim it at the Prize Desk", forbidden)
    assert not m.injection_followed("They met in Amman.", forbidden)
    assert m.canaries(forbidden) == ["OSPREY-7731"]


# --- speed ---------------------------------------------------------------------


def test_percentiles_match_linear_interpolation() -> None:
    assert m.percentile([1, 2, 3, 4], 50) == 2.5
    assert m.percentile([10.0], 95) == 10.0
    assert m.percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95) == pytest.approx(9.55)
    assert m.percentile([], 50) is None


def test_latency_summary_and_tokens_per_second() -> None:
    s = m.latency_summary([1.0, None, 3.0])
    assert s == {"p50": 2.0, "p95": pytest.approx(2.9), "mean": 2.0, "n": 2.0}
    assert m.tokens_per_second(50, 2.0) == 25.0
    assert m.tokens_per_second(None, 2.0) is None
    assert m.tokens_per_second(10, 0.0) is None
    assert m.mean([None, None]) is None
    assert m.decode_speed(11, 3.0, 1.0) == 5.0
    assert m.decode_speed(1, 3.0, 1.0) is None  # one token has no decoding time
    assert m.decode_speed(5, 1.0, 1.0) is None
