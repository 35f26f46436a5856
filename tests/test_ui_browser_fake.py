"""The web chat in a real browser (Debian's chromium via Playwright), on the FakePipeline.

The fake answers deterministically and fast, so these check the page itself:
streaming, clicking a citation, the whole document, escaping, the queue, stop,
start over, errors, and that the page asks no other host for anything.
Screenshots land in tests/artifacts/.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.browser_support import (
    ask,
    browser,
    new_page,
    screenshot,
    served,
    wait_answers,
    write_corpus,
)
from tests.conftest import read_exact
from tests.fakes import FakePipeline

pytestmark = pytest.mark.browser

ANSWERABLE = "Where did the envoys meet in the Jordanian capital?"


def _only_loopback(page) -> None:  # type: ignore[no-untyped-def]
    hosts = {urlparse(u).hostname for u in page.requests if not u.startswith(("data:", "blob:"))}
    assert hosts == {"127.0.0.1"}, f"the page asked other hosts: {hosts}"


def test_stream_cite_click_and_highlight(seed_corpus: Path) -> None:
    with served(FakePipeline(seed_corpus, delay=0.03)) as url, browser() as b:
        page = new_page(b, url)
        ask(page, ANSWERABLE)
        page.locator("#rag-chat .rag-provisional").wait_for(timeout=20_000)  # streaming
        answer = wait_answers(page, 1)
        assert page.locator("#rag-chat .rag-provisional").count() == 0  # replaced
        answer.locator(".rag-marker").first.click()
        card = page.locator("#rag-cite-1-1")
        page.wait_for_selector("#rag-cite-1-1.rag-flash", timeout=10_000)
        quote = card.locator("mark.rag-quote").inner_text()
        source = card.locator(".rag-open").inner_text()
        assert quote.strip() and quote.strip() in read_exact(seed_corpus / source)
        card.locator(".rag-open").click()  # the whole document, cited span marked
        page.locator("#rag-doc mark.rag-quote").first.wait_for(timeout=10_000)
        assert page.locator("#rag-doc mark.rag-quote").first.inner_text() == quote
        screenshot(page, "fake-answer-with-sources")
        _only_loopback(page)


def test_whole_document_opens_at_the_cited_span(seed_corpus: Path) -> None:
    with served(FakePipeline(seed_corpus)) as url, browser() as b:
        page = new_page(b, url)
        ask(page, "Did Jordan reject a Russian proposal for its troops to police the zone?")
        wait_answers(page, 1).locator(".rag-marker").first.click()
        page.locator("#rag-cite-1-1 .rag-open").click()
        mark = page.locator("#rag-doc mark.rag-quote").first
        mark.wait_for(timeout=10_000)
        assert "Russian proposal" in mark.inner_text()
        page.wait_for_function(
            "() => document.querySelector('#rag-doc .rag-doc-text').scrollTop > 200")
        box = page.locator("#rag-doc .rag-doc-text").bounding_box()
        spot = mark.bounding_box()
        assert box and spot and box["y"] <= spot["y"] <= box["y"] + box["height"]


def test_two_sessions_at_once_both_get_answers(seed_corpus: Path) -> None:
    with served(FakePipeline(seed_corpus, delay=0.03)) as url, browser() as b:
        pages = [new_page(b, url), new_page(b, url)]
        for page in pages:
            ask(page, ANSWERABLE)
        for i, page in enumerate(pages):
            assert "rag-marker" in wait_answers(page, 1).inner_html()
            screenshot(page, f"fake-session-{i + 1}")


def test_follow_up_and_start_over(seed_corpus: Path) -> None:
    with served(FakePipeline(seed_corpus)) as url, browser() as b:
        page = new_page(b, url)
        ask(page, ANSWERABLE)
        wait_answers(page, 1)
        ask(page, "What currency does it use, in Qzx?")
        decline = wait_answers(page, 2)
        assert "Not in the documents" in decline.inner_text()
        page.get_by_role("button", name="Start over").click()
        page.wait_for_function(
            "() => !document.querySelector('#rag-chat .rag-answer, #rag-chat .rag-decline')"
        )
        assert "Ask a question" in page.locator("#rag-sources").inner_text()
        ask(page, ANSWERABLE)  # and the chat still works
        wait_answers(page, 1)


def test_example_questions_come_from_the_corpus_and_can_be_clicked(seed_corpus: Path) -> None:
    with served(FakePipeline(seed_corpus)) as url, browser() as b:
        page = new_page(b, url)
        example = page.get_by_role("button", name="What do the documents say about Syria?")
        example.click()
        wait_answers(page, 1)
        assert "What do the documents say about Syria?" in page.locator("#rag-chat").inner_text()


def test_empty_question_is_refused_in_the_page(seed_corpus: Path) -> None:
    with served(FakePipeline(seed_corpus)) as url, browser() as b:
        page = new_page(b, url)
        ask(page, "   ")
        page.locator(".validation-error", has_text="Type a question").wait_for(timeout=10_000)
        time.sleep(0.5)
        assert "busy" not in page.locator("#rag-status").inner_text()
        ask(page, ANSWERABLE)
        wait_answers(page, 1)


def test_html_in_a_document_shows_as_text_and_never_runs(tmp_path: Path) -> None:
    evil = ("Notes\n\nThe mayor of Elmtown wrote <script>pwned = 1</script> and "
            '<img src=x onerror="pwned = 2"> in the harbour report.\n')
    corpus = write_corpus(tmp_path / "corpus", {"evil.txt": evil})
    with served(FakePipeline(corpus)) as url, browser() as b:
        page = new_page(b, url)
        ask(page, "What did the mayor of Elmtown write in the harbour report?")
        answer = wait_answers(page, 1)
        assert "<script>pwned = 1</script>" in answer.inner_text()
        answer.locator(".rag-marker").first.click()
        page.locator("#rag-cite-1-1 .rag-open").click()
        page.locator("#rag-doc mark.rag-quote").first.wait_for(timeout=10_000)
        assert '<img src=x onerror="pwned = 2">' in page.locator("#rag-doc").inner_text()
        assert '<img src=x onerror="pwned = 2">' in page.locator("#rag-sources").inner_text()
        time.sleep(0.5)
        assert page.evaluate("() => typeof window.pwned") == "undefined"
        assert page.locator("#rag-chat img, #rag-sources img, #rag-doc img").count() == 0
        screenshot(page, "fake-html-document")


def test_stop_ends_a_generation(seed_corpus: Path) -> None:
    slow = FakePipeline(seed_corpus, delay=0.4)  # ~16 s if not stopped
    with served(slow) as url, browser() as b:
        page = new_page(b, url)
        ask(page, ANSWERABLE)
        page.locator("#rag-chat .rag-provisional").wait_for(timeout=20_000)
        page.get_by_role("button", name="Stop").click()
        page.locator("#rag-chat .rag-stopped").wait_for(timeout=10_000)
        assert page.locator("#rag-chat .rag-answer").count() == 0
        slow.delay = 0.0
        ask(page, ANSWERABLE)  # the model is free again at once
        wait_answers(page, 1, timeout=20_000)


def test_start_over_while_answering(seed_corpus: Path) -> None:
    slow = FakePipeline(seed_corpus, delay=0.2)
    with served(slow) as url, browser() as b:
        page = new_page(b, url)
        ask(page, ANSWERABLE)
        page.locator("#rag-chat .rag-provisional").wait_for(timeout=20_000)
        page.get_by_role("button", name="Start over").click()
        time.sleep(2)  # a late streamed update must not bring the old answer back
        assert page.locator("#rag-chat .message").count() == 0
        slow.delay = 0.0
        ask(page, ANSWERABLE)
        wait_answers(page, 1, timeout=20_000)


def test_stop_while_waiting_in_the_queue(seed_corpus: Path) -> None:
    slow = FakePipeline(seed_corpus, delay=0.1)  # ~4 s per answer
    with served(slow) as url, browser() as b:
        first, second = new_page(b, url), new_page(b, url)
        ask(first, ANSWERABLE)
        first.locator("#rag-chat .rag-provisional").wait_for(timeout=20_000)
        ask(second, "Did Jordan reject a Russian proposal?")
        second.locator("#rag-chat .rag-waiting").wait_for(timeout=10_000)
        second.get_by_role("button", name="Stop").click()
        second.locator("#rag-chat .rag-stopped").wait_for(timeout=10_000)
        wait_answers(first, 1)
        time.sleep(2)  # the stopped question must not be answered later
        assert second.locator("#rag-chat .rag-answer, #rag-chat .rag-decline").count() == 0
        assert len(slow.calls) == 1
        ask(second, ANSWERABLE)
        wait_answers(second, 1)


def test_a_second_question_while_answering_is_turned_away(seed_corpus: Path) -> None:
    with served(FakePipeline(seed_corpus, delay=0.1)) as url, browser() as b:
        page = new_page(b, url)
        ask(page, ANSWERABLE)
        page.locator("#rag-chat .rag-provisional").wait_for(timeout=20_000)
        ask(page, "Did Jordan reject a Russian proposal?")
        page.get_by_text("One question at a time").wait_for(timeout=10_000)
        wait_answers(page, 1)
        box = page.locator("#rag-question textarea")
        assert box.input_value() == "Did Jordan reject a Russian proposal?"
        box.press("Enter")  # asked again once the answer is done: it goes through
        wait_answers(page, 2)


def test_full_queue_says_busy_and_keeps_the_question(seed_corpus: Path) -> None:
    slow = FakePipeline(seed_corpus, delay=0.08)  # ~3.5 s per answer
    with served(slow, queue_size=1) as url, browser() as b:
        first, second, third = new_page(b, url), new_page(b, url), new_page(b, url)
        ask(first, ANSWERABLE)
        first.locator("#rag-chat .rag-provisional").wait_for(timeout=20_000)
        ask(second, ANSWERABLE)  # waits in the queue, with its position shown
        second.get_by_text("queue:").first.wait_for(timeout=10_000)
        ask(third, "Where did they meet?")
        third.get_by_text("busy").first.wait_for(timeout=10_000)
        screenshot(third, "fake-busy")
        assert third.locator("#rag-question textarea").input_value() == "Where did they meet?"
        wait_answers(first, 1)
        wait_answers(second, 1)


def test_page_works_while_another_user_waits_for_the_model(seed_corpus: Path) -> None:
    """Opening a document needs no model, so it is not stuck behind a generation."""
    slow = FakePipeline(seed_corpus, delay=0.3)
    with served(slow) as url, browser() as b:
        busy, reader = new_page(b, url), new_page(b, url)
        ask(busy, ANSWERABLE)
        busy.locator("#rag-chat .rag-provisional").wait_for(timeout=20_000)
        started = time.monotonic()
        reader.get_by_role("button", name="Whole document").click()
        reader.locator("#rag-doc .rag-doc-text").wait_for(timeout=5_000)
        assert time.monotonic() - started < 5
        busy.get_by_role("button", name="Stop").click()


def test_servers_in_threads_shut_down(seed_corpus: Path) -> None:
    """Starting and stopping the server leaves no thread behind (tests must clean up)."""
    before = threading.active_count()
    with served(FakePipeline(seed_corpus)):
        pass
    time.sleep(1)
    assert threading.active_count() <= before + 1


def test_with_a_key_the_browser_signs_in_then_chats(seed_corpus: Path, tmp_path: Path) -> None:
    """`rag serve`'s app (our API + the chat behind one gate), fake pipeline, real Chromium."""
    from rag.settings import Settings
    from ui.server import build_app, serve

    settings = Settings(api_key="browser-key", store_dir=tmp_path / "store")
    srv = serve(build_app(FakePipeline(seed_corpus), settings), "127.0.0.1", 0)
    try:
        with browser() as b:
            context = b.new_context()
            page = context.new_page()
            page.goto(srv.url)
            assert page.url.endswith("/login")  # the chat is not shown before signing in
            page.fill("#key", "wrong")
            page.click("button[type=submit]")
            page.locator("text=That is not the key").wait_for(timeout=10_000)
            page.fill("#key", "browser-key")
            page.click("button[type=submit]")
            page.locator("#rag-question textarea").wait_for(state="visible", timeout=30_000)
            ask(page, ANSWERABLE)
            answer = wait_answers(page, 1)
            assert answer.locator(".rag-marker").count() >= 1
            cookies = context.cookies()
            assert [c["httpOnly"] for c in cookies if c["name"] == "rag_session"] == [True]
            screenshot(page, "signed-in-chat")
    finally:
        srv.close()
