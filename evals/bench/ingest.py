"""How fast text is extracted, by format: PDF pages/s, HTML/DOCX/text files/s.

Extraction only (no embedding, no store), in this process, each file read
from disk once per run; the best of `repeat` runs is reported (the least
disturbed by other load). `rag bench-ingest FOLDER [--repeat N]` (`main`) prints it.

Example:
    >>> print(bench_ingest(Path("papers")))   # doctest: +SKIP
    pdf   12 files  480 pages  0.61 s   787 pages/s  (19.7 files/s)
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

from index.errors import CorpusError, UnreadableFile
from index.extract import DOCX_SUFFIXES, HTML_SUFFIXES, PDF_SUFFIXES, extract_file
from index.load import iter_candidate_files


def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    for kind, suffixes in (("pdf", PDF_SUFFIXES), ("html", HTML_SUFFIXES),
                           ("docx", DOCX_SUFFIXES)):
        if suffix in suffixes:
            return kind
    return "text"


def measure(folder: Path) -> dict[str, dict[str, float]]:
    """One run: per kind, files, PDF pages, seconds and files skipped."""
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for path in iter_candidate_files(folder):
        row = out[_kind(path)]
        started = time.perf_counter()
        try:
            extracted = extract_file(path)
        except UnreadableFile:
            row["skipped"] += 1
            continue
        row["seconds"] += time.perf_counter() - started
        row["files"] += 1
        row["pages"] += len(extracted.pages)
    return out


def bench_ingest(folder: Path, repeat: int = 3) -> str:
    """A small table of extraction speed per format (best of `repeat` runs)."""
    if not folder.is_dir():
        raise CorpusError(f"{folder} is not a folder of documents.")
    runs = [measure(folder) for _ in range(max(1, repeat))]
    lines = []
    for kind in sorted({k for run in runs for k in run}):
        best = min((run[kind] for run in runs if kind in run), key=lambda r: r["seconds"])
        secs = max(best["seconds"], 1e-9)
        line = f"{kind:5s} {int(best['files']):4d} files"
        if kind == "pdf":
            line += f" {int(best['pages']):5d} pages  {secs:6.2f} s  {best['pages'] / secs:7.0f} pages/s"
        else:
            line += f"              {secs:6.2f} s"
        line += f"  ({best['files'] / secs:.1f} files/s)"
        if best["skipped"]:
            line += f"  {int(best['skipped'])} skipped"
        lines.append(line)
    return "\n".join(lines) or "no supported files"


def main(argv: Sequence[str] | None = None) -> int:
    """``rag bench-ingest FOLDER [--repeat N]``: print the table for FOLDER."""
    from rag.settings import Settings

    p = argparse.ArgumentParser(prog="rag bench-ingest",
                                description="measure text extraction: PDF pages/s, HTML and "
                                "DOCX files/s")
    p.add_argument("folder", help="a folder of documents to extract (nothing is indexed)")
    p.add_argument("--repeat", type=int, default=3, help="runs; the best is reported")
    args = p.parse_args(list(argv) if argv is not None else None)
    print(bench_ingest(Settings(corpus_dir=args.folder).resolved().corpus_dir,
                       repeat=args.repeat))
    return 0
