"""A stub OpenAI-compatible chat server on loopback, answering with `FakeEchoChatModel`
(for tests only): what the fake would say, in OpenAI's wire format, with token
logprobs, first-token alternatives and usage, streamed or not.

It speaks just enough of ``POST /v1/chat/completions`` for `rag.llm_openai`:
``max_tokens``, ``stop``, ``logprobs`` / ``top_logprobs``, ``stream`` and
``stream_options.include_usage``. A "token" is one of the fake's words.

Example:
    >>> with stub_openai_server() as url:                          # doctest: +SKIP
    ...     connect_chat_model(Settings(llm_url=url, llm_model="stub"))
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from tests.fakes import FakeEchoChatModel

# The first-token alternatives the stub can report (the fake scores each).
VOCABULARY = ["Yes", "No", "NONE", *[str(i) for i in range(10)]]


def _messages(raw: list[dict[str, str]]) -> list[BaseMessage]:
    kinds = {"system": SystemMessage, "assistant": AIMessage}
    return [kinds.get(m.get("role", "user"), HumanMessage)(m.get("content", "")) for m in raw]


def _reply(fake: FakeEchoChatModel, body: dict[str, Any]) -> tuple[list[tuple[str, float]], int,
                                                                      dict[str, float]]:
    """(tokens, prompt tokens, first-token alternatives) of the fake's greedy reply."""
    messages = _messages(body.get("messages", []))
    stop = body.get("stop") or ()
    stream = fake.stream_with_logprobs(messages, int(body.get("max_tokens") or 16),
                                       [stop] if isinstance(stop, str) else stop)
    tokens = [(p.text, p.logprob) for p in stream]
    return tokens, stream.prompt_tokens, fake.choice_logprobs(messages, VOCABULARY)


def _token(text: str, logprob: float, alternatives: dict[str, float], top: int) -> dict[str, Any]:
    best = sorted(alternatives.items(), key=lambda kv: -kv[1])[:top]
    return {"token": text, "logprob": logprob, "bytes": list(text.encode()),
            "top_logprobs": [{"token": t, "logprob": lp, "bytes": list(t.encode())}
                             for t, lp in best]}


class _Handler(BaseHTTPRequestHandler):
    fake: FakeEchoChatModel

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def do_GET(self) -> None:
        self._json({"object": "list", "data": [{"id": "stub", "object": "model"}]})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        tokens, prompt_tokens, alternatives = _reply(self.fake, body)
        want = bool(body.get("logprobs"))
        top = int(body.get("top_logprobs") or 0)
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": len(tokens),
                 "total_tokens": prompt_tokens + len(tokens)}

        def logprobs(i: int, text: str, lp: float) -> dict[str, Any] | None:
            alts = alternatives if i == 0 else {text: lp}
            return {"content": [_token(text, lp, alts, top)]} if want else None

        head = {"id": "stub-1", "created": 0, "model": body.get("model", "stub")}
        if not body.get("stream"):
            content = [_token(t, lp, alternatives if i == 0 else {t: lp}, top)
                       for i, (t, lp) in enumerate(tokens)]
            self._json({**head, "object": "chat.completion", "usage": usage, "choices": [{
                "index": 0, "finish_reason": "stop",
                "message": {"role": "assistant", "content": "".join(t for t, _ in tokens)},
                "logprobs": {"content": content} if want else None}]})
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        chunk = {**head, "object": "chat.completion.chunk"}
        for i, (text, lp) in enumerate(tokens):
            self._event({**chunk, "choices": [{"index": 0, "delta": {"content": text},
                                               "logprobs": logprobs(i, text, lp)}]})
        self._event({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if (body.get("stream_options") or {}).get("include_usage"):
            self._event({**chunk, "choices": [], "usage": usage})
        self.wfile.write(b"data: [DONE]\n\n")

    def _event(self, data: dict[str, Any]) -> None:
        self.wfile.write(b"data: " + json.dumps(data).encode() + b"\n\n")
        self.wfile.flush()

    def _json(self, data: dict[str, Any]) -> None:
        raw = json.dumps(data).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


@contextmanager
def stub_openai_server(token_delay: float = 0.0) -> Iterator[str]:
    """The stub on 127.0.0.1 (a free port); yields its ``/v1`` base URL."""
    fake = FakeEchoChatModel(token_delay=token_delay, timeout=3600.0)
    handler = type("Handler", (_Handler,), {"fake": fake})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
