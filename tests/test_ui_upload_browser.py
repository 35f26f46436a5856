"""In real Chromium: upload a PDF through the page, ask, click the citation,
see the PDF page as an image with the quote highlighted (packaged 0.5B)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag import Settings
from rag.pipeline import Pipeline
from tests import documents as docs
from tests.browser_support import (
    ARTIFACTS,
    ask,
    browser,
    new_page,
    screenshot,
    served,
    wait_answers,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_upload_a_pdf_ask_and_see_the_cited_page(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    docs.make_docx(corpus / "memo.docx")
    pdf = docs.make_pdf(tmp_path / "Kettle handbook.pdf")
    pipeline = Pipeline.from_settings(
        Settings(corpus_dir=corpus, store_dir=tmp_path / "store", model="qwen2.5-0.5b"),
        progress=False)
    with served(pipeline) as url, browser() as b:
        page = new_page(b, url, width=1360, height=1000)
        page.locator("#rag-upload-box").get_by_text("Add or remove documents").click()
        page.locator("#rag-upload input[type=file]").set_input_files(str(pdf))
        page.locator("#rag-upload-status").get_by_text("Indexed: uploads/Kettle handbook.pdf") \
            .wait_for(timeout=180_000)
        assert (corpus / "uploads" / "Kettle handbook.pdf").read_bytes() == pdf.read_bytes()
        ask(page, "How long does the warranty cover manufacturing defects?")
        answer = wait_answers(page, 1, timeout=600_000)
        assert answer.locator(".rag-marker").count() >= 1, answer.inner_text()
        answer.locator(".rag-marker").first.click()
        card = page.locator("#rag-cite-1-1")
        card.wait_for(timeout=20_000)
        assert "page 2" in card.locator("header").inner_text()
        image = card.locator("figure.rag-page img")
        image.wait_for(timeout=20_000)
        assert image.evaluate("img => img.complete && img.naturalWidth") > 500
        quote = card.locator("mark.rag-quote").inner_text()
        assert "two years" in " ".join(quote.split())
        assert pipeline.page_image("uploads/Kettle handbook.pdf", 2, 0, 0) is not None
        image.scroll_into_view_if_needed()
        shot = screenshot(page, "pdf-citation")
        docs_dir = Path(__file__).resolve().parent.parent / "docs"
        if docs_dir.is_dir():  # the README's picture of a PDF citation
            shutil.copy(shot, docs_dir / "screenshot-pdf.png")
    assert (ARTIFACTS / "pdf-citation.png").exists()
