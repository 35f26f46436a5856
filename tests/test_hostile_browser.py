"""Hostile documents in the source viewer of a real Chromium: nothing runs, nothing loads.

The FakePipeline shows documents exactly as stored (it indexes nothing away),
so the viewer gets the raw ``<script>``, ``<img onerror>``, markdown images and
links to outside hosts, and must show them as text.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.browser_support import ask, browser, new_page, served, wait_answers
from tests.conftest import ROOT
from tests.fakes import FakePipeline

pytestmark = pytest.mark.browser

DOCS = {
    "script_tag.md": "When did the Kess observatory open to visitors?",
    "outside_links.md": "How many kinds of apples does the Orin valley orchard grow?",
    "html_comment.md": "How many seats does the Varna library reading room have?",
}


def test_hostile_documents_in_the_viewer_run_nothing_and_load_nothing(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name in DOCS:
        shutil.copy(ROOT / "tests" / "hostile" / name, corpus / name)
    with served(FakePipeline(corpus)) as url, browser() as b:
        page = new_page(b, url)
        for n, (name, question) in enumerate(DOCS.items(), 1):
            ask(page, question)
            answer = wait_answers(page, n)
            answer.locator(".rag-marker").first.click()
            page.locator(f"#rag-cite-{2 * n - 1}-1 .rag-open, .rag-open").first.click()
            page.locator("#rag-doc mark.rag-quote").first.wait_for(timeout=10_000)
            shown = page.locator("#rag-doc").inner_text()
            assert "CANARY" in shown, f"{name}: the attack should be visible as text"
        time.sleep(1.0)  # give any script or image a chance to run or load
        assert page.evaluate("() => typeof window.pwned") == "undefined"
        assert page.locator("#rag-doc img, #rag-doc script, #rag-chat img").count() == 0
        hosts = {urlparse(u).hostname for u in page.requests
                 if not u.startswith(("data:", "blob:"))}
        assert hosts == {"127.0.0.1"}, f"the page asked other hosts: {hosts}"
