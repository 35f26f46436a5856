"""Real test documents, built on the spot (nothing downloaded).

PDFs come from fpdf2 (with a running header, a footer page number and a
scanned-like page-less variant), DOCX from python-docx, HTML by hand with
navigation, a cookie banner, scripts and a footer around the article.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

HEADER = "Kettle Handbook - Internal Edition"
PAGES = [
    ["The Model X kettle holds 1.7 litres of water and boils it in about three minutes.",
     "Its heating element is made of stainless steel and sits under a flat base plate."],
    ["The warranty covers manufacturing defects for two years from the date of purchase.",
     "The warranty excludes damage caused by limescale, by dropping the kettle, or by "
     "repairs made outside an authorised service centre."],
    ["To claim, write to the service centre in Leeds with the serial number and the receipt.",
     "Claims are answered within fourteen days, and a replacement kettle is sent by courier."],
]
ARTICLE = [
    "Harbour museum reopens after repairs",
    "The harbour museum in Portwell reopened on Saturday after eighteen months of repairs "
    "to its roof and its old steam crane.",
    "The restoration cost 2.4 million euros, most of it paid by the regional council.",
    "Visitors can now climb the crane tower, which gives a view over the whole bay.",
]
BOILERPLATE = ["COOKIEBANNER", "NAVLINK", "FOOTERTEXT", "SCRIPTSECRET", "SIDEBARAD"]
MEMO = [
    "Memo on the office move",
    "The office moves to 14 Mill Street on the first of March.",
    "Staff should pack their desks by Friday, and the movers arrive at eight in the morning.",
]
TABLE = [["Team", "New floor"], ["Accounts", "Second"], ["Design", "Third"]]


def make_pdf(path: Path, pages: list[list[str]] = PAGES, header: str = HEADER) -> Path:
    """A text PDF: a running header and "Page n" footer on every page, paragraphs between."""
    from fpdf import FPDF

    class _Pdf(FPDF):
        def header(self) -> None:
            if header:
                self.set_font("Helvetica", size=9)
                self.cell(0, 8, header, align="C")
                self.ln(12)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=9)
            self.cell(0, 10, f"Page {self.page_no()}", align="C")

    pdf = _Pdf()
    _write_pages(pdf, pages, gap=4)
    pdf.output(str(path))
    return path


def _write_pages(pdf, pages: list[list[str]], gap: float = 0) -> None:  # type: ignore[no-untyped-def]
    """Each inner list on a page of its own, a paragraph a text block, `gap` apart."""
    pdf.set_font("Helvetica", size=11)
    for paragraphs in pages:
        pdf.add_page()
        for para in paragraphs:
            pdf.multi_cell(0, 6, para)
            if gap:
                pdf.ln(gap)


def make_image_only_pdf(path: Path) -> Path:
    """A PDF whose page is a drawing with no text layer (what a scanner makes)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 100, 60, style="F")
    pdf.output(str(path))
    return path


def make_encrypted_pdf(path: Path) -> Path:
    """A PDF that needs a password to open."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_encryption(owner_password="owner", user_password="secret")
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "A secret text that nobody may index.")
    pdf.output(str(path))
    return path


def make_docx(path: Path, paragraphs: list[str] = MEMO, table: list[list[str]] = TABLE) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(paragraphs[0], level=1)
    for para in paragraphs[1:]:
        document.add_paragraph(para)
    grid = document.add_table(rows=len(table), cols=len(table[0]))
    for r, row in enumerate(table):
        for c, value in enumerate(row):
            grid.cell(r, c).text = value
    document.sections[0].footer.paragraphs[0].text = "FOOTERTEXT confidential"
    document.save(str(path))
    return path


def make_zip_bomb_docx(path: Path) -> Path:
    """A .docx whose document.xml expands from a few KB to hundreds of MB."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"<w:document>" + b" " * 300_000_000)
    return path


def html_page(paragraphs: list[str] = ARTICLE) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs[1:])
    return f"""<!DOCTYPE html><html><head><title>{paragraphs[0]} | Portwell News</title>
<script>var tracking = "SCRIPTSECRET";</script><style>body {{ color: #222 }}</style></head>
<body><nav><ul><li><a href="/">Home</a></li><li><a href="/news">News NAVLINK</a></li>
<li><a href="/sport">Sport</a></li></ul></nav>
<div class="cookie-banner" id="cookie-consent"><p>We use cookies to improve your experience.
COOKIEBANNER Accept all cookies to continue.</p><button>Accept</button></div>
<main><article><h1>{paragraphs[0]}</h1>{body}</article></main>
<aside class="sidebar"><p>SIDEBARAD Buy cheap flights now!</p></aside>
<footer><p>&copy; 2026 Portwell News. FOOTERTEXT All rights reserved.</p>
<a href="/privacy">Privacy</a></footer><script>console.log("SCRIPTSECRET")</script></body></html>"""


def make_html(path: Path, paragraphs: list[str] = ARTICLE) -> Path:
    path.write_text(html_page(paragraphs), encoding="utf-8")
    return path


def make_saved_page(folder: Path, name: str = "Saved") -> Path:
    """What a browser's "save page as" writes: Saved.html and a Saved_files/ folder."""
    page = make_html(folder / f"{name}.html")
    assets = folder / f"{name}_files"
    assets.mkdir()
    (assets / "analytics.js").write_text("var x = 1;", encoding="utf-8")
    (assets / "frame.html").write_text(html_page(["Ad frame", "SIDEBARAD " * 20]),
                                       encoding="utf-8")
    return page


def pdf_bytes(pages: list[list[str]] = PAGES) -> bytes:
    buf = io.BytesIO()
    from fpdf import FPDF

    pdf = FPDF()
    _write_pages(pdf, pages)
    pdf.output(buf)
    return buf.getvalue()
