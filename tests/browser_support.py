"""Helpers for the web chat tests: a served chat, a headless Chromium, waits.

The browser is Debian's `chromium` driven by Playwright (no browser download);
tests that need it skip with a clear reason when it is missing. Every server
and browser started here is stopped by its context manager.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


@contextmanager
def served(pipeline: Any, **build_kwargs: Any) -> Iterator[str]:
    """Build the chat for `pipeline`, serve it on a free loopback port, yield its URL."""
    from ui.app import build_ui
    from ui.server import launch

    demo = build_ui(pipeline, **build_kwargs)
    url = launch(demo, "127.0.0.1", 0)
    try:
        yield url
    finally:
        demo.close(verbose=False)


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    return path


@contextmanager
def browser() -> Iterator[Any]:
    """A headless Chromium (Playwright sync API), closed on exit."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def new_page(b: Any, url: str, width: int = 1360, height: int = 900) -> Any:
    """Open `url` in a fresh context and wait until the chat box is ready.

    Every request the page makes is recorded in ``page.requests`` so a test can
    check that nothing goes to another host.
    """
    context = b.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.requests = []  # type: ignore[attr-defined]
    page.on("request", lambda r: page.requests.append(r.url))  # type: ignore[attr-defined]
    page.goto(url)
    page.locator("#rag-question textarea").wait_for(state="visible", timeout=30_000)
    return page


def ask(page: Any, question: str) -> None:
    """Type a question and press Enter."""
    box = page.locator("#rag-question textarea")
    box.fill(question)
    box.press("Enter")


def wait_answers(page: Any, count: int, timeout: float = 60_000) -> Any:
    """Wait until `count` verified answers or declines are in the chat; return the last."""
    final = page.locator("#rag-chat .rag-answer, #rag-chat .rag-decline")
    page.wait_for_function(
        "n => document.querySelectorAll('#rag-chat .rag-answer, #rag-chat .rag-decline')"
        ".length >= n",
        arg=count,
        timeout=timeout,
    )
    return final.nth(count - 1)


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under tests/artifacts/ and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def write_corpus(folder: Path, files: dict[str, str]) -> Path:
    """Write documents exactly as given (no newline translation)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        with open(folder / name, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    return folder
