"""A large real corpus without downloads: Debian's Python documentation
(``apt-get install python3-doc``, ~530 HTML pages), as plain text.

For the scale benchmark only: tags are stripped with the standard library's
HTML parser (script and style dropped; block elements become line
breaks). To reach a target size the pages are copied again, each copy
perturbed (every paragraph carries its copy number), so no two passages are
identical and nothing can come from an embedding cache.

Example:
    >>> make_corpus(Path("/tmp/pydocs-10k"), passages=10_000)   # doctest: +SKIP
    (271, 10043)
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

DOC_DIRS = (Path("/usr/share/doc/python3-doc/html"),)
CHARS_PER_PASSAGE = 195  # measured: 10,087 estimated at 160 gave 8,242 passages (short paragraphs)
_BLOCK = {"p", "div", "section", "li", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "dt", "dd",
          "tr", "br", "table", "ul", "ol", "dl", "blockquote"}
_SKIP = {"script", "style", "head"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:  # type: ignore[type-arg]
        if tag in _SKIP:  # tags that always close: a simple depth count is enough
            self._skipping += 1
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self._skipping:
            self._skipping -= 1
        elif tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable text of an HTML page: one paragraph per block.

    >>> html_to_text("<html><script>x()</script><p>Hello <b>you</b>.</p><p>Bye</p></html>")
    'Hello you.\\n\\nBye'
    """
    parser = _Text()
    parser.feed(html)
    text = "".join(parser.parts)
    # split on the block breaks, not a regex over whitespace runs: index pages have
    # runs of thousands of empty blocks, and backtracking over them is quadratic
    paragraphs = [re.sub(r"\s+", " ", p).strip() for p in text.split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)


def find_pages() -> list[Path]:
    for folder in DOC_DIRS:
        if folder.exists():
            pages = sorted(p for p in folder.rglob("*.html") if "_static" not in p.parts)
            if pages:
                return pages
    raise FileNotFoundError("The Python documentation is not installed: "
                            "sudo apt-get install python3-doc")


def make_corpus(out: Path, passages: int) -> tuple[int, int]:
    """Write about `passages` passages of plain text into `out`; (files, estimated passages)."""
    out.mkdir(parents=True, exist_ok=True)
    pages = [(p, html_to_text(p.read_text(encoding="utf-8", errors="replace")))
             for p in find_pages()]
    pages = [(p, t) for p, t in pages if len(t) > 200]
    if not pages:
        raise ValueError("no page of the Python documentation had readable text")
    files = est = copy = 0
    while est < passages:
        for page, text in pages:
            if est >= passages:
                break
            if copy:
                text = "\n\n".join(f"{para} (copy {copy})" for para in text.split("\n\n"))
            name = page.stem if not copy else f"{page.stem}-copy{copy}"
            (out / f"{files:05d}-{name}.txt").write_text(text + "\n", encoding="utf-8")
            files += 1
            est += max(1, len(text) // CHARS_PER_PASSAGE)
        copy += 1
    return files, est
