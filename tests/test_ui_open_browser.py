"""In real Chromium with the packaged 0.5B on the seed article: an overview question
and a follow-up, two citations of one answer opened (each card flashes and
highlights its own quote), then an upload that updates the header's count, the
"Indexed documents (N)" label, the document lists and the example questions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag import Settings
from rag.pipeline import Pipeline
from tests.browser_support import ask, browser, new_page, screenshot, served, wait_answers
from tests.conftest import SEED
from tests.test_ui_examples_real import DOCUMENT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MODEL_WAIT = 300_000  # ms: one 0.5B answer on a shared 2-core machine, with room


def test_overview_follow_up_two_citations_and_an_upload(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    pipeline = Pipeline.from_settings(
        Settings(corpus_dir=corpus, store_dir=tmp_path / "store", model="qwen2.5-0.5b"),
        progress=False)
    with served(pipeline) as url, browser() as b:
        page = new_page(b, url, width=1360, height=1000)
        assert "1 indexed document," in page.locator("#rag-header").inner_text()
        assert page.get_by_text("Indexed documents (1)").count() == 1

        ask(page, "What is this article about?")
        answer = wait_answers(page, 1, timeout=MODEL_WAIT)
        markers = answer.locator(".rag-marker")
        assert markers.count() >= 2, answer.inner_text()
        quotes = []
        for n in (1, 2):
            answer.locator(f".rag-m-1-{n}").first.click()
            page.wait_for_selector(f"#rag-cite-1-{n}.rag-flash", timeout=20_000)
            card = page.locator(f"#rag-cite-1-{n}")
            assert f"[{n}]" in card.locator("header").inner_text()
            assert "passage" in card.locator(".rag-score").inner_text()  # a rank, no score
            quotes.append(card.locator("mark.rag-quote").inner_text().strip())
        assert all(quotes) and quotes[0] != quotes[1], quotes
        document = pipeline.document_text(SEED.name)
        assert all(" ".join(q.split()) in " ".join(document.split()) for q in quotes)
        screenshot(page, "open-answer-citations")

        ask(page, "Who could oppose it?")
        follow = wait_answers(page, 2, timeout=MODEL_WAIT)
        assert "rag-answer" in (follow.get_attribute("class") or ""), follow.inner_text()
        assert follow.locator(".rag-marker").count() >= 1

        page.locator("#rag-upload-box").get_by_text("Add or remove documents").click()
        upload = tmp_path / "ferry.txt"
        upload.write_text(DOCUMENT, encoding="utf-8")
        page.locator("#rag-upload input[type=file]").set_input_files(str(upload))
        page.locator("#rag-upload-status").get_by_text("Indexed: uploads/ferry.txt") \
            .wait_for(timeout=180_000)
        page.locator("#rag-header").get_by_text("2 indexed documents").wait_for(timeout=10_000)
        page.get_by_text("Indexed documents (2)").wait_for(timeout=10_000)
        page.locator("#rag-docs-box").get_by_text("Indexed documents (2)").click()
        page.locator("#rag-docs").get_by_text("uploads/ferry.txt").wait_for(timeout=10_000)
        # The example questions are shown on an empty chat: start over to see the new ones.
        page.locator("#rag-clear").click()
        page.get_by_role("button", name="What are the documents about?") \
            .wait_for(timeout=20_000)
        screenshot(page, "after-upload-examples")
