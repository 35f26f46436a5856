"""The public benchmark next to the checkout (``../shared/squad2-dev``) and the CI's ids in it.

The benchmark's text is not ours and never enters the repository: it is read
from ``<checkout>/../shared/squad2-dev`` where present (CI has it too), and
what the repository keeps of it is question ids only (`CI_IDS_FILE`, drawn by
`draw_ci_ids` with a seeded stratified sample, never picked by reading
answers). Callers skip with `MISSING` as the message where it is absent.

Example:
    >>> ci_ids()[:2]
    ['s00222', 's00354']
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from evals.questions import Question, load_questions, project_root

CI_IDS_FILE = Path(__file__).resolve().parent / "ci_squad_ids.txt"
CI_SAMPLE, CI_SEED = 24, 0
MISSING = ("../shared/squad2-dev is not next to this checkout: the SQuAD 2.0 dev questions "
           "are skipped (see evals/README.md)")


def squad_dir() -> Path:
    """Where the shared benchmark lives (it may be absent)."""
    return project_root().parent / "shared" / "squad2-dev"


def available() -> bool:
    d = squad_dir()
    return (d / "questions.jsonl").is_file() and (d / "corpus").is_dir()


CORPUS_NAME = "../shared/squad2-dev/corpus"  # how rows and floors name it (no machine path)


def load_squad(corpus: Path | None = None) -> list[Question]:
    """Every benchmark question, against `corpus` (default: its own ``corpus/``)."""
    d = squad_dir()
    if corpus is None:
        return load_questions([d / "questions.jsonl"], corpus=d / "corpus",
                              corpus_name=CORPUS_NAME)
    return load_questions([d / "questions.jsonl"], corpus=corpus)


def ci_ids() -> list[str]:
    """The committed ids of the CI's SQuAD questions (``#`` starts a comment)."""
    lines = CI_IDS_FILE.read_text(encoding="utf-8").splitlines()
    return [s for line in lines if (s := line.split("#", 1)[0].strip())]


def ci_questions(corpus: Path | None = None) -> list[Question]:
    """The CI's SQuAD questions, marked ``ci``; [] where the benchmark is absent."""
    if not available():
        return []
    wanted = set(ci_ids())
    return [dataclasses.replace(q, ci=True) for q in load_squad(corpus) if q.id in wanted]


def draw_ci_ids(n: int = CI_SAMPLE, seed: int = CI_SEED) -> list[str]:
    """Draw the CI ids afresh: a seeded sample stratified by article and answerability."""
    from evals.sampling import stratified_sample

    return [q.id for q in stratified_sample(load_squad(), n, seed)]


if __name__ == "__main__":  # python -m evals.shared_sets: rewrite the committed id list
    ids = draw_ci_ids()
    CI_IDS_FILE.write_text(
        f"# SQuAD 2.0 dev question ids of the CI slice (../shared/squad2-dev/questions.jsonl):\n"
        f"# a stratified sample by article and answerability, {CI_SAMPLE} questions, seed "
        f"{CI_SEED}; drawn by `python -m evals.shared_sets`, ids only.\n" + "\n".join(ids) + "\n",
        encoding="utf-8")
    print(f"{len(ids)} ids written to {CI_IDS_FILE.name}")
