"""Draw one PDF page as a PNG with a span of its text highlighted (pypdfium2).

The span is given in the page's text as `index.load_pdf` extracted it, so it
maps to PDFium's characters directly; PDFium merges the characters of the
span into one rectangle per line, which we paint translucent yellow.

Example:
    >>> png = render_highlight(Path("report.pdf"), page=2, start=10, end=80)  # doctest: +SKIP
    >>> png[:4]                                                              # doctest: +SKIP
    b'\\x89PNG'
"""

from __future__ import annotations

import io
from pathlib import Path

SCALE = 1.5  # 108 dpi: lines readable in the chat panel, a page ~120 KB
HIGHLIGHT = (255, 214, 0, 110)


def highlight_boxes(textpage, start: int, end: int) -> list[tuple[float, float, float, float]]:  # type: ignore[no-untyped-def]
    """(left, bottom, right, top) of each line of the text span, in PDF units."""
    import pypdfium2.raw as pdfium_c  # type: ignore[import-untyped]

    if end <= start:
        return []
    first = pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, start)
    last = pdfium_c.FPDFText_GetCharIndexFromTextIndex(textpage, end - 1)
    if first < 0 or last < first:
        return []
    count = textpage.count_rects(first, last - first + 1)
    return [textpage.get_rect(i) for i in range(count)]


def render_highlight(path: Path, page: int, start: int, end: int) -> bytes:
    """PNG bytes of 1-based `page` of the PDF at `path`, `start:end` of its text highlighted."""
    import pypdfium2 as pdfium  # type: ignore[import-untyped]
    from PIL import Image, ImageDraw

    pdf = pdfium.PdfDocument(str(path))
    try:
        pg = pdf[page - 1]
        textpage = pg.get_textpage()
        boxes = highlight_boxes(textpage, start, end)
        textpage.close()
        height = pg.get_height()
        image = pg.render(scale=SCALE).to_pil().convert("RGBA")
        pg.close()
    finally:
        pdf.close()
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for left, bottom, right, top in boxes:
        # PDF units start at the bottom left; pixels at the top left
        draw.rectangle([left * SCALE - 2, (height - top) * SCALE - 2,
                        right * SCALE + 2, (height - bottom) * SCALE + 2], fill=HIGHLIGHT)
    out = io.BytesIO()
    Image.alpha_composite(image, overlay).convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()
