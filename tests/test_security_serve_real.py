"""Attacks on a real `rag serve` (``python -m ui``), sent the way an attacker sends them.

Each test reproduces one probe of the security issue with raw HTTP (httpx, no
friendly client): Gradio's queue protocol (``queue/join`` + ``queue/data``),
its upload route, our API, the login page, and forged ``Host`` headers. The
server runs the real embedder, Chroma and the 0.5B, on 127.0.0.1 only.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import SEED

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
KEY = "s3cret-key"
CANARY = "ZEBRAFISH-7781"
MAX_UPLOAD = 200_000  # small, so the size tests send little


class Server:
    def __init__(self, url: str, tmp: Path, secret: Path) -> None:
        self.url, self.tmp, self.secret = url, tmp, secret
        self.corpus, self.store = tmp / "corpus", tmp / "store"

    def client(self, key: str | None = KEY, **headers: str) -> httpx.Client:
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=120)


@contextmanager
def rag_serve(tmp: Path, **env_settings: str) -> Iterator[Server]:
    corpus = tmp / "corpus"
    corpus.mkdir(parents=True)
    shutil.copy(SEED, corpus / SEED.name)
    secret = tmp / "outside" / "private-notes.md"  # a readable file outside the corpus
    secret.parent.mkdir()
    secret.write_text(f"# Private\n\nThe vault code is {CANARY}, kept on the server only.\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
    env.update(RAG_CORPUS_DIR=str(corpus), RAG_STORE_DIR=str(tmp / "store"),
               RAG_MODEL="qwen2.5-0.5b", RAG_MAX_UPLOAD_BYTES=str(MAX_UPLOAD),
               PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1", **env_settings)
    proc = subprocess.Popen([sys.executable, "-m", "ui", "--port", "0"], cwd=tmp, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        url = None
        while url is None:
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                raise AssertionError("rag serve ended:\n" + "".join(lines))
            lines.append(line)
            if line.startswith("Chat ready at "):
                url = line.split()[3]
        yield Server(url, tmp, secret)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with rag_serve(tmp_path_factory.mktemp("keyed"), RAG_API_KEY=KEY) as s:
        yield s


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with rag_serve(tmp_path_factory.mktemp("open")) as s:
        yield s


def _fn_index(client: httpx.Client, elem_id: str, trigger: str) -> int:
    config = client.get("/config").json()
    ids = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
    for n, dep in enumerate(config["dependencies"]):
        if any(ids.get(t[0]) == elem_id and t[1] == trigger for t in dep["targets"]):
            return n
    raise AssertionError(f"no {trigger} event on #{elem_id}")


def _queue(client: httpx.Client, fn_index: int, data: list, session: str = "") -> dict:
    """Gradio's raw queue protocol: join, then read the event stream to its end."""
    session = session or uuid.uuid4().hex[:12]
    joined = client.post("/gradio_api/queue/join", json={
        "data": data, "fn_index": fn_index, "session_hash": session,
        "event_data": None, "trigger_id": None})
    assert joined.status_code == 200, joined.text
    with client.stream("GET", f"/gradio_api/queue/data?session_hash={session}") as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                msg = json.loads(line[5:])
                if msg.get("msg") == "process_completed":
                    return msg
    raise AssertionError("the event never completed")


def _kept_uploads(server: Server) -> list[Path]:
    """Files with content in Gradio's upload folder (it keeps one empty probe file)."""
    return [p for p in (server.store / "gradio-uploads").rglob("*")
            if p.is_file() and p.stat().st_size]


def _server_path_payload(path: Path) -> list:
    return [[{"path": str(path), "orig_name": "x.md", "meta": {"_type": "gradio.FileData"}}]]


def _assert_not_leaked(server: Server, client: httpx.Client) -> None:
    docs = client.get("/v1/documents").json()["documents"]
    assert [d["source"] for d in docs] == [SEED.name]
    for d in docs:
        assert CANARY not in client.get(f"/v1/documents/{d['source']}/text").text
    assert not (server.corpus / "uploads").exists() or not any(
        p.name == server.secret.name for p in (server.corpus / "uploads").iterdir())
    leftovers = [p for p in (server.store / "gradio-uploads").rglob("*") if p.is_file()]
    assert all(CANARY not in p.read_text(errors="replace") for p in leftovers)


def test_a_server_path_named_in_the_upload_event_is_never_copied_without_a_key(
        open_server: Server) -> None:
    with open_server.client(key=None) as c:
        done = _queue(c, _fn_index(c, "rag-upload", "upload"),
                      _server_path_payload(open_server.secret))
        assert done["success"] is False
        _assert_not_leaked(open_server, c)


def test_a_server_path_named_in_the_upload_event_is_never_copied_with_the_key(
        keyed: Server) -> None:
    with keyed.client() as c:
        done = _queue(c, _fn_index(c, "rag-upload", "upload"),
                      _server_path_payload(keyed.secret))
        assert done["success"] is False
        _assert_not_leaked(keyed, c)


def test_an_uploaded_file_is_indexed_and_gradios_copy_is_deleted(keyed: Server) -> None:
    with keyed.client() as c:
        sent = c.post("/gradio_api/upload", files={"files": (
            "lighthouse.md", b"# Keeper\n\nThe keeper of the Vardo light is Ingrid Solheim.\n")})
        assert sent.status_code == 200, sent.text
        session = uuid.uuid4().hex[:12]  # the page's session: removal offers what it uploaded
        done = _queue(c, _fn_index(c, "rag-upload", "upload"), [[{
            "path": sent.json()[0], "orig_name": "lighthouse.md",
            "meta": {"_type": "gradio.FileData"}}]], session)
        assert done["success"] is True and "Indexed" in done["output"]["data"][0]
        assert "uploads/lighthouse.md" in c.get("/v1/documents").text
        assert not _kept_uploads(keyed)
        removed = _queue(c, _fn_index(c, "rag-remove", "click"), ["uploads/lighthouse.md"],
                         session)
        assert removed["success"] is True
        assert "lighthouse" not in c.get("/v1/documents").text


@pytest.mark.parametrize("method,path", [
    ("GET", "/"), ("GET", "/config"), ("GET", "/gradio_api/info"), ("GET", "/openapi.json"),
    ("POST", "/gradio_api/call/ask"), ("POST", "/gradio_api/queue/join"),
    ("POST", "/gradio_api/upload"), ("GET", "/v1/models"), ("POST", "/v1/answer"),
    ("GET", f"/v1/documents/{SEED.name}/text"), ("GET", "/gradio_api/file=" + str(SEED)),
])
def test_every_route_needs_the_key(keyed: Server, method: str, path: str) -> None:
    with keyed.client(key=None) as c:
        body = {"data": ["Where did the envoys meet?", None]} if method == "POST" else None
        r = c.request(method, path, json=body)
        assert r.status_code == 401, (path, r.status_code, r.text[:200])
        assert CANARY not in r.text and "envoy" not in r.text.lower()
    with keyed.client(key="wrong") as c:
        assert c.request(method, path, json=None).status_code == 401


def test_config_and_health_say_nothing_to_strangers(keyed: Server) -> None:
    with keyed.client(key=None) as c:
        assert c.get("/health").json() == {"status": "ok"}
        assert SEED.name not in c.get("/config").text
    with keyed.client() as c:
        health = c.get("/health").json()
        assert health["documents"] >= 1 and health["model"]
        assert c.get("/config").status_code == 200


def test_login_page_sets_a_session_the_chat_accepts(keyed: Server) -> None:
    with keyed.client(key=None, accept="text/html") as c:
        assert c.get("/").headers["location"] == "/login"
        page = c.get("/login")
        assert page.status_code == 200 and "<form" in page.text and "http" not in page.text
        assert c.post("/login", data={"key": "wrong"}).status_code == 401
        signed = c.post("/login", data={"key": KEY})
        assert signed.status_code == 303
        cookie = signed.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert c.get("/config").status_code == 200  # the client kept the cookie
        c.post("/logout")
        assert c.get("/config", headers={"accept": "application/json"}).status_code == 401


@pytest.mark.parametrize("host", ["evil.example", "evil.example:7860", "127.0.0.1.evil.example",
                                  "localhost.", ""])
def test_a_foreign_host_header_is_refused(keyed: Server, host: str) -> None:
    with keyed.client() as c:
        for path in ("/health", "/", "/v1/models", "/login"):
            r = c.get(path, headers={"host": host})
            assert r.status_code == 400, (host, path, r.status_code)


def test_uploads_are_capped_while_they_stream_in(keyed: Server) -> None:
    with keyed.client() as c:
        too_big = c.post("/gradio_api/upload",
                         files={"files": ("big.txt", b"a" * (MAX_UPLOAD + 1))})
        assert too_big.status_code == 413

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            boundary = b"--zz\r\nContent-Disposition: form-data; name=\"files\"; " \
                       b"filename=\"huge.txt\"\r\nContent-Type: text/plain\r\n\r\n"
            yield boundary
            for _ in range(4000):
                yield b"b" * 1_000_000

        streamed = c.post("/gradio_api/upload", content=chunks(),
                          headers={"content-type": "multipart/form-data; boundary=zz"})
        assert streamed.status_code == 413
        # A body announced as 10 GB is refused from its headers alone (raw socket: no
        # friendly client sends a Content-Length it does not mean).
        host, port = keyed.url.split("//")[1].strip("/").split(":")
        with socket.create_connection((host, int(port)), timeout=30) as raw:
            raw.sendall(f"POST /gradio_api/upload HTTP/1.1\r\nHost: {host}\r\n"
                        f"Authorization: Bearer {KEY}\r\nContent-Length: {10**10}\r\n"
                        "Content-Type: multipart/form-data; boundary=zz\r\n\r\nx".encode())
            assert b" 413 " in raw.recv(200).split(b"\r\n")[0]
    assert sum(p.stat().st_size for p in _kept_uploads(keyed)) <= MAX_UPLOAD


@pytest.mark.parametrize("route,body", [
    ("/v1/answer", {"question": "Who met\ud800?"}),
    ("/v1/answer", {"question": "Who met?", "history": [["Q\udfff", "A"]]}),
    ("/v1/chat/completions", {"messages": [{"role": "user", "content": "Hi\ud800"}]}),
    ("/v1/chat/completions", {"stream": True, "messages": [
        {"role": "user", "content": "A?"}, {"role": "assistant", "content": "x\udc00"},
        {"role": "user", "content": "B?"}]}),
])
def test_lone_surrogates_get_a_400_naming_the_field(keyed: Server, route: str,
                                                    body: dict) -> None:
    with keyed.client() as c:
        # json.dumps escapes a lone surrogate as \\udXXX, as an attacker's client would
        r = c.post(route, content=json.dumps(body), headers={"content-type": "application/json"})
        assert r.status_code == 400, r.text
        message = r.json()["error"]["message"]
        assert "Unicode" in message and ("question" in message or "history" in message
                                         or "messages[" in message)


def test_a_lone_surrogate_in_the_chat_gets_a_message(keyed: Server) -> None:
    with keyed.client() as c:
        call = c.post("/gradio_api/call/ask", content=json.dumps({"data": ["Who\ud800?", None]}),
                      headers={"content-type": "application/json"})
        event = call.json()["event_id"]
        events = c.get(f"/gradio_api/call/ask/{event}").text
        assert "event: error" in events and "Unicode" in events
