"""`gradio_client` against a real chat server, on the deterministic FakePipeline.

Each test starts its own server on a free loopback port and stops it.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from gradio_client import Client

from tests.browser_support import served
from tests.conftest import read_exact
from tests.fakes import FakePipeline

ANSWERABLE = "Where did the envoys meet in the Jordanian capital?"


def test_ask_gets_a_cited_answer_and_unanswerable_gets_the_decline(seed_corpus: Path) -> None:
    with served(FakePipeline(seed_corpus)) as url:
        client = Client(url, verbose=False)
        got = client.predict(ANSWERABLE, None, api_name="/ask")
        assert not got["refused"] and got["citations"]
        for c in got["citations"]:
            assert read_exact(seed_corpus / c["source"])[c["start"] : c["end"]] == c["quote"]
        declined = client.predict("Qzx vbn wrt?", None, api_name="/ask")
        assert declined["refused"] and declined["citations"] == []


def test_only_the_ask_endpoint_is_public(seed_corpus: Path) -> None:
    with served(FakePipeline(seed_corpus)) as url:
        api = Client(url, verbose=False).view_api(return_format="dict", print_info=False)
        assert set(api["named_endpoints"]) == {"/ask"}


def test_server_binds_loopback_only(seed_corpus: Path) -> None:
    with served(FakePipeline(seed_corpus)) as url:
        assert url.startswith("http://127.0.0.1:")


def test_a_full_queue_says_busy(seed_corpus: Path) -> None:
    from gradio_client.exceptions import AppError
    from gradio_client.utils import QueueError

    slow = FakePipeline(seed_corpus, delay=0.05)  # ~2 s per answer
    with served(slow, queue_size=1) as url:
        client = Client(url, verbose=False)
        running = client.submit(ANSWERABLE, None, api_name="/ask")
        time.sleep(0.5)  # let it start, so the next one waits in the queue
        waiting = client.submit(ANSWERABLE, None, api_name="/ask")
        time.sleep(0.5)
        with pytest.raises((QueueError, AppError), match="(?i)queue is full|busy"):
            client.predict(ANSWERABLE, None, api_name="/ask")
        assert not running.result(timeout=60)["refused"]
        assert not waiting.result(timeout=60)["refused"]  # waiting requests still get answers
