"""The web chat on the real pipeline: real Chroma, embedder and Qwen2.5 0.5B model.

Slow (each answer takes seconds on this CPU), so only a few: the API gives a
cited answer and declines what the article does not hold; a real browser gets
a streamed answer whose citation opens the exact span of the source; and
`python -m ui` starts, indexes, serves and stops like a user would run it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gradio_client import Client

from tests.browser_support import ask, browser, new_page, screenshot, served, wait_answers
from tests.conftest import SEED, read_exact

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
ANSWERABLE = "What could the proposed zone eventually turn into?"
# Far from the article on purpose: the core's own tests cover subtler refusals.
UNANSWERABLE = "What is the boiling point of mercury in kelvin?"


def _corpus(pipeline) -> Path:  # type: ignore[no-untyped-def]
    return Path(pipeline.settings.corpus_dir)


def test_client_real_cited_answer_decline_and_bad_question(pipeline_05b) -> None:  # type: ignore[no-untyped-def]
    from gradio_client.exceptions import AppError

    with served(pipeline_05b) as url:
        client = Client(url, verbose=False)
        got = client.predict(ANSWERABLE, None, api_name="/ask")
        assert not got["refused"] and got["citations"], got
        for c in got["citations"]:
            text = read_exact(_corpus(pipeline_05b) / c["source"])
            assert text[c["start"] : c["end"]] == c["quote"]
        declined = client.predict(UNANSWERABLE, None, api_name="/ask")
        assert declined["refused"] and declined["citations"] == [], declined
        with pytest.raises(AppError, match="(?i)empty"):
            client.predict("   ", None, api_name="/ask")


@pytest.mark.browser
def test_browser_real_answer_citation_and_follow_up(pipeline_05b) -> None:  # type: ignore[no-untyped-def]
    with served(pipeline_05b) as url, browser() as b:
        page = new_page(b, url, width=1360, height=860)
        ask(page, "Why? " * 1000)  # too long: refused in the page, nothing added
        page.locator("#rag-status .rag-error").wait_for(timeout=30_000)
        assert page.locator("#rag-chat .message").count() == 0
        ask(page, ANSWERABLE)
        answer = wait_answers(page, 1, timeout=300_000)
        assert answer.locator(".rag-marker").count() >= 1, answer.inner_text()
        answer.locator(".rag-marker").first.click()
        card = page.locator("#rag-cite-1-1")
        card.wait_for(timeout=10_000)
        quote = card.locator("mark.rag-quote").inner_text().strip()
        source = card.locator(".rag-open").inner_text().strip()
        assert quote and quote in read_exact(_corpus(pipeline_05b) / source)
        ask(page, "Whose forces hold the areas it would cover?")
        wait_answers(page, 2, timeout=300_000)  # answered or declined, never an error
        assert page.locator("#rag-chat .rag-error").count() == 0
        page.locator("#rag-chat .rag-answer .rag-marker").first.click()
        page.locator("#rag-cite-1-1.rag-flash").wait_for(timeout=10_000)
        screenshot(page, "real-answer-with-sources")


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_python_m_ui_indexes_serves_and_stops(tmp_path: Path, stop: signal.Signals) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_CORPUS_DIR=str(corpus), RAG_STORE_DIR=str(tmp_path / "store"),
               RAG_MODEL="qwen2.5-0.5b", PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "ui", "--port", "0"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url, lines, deadline = None, [], time.monotonic() + 300
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                break
            lines.append(line)
            if line.startswith("Chat ready at "):
                url = line.split()[3]
        assert url and url.startswith("http://127.0.0.1:"), "".join(lines)
        assert "Loading the model…" in "".join(lines)  # warmed up before "ready"
        api = Client(url, verbose=False).view_api(return_format="dict", print_info=False)
        assert "/ask" in api["named_endpoints"] and (tmp_path / "store").exists()
    finally:
        proc.send_signal(stop)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
