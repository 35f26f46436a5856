"""Server mode with real servers on loopback: `chroma run` and llama-cpp-python's
OpenAI-compatible server with the packaged 0.5B (one of each for the whole
module, started here and stopped after), and our API called with the official
`openai` client and LangChain's `ChatOpenAI`.

The answer tests are the same for both backends (parametrized): in process,
and against the servers.
"""

from __future__ import annotations

import math
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rag import Settings
from rag.corpus import Corpus
from rag.errors import ModelError
from rag.pipeline import Pipeline
from tests.conftest import SEED, assert_citations_exact, read_exact
from tests.servers import HOST, chroma_server, llama_server

pytestmark = pytest.mark.slow

ANSWERABLE = [
    ("Who are the special envoys for Syria?", ["Lavrentiev", "Ratney"]),
    ("In which city did the envoys meet?", ["Amman"]),
    ("What could the proposed zone eventually turn into?", ["safe area"]),
    ("Which base near the border with Iraq is mentioned?", ["Tanf"]),
]
UNANSWERABLE = ["What currency does Jordan use?", "Who won the football World Cup in 2018?"]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    from rag.models import resolve_model_path

    base = tmp_path_factory.mktemp("servers")
    model = resolve_model_path(Settings(model="qwen2.5-0.5b").resolved())
    with chroma_server(base / "chroma") as chroma_url, llama_server(model, base) as llm_url:
        yield {"chroma_url": chroma_url, "llm_url": llm_url}


@pytest.fixture(scope="module")
def served_pipeline(servers: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """The pipeline with its store on the Chroma server and its model on the model server."""
    base = tmp_path_factory.mktemp("served")
    corpus = base / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    settings = Settings(corpus_dir=corpus, store_dir=base / "cache", llm_model="qwen2.5-0.5b",
                        generation_timeout=240, **servers)
    return Pipeline.from_settings(settings, progress=False)


@pytest.fixture(params=["in_process", "servers"])
def backend(request: pytest.FixtureRequest) -> Pipeline:
    name = "pipeline_05b" if request.param == "in_process" else "served_pipeline"
    return request.getfixturevalue(name)


def test_the_same_answers_in_process_and_on_servers(backend: Pipeline) -> None:
    """The answer tests of the in-process pipeline pass against the servers too."""
    misses = []
    for question, expected in ANSWERABLE:
        a = backend.answer(question)
        assert_citations_exact(a, backend.settings.corpus_dir)
        cited = " ".join(c.quote for c in a.citations)
        if a.refused or not any(word in cited for word in expected):
            misses.append((question, a.text))
    assert len(misses) <= 1, misses
    declined = [backend.answer(q) for q in UNANSWERABLE]
    assert sum(a.refused for a in declined) >= 1, [a.text for a in declined]
    for a in declined:
        assert_citations_exact(a, backend.settings.corpus_dir)


def test_the_store_really_is_the_servers(served_pipeline: Pipeline,
                                         servers: dict[str, str]) -> None:
    import chromadb

    port = int(servers["chroma_url"].rsplit(":", 1)[1])
    client = chromadb.HttpClient(host=HOST, port=port)
    collection = client.get_collection("passages")
    assert collection.count() == served_pipeline.corpus.store.count() > 0
    got = collection.get(limit=1, include=["metadatas"])
    assert got["metadatas"][0]["source"] == SEED.name
    # nothing of Chroma's own lives in the local cache folder, nor the manifest or texts
    local = served_pipeline.settings.store_dir
    assert not (local / "chroma.sqlite3").exists()
    assert not (local / "index.json").exists() and not list(local.glob("texts/*"))


def test_a_second_client_of_the_server_shares_the_index(served_pipeline: Pipeline,
                                                        tmp_path: Path) -> None:
    """Another machine (here: another store_dir and corpus copy) finds the index
    complete, indexes nothing, and shows and checks citations from the server."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    settings = served_pipeline.settings.model_copy(
        update={"corpus_dir": corpus, "store_dir": tmp_path / "other-cache"})
    other = Pipeline.from_settings(settings, progress=False)
    assert other.corpus.store.generation() == served_pipeline.corpus.store.generation()
    report = other.index(progress=False)
    assert report.unchanged == [SEED.name] and not report.added
    assert other.document_text(SEED.name) == read_exact(SEED)
    hits = other.corpus.retriever.retrieve("In which city did the envoys meet?", 4)
    assert any("Amman" in p.text for p in hits)


# --- our API over the served pipeline --------------------------------------------


@pytest.fixture(scope="module")
def api(served_pipeline: Pipeline) -> Iterator[dict[str, Any]]:
    from ui.gate import ModelGate
    from ui.server import build_app, serve

    gate = ModelGate(2)
    served = serve(build_app(served_pipeline, served_pipeline.settings, gate=gate), HOST, 0)
    try:
        yield {"url": served.url, "gate": gate}
    finally:
        served.close()


def _check_citations(url: str, citations: list[dict[str, Any]]) -> None:
    for c in citations:
        text = httpx.get(f"{url}v1/documents/{c['source']}/text", timeout=30).text
        assert text[c["start"] : c["end"]] == c["quote"], c


def test_openai_client_plain_and_streaming(api: dict[str, Any]) -> None:
    from openai import OpenAI

    client = OpenAI(base_url=api["url"] + "v1", api_key="unused", max_retries=0)
    assert [m.id for m in client.models.list()]
    messages = [{"role": "system", "content": "Answer in French."},
                {"role": "user", "content": "In which city did the envoys meet?"}]
    r = client.chat.completions.create(model="rag", messages=messages)
    extra = r.model_extra or {}
    assert "Amman" in r.choices[0].message.content and extra["refused"] is False
    assert extra["citations"] and "Amman" in " ".join(c["quote"] for c in extra["citations"])
    _check_citations(api["url"], extra["citations"])

    chunks = list(client.chat.completions.create(model="rag", messages=messages, stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == r.choices[0].message.content  # the verified text, nothing provisional
    last = (chunks[-1].model_extra or {})
    assert last["citations"] == extra["citations"]


def test_langchain_chat_openai(api: dict[str, Any]) -> None:
    from langchain_openai import ChatOpenAI
    from openai import OpenAI

    question = "In which city did the envoys meet?"
    chat = ChatOpenAI(base_url=api["url"] + "v1", api_key="unused", model="rag", max_retries=0)
    reply = str(chat.invoke(question).content)
    direct = OpenAI(base_url=api["url"] + "v1", api_key="unused").chat.completions.create(
        model="rag", messages=[{"role": "user", "content": question}])
    assert reply == direct.choices[0].message.content  # the same verified answer, unchanged
    assert "Amman" in reply and "[1]" in reply


def test_overload_answers_429_with_retry_after(api: dict[str, Any]) -> None:
    url, gate = api["url"], api["gate"]
    body = {"model": "rag", "messages": [{"role": "user", "content": "Who brokered the deal?"}]}
    results: list[int] = []

    def ask() -> None:
        results.append(httpx.post(url + "v1/chat/completions", json=body, timeout=120).status_code)

    workers = [threading.Thread(target=ask) for _ in range(gate.capacity)]
    for w in workers:
        w.start()
    deadline = time.monotonic() + 30
    while gate.inside < gate.capacity and time.monotonic() < deadline:
        time.sleep(0.01)
    over = httpx.post(url + "v1/chat/completions", json=body, timeout=30)
    for w in workers:
        w.join()
    assert over.status_code == 429 and int(over.headers["Retry-After"]) >= 1
    assert results == [200] * gate.capacity  # the ones that got in were all answered


def test_a_dead_model_server_is_a_clear_error_not_a_hang(tmp_path: Path,
                                                         served_pipeline: Pipeline) -> None:
    from ui.server import free_port

    url = f"http://{HOST}:{free_port()}/v1"  # nothing listens there
    settings = served_pipeline.settings.model_copy(update={"llm_url": url,
                                                           "generation_timeout": 5.0})
    served = served_pipeline.corpus
    dead = Pipeline(Corpus(settings, served.store, served.embeddings))
    started = time.perf_counter()
    with pytest.raises(ModelError, match=url.replace(".", r"\.")):
        dead.answer("In which city did the envoys meet?")
    assert time.perf_counter() - started < 10


def test_model_server_logprobs(served_pipeline: Pipeline) -> None:
    """The server returns the first token's alternatives: Yes/No get real log-probabilities.

    Last in the module: its prompts evict the article prefix the server has cached."""
    from langchain_core.messages import HumanMessage

    chat = served_pipeline.chat_model
    got = chat.choice_logprobs([HumanMessage("Is Paris in France? Answer Yes or No.")],
                               ["Yes", "No", "Zebra"])
    assert got["Yes"] > got["No"] > -30.0 and got["Zebra"] == -30.0
    pieces = list(chat.stream_with_logprobs([HumanMessage("Say hello.")], max_tokens=8))
    assert pieces and "".join(t for t, _ in pieces).strip()
    assert chat.streams_logprobs is True  # llama.cpp's server streams them (top_logprobs set)
    assert all(math.isfinite(lp) and lp <= 0 for _, lp in pieces), pieces


def test_load_test_command_against_the_served_api(api: dict[str, Any]) -> None:
    """1 → capacity+1 clients, one request each: all answered or 429, no error; it ends."""
    from evals.bench.loadtest import load_test

    rows = load_test(api["url"] + "v1", clients=api["gate"].capacity + 1, requests=1)
    assert [r["clients"] for r in rows] == [1, 2, 3]
    assert all(r["errors"] == 0 for r in rows)
    assert rows[0]["answered"] == 1 and rows[-1]["429"] >= 1
