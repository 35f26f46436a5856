"""Question sets in an external benchmark's own format, chosen by stratified sample.

The unit tests build a tiny benchmark folder of their own (two articles, made-up
text) so they run anywhere; the last tests read the real ``../shared/squad2-dev``
and skip with a message where it is absent.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from evals import cli, shared_sets
from evals.questions import QuestionSetError, load_questions, project_root, read_source
from evals.sampling import allocate, only_articles, stratified_sample

ALPHA = "Alpha\n\nThe river Zed is 40 km long. It floods in May.\n\nThe river Zed is 40 km long."
BETA = "Beta\n\nOsprey Hall was built in 1901 by Ada Crane."


def _row(i: int, source: str, answerable: bool, evidence: str = "", answers=()) -> dict:  # type: ignore[no-untyped-def]
    return {"id": f"s{i:03d}", "category": "factual" if answerable else "unanswerable",
            "question": f"Question {i}?", "answers": list(answers), "evidence": evidence,
            "source": source, "squad_id": f"x{i}"}


@pytest.fixture
def bench(tmp_path: Path) -> Path:
    """A benchmark folder like ../shared/squad2-dev: corpus/ and questions.jsonl."""
    d = tmp_path / "minibench"
    (d / "corpus").mkdir(parents=True)
    (d / "corpus" / "Alpha.txt").write_text(ALPHA, encoding="utf-8")
    (d / "corpus" / "Beta.txt").write_text(BETA, encoding="utf-8")
    rows = []
    for i in range(30):
        source = "Alpha.txt" if i < 20 else "Beta.txt"
        if i % 3 == 0:
            rows.append(_row(i, source, False))
        elif source == "Alpha.txt":
            rows.append(_row(i, source, True, "The river Zed is 40 km long.", ["40 km"]))
        else:
            rows.append(_row(i, source, True, "Osprey Hall was built in 1901 by Ada Crane.",
                             ["1901"]))
    (d / "questions.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n",
                                       encoding="utf-8")
    return d


def test_external_rows_load_with_the_given_corpus(bench: Path) -> None:
    qs = load_questions([bench / "questions.jsonl"], corpus=bench / "corpus")
    assert len(qs) == 30 and {q.set_name for q in qs} == {"minibench"}
    q = qs[1]
    assert (q.type, q.answerable, q.article, q.answers) == ("factual", True, "Alpha.txt",
                                                            ("40 km",))
    # the evidence sentence occurs twice in Alpha: its first occurrence is taken
    assert q.evidence[0].start == ALPHA.index("The river Zed")
    assert read_source(q.corpus / "Alpha.txt")[q.evidence[0].start:q.evidence[0].end] == \
        q.evidence[0].quote
    u = qs[0]
    assert (u.type, u.answerable, u.evidence, u.article) == ("unanswerable", False, (),
                                                            "Alpha.txt")


def test_external_rows_fail_loudly_on_what_is_really_wrong(bench: Path, tmp_path: Path) -> None:
    with pytest.raises(QuestionSetError, match="--corpus"):
        load_questions([bench / "questions.jsonl"])
    bad = tmp_path / "bad.jsonl"
    for row, message in [
        ({**_row(1, "Alpha.txt", True, "Not in the text.", ["x"])}, "evidence not found"),
        ({**_row(1, "Gamma.txt", False)}, "not in"),
        ({**_row(1, "Alpha.txt", False), "category": "maybe"}, "category"),
        ({**_row(1, "Alpha.txt", False), "extra": 1}, "unknown field"),
        ({**_row(1, "Alpha.txt", True, "", ["x"])}, "needs answers and evidence"),
    ]:
        bad.write_text(json.dumps(row) + "\n", encoding="utf-8")
        with pytest.raises(QuestionSetError, match=message):
            load_questions([bad], corpus=bench / "corpus")


def test_our_own_sets_still_refuse_a_repeated_quote(bench: Path, tmp_path: Path) -> None:
    """Hand-written sets stay strict: a repeated quote there is a typo to fix."""
    own = tmp_path / "own.jsonl"
    own.write_text(json.dumps({
        "id": "o1", "type": "single_fact", "question": "How long is the Zed?",
        "answerable": True, "answers": ["40 km"],
        "evidence": [{"source": "Alpha.txt", "quote": "The river Zed is 40 km long."}],
    }) + "\n", encoding="utf-8")
    with pytest.raises(QuestionSetError, match="more than once"):
        load_questions([own], corpus=bench / "corpus")


def test_stratified_sample_keeps_each_article_and_kind_in_proportion(bench: Path) -> None:
    qs = load_questions([bench / "questions.jsonl"], corpus=bench / "corpus")
    whole = Counter((q.article, q.answerable) for q in qs)
    picked = stratified_sample(qs, 15, seed=3)
    got = Counter((q.article, q.answerable) for q in picked)
    assert len(picked) == 15
    for key, n in whole.items():  # half of each stratum, within one question
        assert abs(got[key] - n / 2) <= 1, key
    assert [q.id for q in picked] == [q.id for q in stratified_sample(qs, 15, seed=3)]
    assert [q.id for q in picked] != [q.id for q in stratified_sample(qs, 15, seed=4)]
    assert [q.id for q in picked] == sorted(q.id for q in picked)  # set order is kept
    assert len(stratified_sample(qs, 500, seed=0)) == 30
    with pytest.raises(ValueError):
        stratified_sample(qs, 0)


@pytest.mark.parametrize(("sizes", "n"), [({"a": 5, "b": 3, "c": 2}, 4), ({"a": 1, "b": 1}, 1),
                                          ({"a": 7, "b": 2, "c": 1}, 9)])
def test_allocation_sums_to_n_and_stays_proportional(sizes: dict[str, int], n: int) -> None:
    quota = allocate(sizes, n)
    total = sum(sizes.values())
    assert sum(quota.values()) == n
    for k, v in sizes.items():
        assert abs(quota[k] - n * v / total) < 1 and quota[k] <= v


def test_only_articles(bench: Path) -> None:
    qs = load_questions([bench / "questions.jsonl"], corpus=bench / "corpus")
    assert {q.article for q in only_articles(qs, ["Beta.txt"])} == {"Beta.txt"}
    assert len(only_articles(qs, ["Beta.txt"])) == 10


def _args(*argv: str):  # type: ignore[no-untyped-def]
    return cli.build_parser().parse_args(list(argv))


def test_cli_chooses_external_sets_by_article_and_sample(bench: Path) -> None:
    base = ["--set", str(bench / "questions.jsonl"), "--corpus", str(bench / "corpus")]
    assert len(cli.choose(_args(*base))) == 30
    picked = cli.choose(_args(*base, "--sample", "10", "--seed", "1"))
    assert len(picked) == 10 and {q.article for q in picked} == {"Alpha.txt", "Beta.txt"}
    only_beta = cli.choose(_args(*base, "--sources", "Beta.txt", "--sample", "4"))
    assert len(only_beta) == 4 and {q.article for q in only_beta} == {"Beta.txt"}
    with pytest.raises(QuestionSetError, match="Gamma.txt"):
        cli.choose(_args(*base, "--articles", "Gamma.txt"))


def test_cli_rejects_contradictory_options(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path) -> None:
    missing = tmp_path / "shared" / "squad2-dev" / "questions.jsonl"
    assert cli.main(["--set", str(missing), "--corpus", str(tmp_path)]) == 2
    assert "skipped" in capsys.readouterr().err  # says the shared benchmark is absent
    assert cli.main(["--sample", "0"]) == 2
    assert cli.main(["--baseline-sample", "5", "--no-baseline"]) == 2
    assert "error:" in capsys.readouterr().err


# --- the real benchmark next to the checkout --------------------------------------------

needs_shared = pytest.mark.skipif(not shared_sets.available(), reason=shared_sets.MISSING)


@needs_shared
def test_the_shared_benchmark_loads_whole() -> None:
    qs = shared_sets.load_squad()
    assert len(qs) == 4415 and sum(q.answerable for q in qs) == 2273
    assert len({q.article for q in qs}) == 12
    assert {q.corpus_name for q in qs} == {shared_sets.CORPUS_NAME}
    texts: dict[str, str] = {}
    for q in qs:
        for ev in q.evidence:
            text = texts.setdefault(ev.source, read_source(q.corpus / ev.source))
            assert text[ev.start:ev.end] == ev.quote, q.id


@needs_shared
def test_the_ci_ids_are_the_seeded_stratified_draw() -> None:
    """The committed ids are exactly what the seeded draw gives: not hand-picked."""
    ids = shared_sets.ci_ids()
    assert ids == shared_sets.draw_ci_ids()
    qs = shared_sets.ci_questions()
    assert len(qs) == len(ids) == shared_sets.CI_SAMPLE and all(q.ci for q in qs)
    assert 8 <= sum(not q.answerable for q in qs) <= 16
    assert len({q.article for q in qs}) == 12


def test_the_ci_id_file_holds_ids_only() -> None:
    for line in shared_sets.CI_IDS_FILE.read_text(encoding="utf-8").splitlines():
        assert line.startswith("#") or (line.startswith("s") and line[1:].isdigit()), line


@needs_shared
def test_the_issue_s_command_line_chooses_400_stratified_questions(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``rag eval --set ../shared/... --corpus ../shared/... --sample 400 --seed 0``,
    paths relative to the working folder (the checkout), chooses the same 400 each time."""
    monkeypatch.chdir(project_root())  # ../shared is next to the checkout
    argv = ["--set", "../shared/squad2-dev/questions.jsonl",
            "--corpus", "../shared/squad2-dev/corpus", "--sample", "400", "--seed", "0"]
    picked = cli.choose(_args(*argv))
    assert len(picked) == 400 and [q.id for q in picked] == [q.id for q in cli.choose(_args(*argv))]
    assert {q.corpus_name for q in picked} == {"../shared/squad2-dev/corpus"}
    whole = Counter((q.article, q.answerable) for q in shared_sets.load_squad())
    got = Counter((q.article, q.answerable) for q in picked)
    for key, n in whole.items():
        assert abs(got[key] - 400 * n / 4415) < 1, key


def test_a_run_on_an_external_set_reports_the_failure_split_by_article(bench: Path,
                                                                      tmp_path: Path) -> None:
    from evals.runner import CallableBuilder, run_eval
    from tests.fakes import NeverDeclines

    qs = load_questions([bench / "questions.jsonl"], corpus=bench / "corpus")
    doc = run_eval(qs, CallableBuilder(["ours"], lambda c, s: {"ours": NeverDeclines(c)}),
                   tmp_path / "run", progress=False, tag="fit")
    s = doc.pipelines["ours"]
    assert set(s.by_article) == {"Alpha.txt", "Beta.txt"}
    beta = s.by_article["Beta.txt"]
    assert (beta.n_unanswerable, beta.unanswerable_declined) == (3, 0)
    assert beta.failures.get("answered_unanswerable") == 3
    assert sum(s.failures.values()) == sum(b.n - b.right for b in s.by_article.values())
    report = (tmp_path / "run" / "report.md").read_text()
    assert "| Beta.txt | ours |" in report and "tag `fit`" in report
