"""HTML: the main content of a web page (trafilatura), without navigation,
cookie banners, scripts, comments or footers.

trafilatura's text mode gives one paragraph per line; we join paragraphs with
a blank line (the splitter's paragraph break, so a heading never runs into
the sentence after it) and keep a table's rows together.

Example:
    >>> page = b"<html><body><nav>Home | Shop</nav><article><h1>Kettle</h1>" \\
    ...        b"<p>The warranty covers manufacturing defects for two years from the date " \\
    ...        b"of purchase, so keep the receipt somewhere safe.</p></article></body></html>"
    >>> extract_html(page).text  # doctest: +SKIP
    'Kettle\\n\\nThe warranty covers ...'
"""

from __future__ import annotations

from index.errors import UnreadableFile
from index.types import ExtractedText


def extract_html(raw: bytes) -> ExtractedText:
    """The main text of an HTML page, or `UnreadableFile` saying why there is none."""
    import trafilatura

    text = trafilatura.extract(
        raw, include_comments=False, include_tables=True, include_images=False,
        include_links=False, output_format="txt",
    )
    paragraphs = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not paragraphs:
        raise UnreadableFile("no readable main text (the page is empty, all script or "
                             "only navigation)")
    out = paragraphs[0]
    for prev, line in zip(paragraphs, paragraphs[1:], strict=False):
        in_table = prev.startswith("|") and line.startswith("|")
        out += ("\n" if in_table else "\n\n") + line
    # Everything trafilatura kept is content: its boilerplate removal replaces index.clean.
    return ExtractedText(out, ranges=((0, len(out)),))
