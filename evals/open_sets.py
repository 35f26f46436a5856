"""The open-question sets (``evals/sets/open/``) and the documents they are asked of.

Each row of ``seed.jsonl``, ``bikeshare.jsonl``, ``amazon.jsonl`` (tuned on:
``split`` dev) and ``library.jsonl``, ``packet.jsonl`` (held out) is an open
question over one document (`corpus`): ``seed`` (the seed article),
``bikeshare_pdf`` (``evals/open_docs/bikeshare.txt`` written as a PDF at run
time), ``library_html`` (``evals/open_docs/library.html``) or
``squad:<file>`` (a SQuAD-dev article read from ``../shared``, never copied
into the repository). ``off_topic`` rows ask about a subject the document
does not hold: the right response is a decline.

``route.jsonl`` labels questions with their kind (`rag.route.Kind`) for the
router's test: rows of our other sets and of SQuAD-dev by id and label only,
and a few written here with their text; the open rows count with their
``kind``.

Example:
    >>> rows = load_open()
    >>> len(rows) >= 100, sum(r.off_topic for r in rows) >= 30
    (True, True)
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
OPEN_DIR = HERE / "sets" / "open"
DOCS_DIR = HERE / "open_docs"
OPEN_FILES = ("seed", "bikeshare", "amazon", "library", "packet")
PAGE_BREAK = "===PAGE==="


@dataclass(frozen=True)
class OpenRow:
    """One open question with the points a good answer makes."""

    id: str
    kind: str
    question: str
    corpus: str
    key_points: tuple[tuple[str, ...], ...] = ()
    min: int = 1
    split: str = "dev"
    off_topic: bool = False
    history: tuple[tuple[str, str], ...] = ()
    source: str = ""
    ci: bool = False  # in the CI slice (`evals.open_floors`)


def is_kind_row(raw: object) -> bool:
    """A row of an open or conversation set (``kind``), not a factoid row (``type``).

    >>> is_kind_row({"id": "a", "kind": "topic"}), is_kind_row({"id": "b", "type": "list"})
    (True, False)
    """
    return isinstance(raw, dict) and "kind" in raw and "type" not in raw


def _row(r: dict, where: str) -> OpenRow:
    try:
        return OpenRow(
            r["id"], r["kind"], r["question"], r.get("corpus", "seed"),
            tuple(tuple(alts) for alts in r.get("key_points", [])), int(r.get("min", 1)),
            r.get("split", "dev"), bool(r.get("off_topic", False)),
            tuple((u, a) for u, a in r.get("history", [])), r.get("source", ""),
            bool(r.get("ci", False)))
    except KeyError as exc:
        raise ValueError(f"{where}: missing field {exc}") from exc


def load_open(names: tuple[str, ...] = OPEN_FILES) -> list[OpenRow]:
    """The rows of ``evals/sets/open/<name>.jsonl`` for each name, in order."""
    return load_kind_rows([OPEN_DIR / f"{name}.jsonl" for name in names])


def load_kind_rows(paths: Sequence[Path]) -> list[OpenRow]:
    """Every row with a ``kind`` (open questions, conversations) of the JSONL files `paths`,
    in order; factoid rows (``type``) are left to `evals.questions`."""
    out = []
    for path in paths:
        for n, line in enumerate(Path(path).read_text("utf-8").splitlines(), 1):
            if line.strip():
                r = json.loads(line)
                if is_kind_row(r):
                    out.append(_row(r, f"{Path(path).name}:{n}"))
    return out


def kind_set_files() -> list[Path]:
    """The files `rag eval` reads open and conversation rows from: ``evals/sets/*.jsonl``
    (rows with a ``kind``) and every open set."""
    return sorted((HERE / "sets").glob("*.jsonl")) + [OPEN_DIR / f"{n}.jsonl" for n in OPEN_FILES]


def shared_dir() -> Path | None:
    """Where ``squad2-dev`` lives: ``../shared`` next to the checkout, or ``$SHARED_DIR``."""
    for base in (HERE.parent.parent / "shared", Path(os.environ.get("SHARED_DIR", "/nonexistent"))):
        if (base / "squad2-dev" / "questions.jsonl").is_file():
            return base / "squad2-dev"
    return None


@dataclass(frozen=True)
class RouteRow:
    id: str
    question: str
    label: str
    split: str
    source: str


def route_rows() -> list[RouteRow]:
    """Every labelled question whose text is at hand (SQuAD rows only where it is present)."""
    texts: dict[str, str] = {}
    for path in sorted((HERE / "sets").glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                texts[r["id"]] = r["question"]
    squad = shared_dir()
    if squad is not None:
        for line in (squad / "questions.jsonl").read_text("utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                texts[r["id"]] = r["question"]
    out = [RouteRow(r.id, r.question, r.kind, r.split, "open") for r in load_open()]
    for line in (OPEN_DIR / "route.jsonl").read_text("utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        text = r.get("question") or texts.get(r["id"])
        if text:
            out.append(RouteRow(r["id"], text, r["label"], r["split"], r["source"]))
    return out


def build_corpus(name: str, folder: Path) -> Path:
    """Write the document(s) of corpus `name` into `folder` (created); return `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    if name == "seed":
        seed = HERE.parent / "seeds" / "000_45462b0256a40011.txt"
        shutil.copy(seed, folder / seed.name)
    elif name == "bikeshare_pdf":
        write_pdf(DOCS_DIR / "bikeshare.txt", folder / "bikeshare_report.pdf")
    elif name == "library_html":
        shutil.copy(DOCS_DIR / "library.html", folder / "library.html")
    elif (HERE.parent / name).is_dir():  # a folder of the project ("seeds"), as factoid rows
        shutil.copytree(HERE.parent / name, folder, dirs_exist_ok=True)
    elif name.startswith("squad:"):
        squad = shared_dir()
        if squad is None:
            raise FileNotFoundError("squad2-dev is not next to the checkout (or $SHARED_DIR)")
        shutil.copy(squad / "corpus" / name.split(":", 1)[1], folder)
    else:
        raise ValueError(f"unknown open corpus {name!r}")
    return folder


def write_pdf(text_file: Path, out: Path) -> Path:
    """A text PDF of `text_file`: paragraphs split on blank lines, pages on ``===PAGE===``."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for page in text_file.read_text("utf-8").split(PAGE_BREAK):
        pdf.add_page()
        for para in (p.strip() for p in page.split("\n\n")):
            if para:
                pdf.multi_cell(0, 6, " ".join(para.split()))
                pdf.ln(4)
    pdf.output(str(out))
    return out
