"""Word documents (.docx): body paragraphs and tables in order (python-docx).

A DOCX is a zip archive, so before python-docx opens it we check that it is
one, that it holds ``word/document.xml``, and that it does not expand past a
limit (a zip bomb would otherwise fill the memory). Page headers and footers
of a DOCX live outside the body and are not read. A table becomes one block,
a row per line, cells joined by " | " (merged cells, which python-docx
repeats, once).

Example:
    >>> extract_docx(Path("memo.docx").read_bytes()).text   # doctest: +SKIP
    'Memo\\n\\nThe meeting moved to Tuesday.\\n\\nName | Role\\nAda | Chair'
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path  # noqa: F401  (used by the docstring example)

from index.errors import UnreadableFile
from index.types import ExtractedText

MAX_EXPANDED_BYTES = 200_000_000
MAX_RATIO = 200  # real DOCX XML compresses ~5-20x; a bomb 1000x and more


def check_archive(raw: bytes) -> None:
    """Raise `UnreadableFile` unless `raw` is a plausible, safely sized DOCX archive."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile:
        raise UnreadableFile("not a DOCX (not a zip archive); save it as .docx again") from None
    with archive:
        infos = archive.infolist()
        if "word/document.xml" not in {i.filename for i in infos}:
            raise UnreadableFile("not a DOCX (no word/document.xml inside)")
        expanded = sum(i.file_size for i in infos)
        packed = max(1, sum(i.compress_size for i in infos))
        if expanded > MAX_EXPANDED_BYTES or expanded / packed > MAX_RATIO:
            raise UnreadableFile(f"refused: expands to {expanded:,} bytes from {packed:,} "
                                 "(looks like a zip bomb)")


def extract_docx(raw: bytes) -> ExtractedText:
    """Paragraphs and tables of a DOCX body, or `UnreadableFile` saying why not."""
    check_archive(raw)
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(raw))
        blocks = []
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                rows = [" | ".join(_unique(c.text.strip() for c in row.cells)) for row in item.rows]
                table = "\n".join(r for r in rows if r.strip(" |"))
                if table:
                    blocks.append(table)
            elif item.text.strip():
                blocks.append(item.text.strip())
    except (KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise UnreadableFile(f"corrupt DOCX ({exc})") from None
    except Exception as exc:  # lxml raises its own XMLSyntaxError for broken XML
        if type(exc).__name__ == "XMLSyntaxError":
            raise UnreadableFile(f"corrupt DOCX (broken XML: {exc})") from None
        raise
    if not blocks:
        raise UnreadableFile("empty document (no text in the body)")
    text = "\n\n".join(blocks)
    return ExtractedText(text, ranges=((0, len(text)),), markup=False)


def _unique(cells):  # type: ignore[no-untyped-def]
    out: list[str] = []
    for cell in cells:
        if not out or out[-1] != cell:
            out.append(cell)
    return out
