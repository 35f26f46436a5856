"""HTML: the main content of a web page (trafilatura), without navigation,
cookie banners, scripts, comments, footers or hidden elements.

What a reader sees as text is text: trafilatura drops ``<script>``,
``<style>``, comments and attributes (event handlers), and elements hidden
when rendered are dropped here first (the ``hidden`` attribute,
``aria-hidden``, ``display: none`` and the like, ``<template>``). Code the page
*shows* (``&lt;script&gt;`` on a tutorial) comes out as the literal text
``<script>``, which the text says is not markup (`ExtractedText.markup`).

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

import re

from index.errors import UnreadableFile
from index.types import ExtractedText

# Inline styles that hide an element from a reader.
_HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)|font-size\s*:\s*0(?![.\d])"
    r"|opacity\s*:\s*0(?![.\d]*[1-9])", re.I)


def drop_hidden(tree) -> None:  # type: ignore[no-untyped-def]
    """Remove from an lxml HTML tree every element a browser does not show.

    >>> from lxml import html
    >>> tree = html.fromstring('<div><p>shown</p><p hidden>a</p><p style="display: none">b</p>'
    ...                        '<span aria-hidden="true">c</span><template>d</template></div>')
    >>> drop_hidden(tree); tree.text_content()
    'shown'
    """
    doomed = [el for el in tree.iter()
              if isinstance(el.tag, str) and (
                  el.tag.lower() == "template" or el.get("hidden") is not None
                  or (el.get("aria-hidden") or "").strip().lower() == "true"
                  or _HIDDEN_STYLE.search(el.get("style") or ""))]
    for el in doomed:
        if el.getparent() is not None:
            el.drop_tree()  # keeps the text that follows the element (its tail)


def extract_html(raw: bytes) -> ExtractedText:
    """The main text of an HTML page, or `UnreadableFile` saying why there is none."""
    import trafilatura
    from trafilatura.utils import load_html

    tree = load_html(raw)
    if tree is None:
        raise UnreadableFile("not an HTML page (it cannot be parsed)")
    drop_hidden(tree)
    text = trafilatura.extract(
        tree, include_comments=False, include_tables=True, include_images=False,
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
    return ExtractedText(out, ranges=((0, len(out)),), markup=False)
