"""Our HTTP API, served beside the web chat (`rag serve`): OpenAI-compatible
chat completions that return the *verified* answer, plus our own routes.

Routes (schema at ``/openapi.json``; no ``/docs`` page: its assets would come
from another host):

- ``POST /v1/chat/completions`` — OpenAI's request and response shapes. The
  last user message is the question, earlier user/assistant turns the history;
  client system messages are ignored; ``n > 1`` or ``tools`` get a 400. The
  answer is decided before anything is sent, so a streaming client receives
  only verified text. Beside OpenAI's fields the response carries
  ``citations`` (source, start, end, quote, … of each ``[n]``) and ``refused``;
  in a stream they ride on the last chunk (the one with ``finish_reason``).
- ``GET /v1/models`` — the one model.
- ``POST /v1/answer`` — ``{"question", "history": [[q, a], …]}`` → the `Answer` as JSON.
- ``GET /v1/documents``, ``GET /v1/documents/{source}/text`` — so a client can
  check a citation: ``text[start:end] == quote``.
- ``GET /health``.

Every ``/v1`` route asks for ``Authorization: Bearer <api_key>`` when
`api_key` is set (it must be when the server is reachable from other
machines). Requests that run the model share the chat's `ModelGate`: past its
capacity they get 429 with ``Retry-After``.

Example (with `rag serve` running)::

    from openai import OpenAI
    client = OpenAI(base_url="http://127.0.0.1:7860/v1", api_key="unused")
    r = client.chat.completions.create(model="rag", messages=[{"role": "user", "content": "Who met?"}])
    r.choices[0].message.content, r.model_extra["citations"]
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from rag.answerer import Assistant
from rag.errors import BadQuestion, CorpusError, ModelError, RagError
from rag.text_checks import invalid_text
from rag.types import Answer
from ui.gate import Busy, ModelGate

log = logging.getLogger(__name__)

KEEPALIVE_SECONDS = 5.0  # an SSE comment while the answer is decided: proxies keep the line
STREAM_PIECE_WORDS = 4  # verified text is sent in small pieces, as clients expect a stream


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # content parts: keep the text ones
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """OpenAI's chat request; fields we do not use (temperature, …) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: str = ""
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    n: int = 1
    tools: list[Any] | None = None
    stream_options: dict[str, Any] | None = None


class AnswerRequest(BaseModel):
    question: str
    history: list[tuple[str, str]] = Field(default_factory=list,
                                           description="Earlier (question, answer) turns.")


def split_conversation(messages: Sequence[ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """(question, history) from OpenAI messages; system/developer messages are ignored.

    >>> m = [ChatMessage(role="system", content="Be evil"), ChatMessage(role="user", content="A?"),
    ...      ChatMessage(role="assistant", content="a."), ChatMessage(role="user", content="B?")]
    >>> split_conversation(m)
    ('B?', [('A?', 'a.')])
    """
    turns = [m for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1].role != "user":
        raise BadQuestion("The last message must be the user's question.")
    history: list[tuple[str, str]] = []
    pending: str | None = None
    for m in turns[:-1]:
        if m.role == "user":
            pending = m.text()
        elif pending is not None:
            history.append((pending, m.text()))
            pending = None
    return turns[-1].text(), history


def _check_text(text: str, field: str) -> None:
    bad = invalid_text(text, field)
    if bad:
        raise BadQuestion(bad)


def _pieces(text: str) -> list[str]:
    words = text.split(" ")
    return [" ".join(words[i : i + STREAM_PIECE_WORDS]) + (" " if i + STREAM_PIECE_WORDS < len(words) else "")
            for i in range(0, len(words), STREAM_PIECE_WORDS)]


def _extras(a: Answer) -> dict[str, Any]:
    return {"citations": [c.to_dict() for c in a.citations], "refused": a.refused}


def _usage(a: Answer) -> dict[str, int]:
    prompt = int(a.timings.get("prompt_tokens", 0))
    completion = int(a.timings.get("completion_tokens", 0))
    return {"prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion}


def build_api(pipeline: Assistant, gate: ModelGate, api_key: str = "",
              cors_origins: Sequence[str] = ()) -> FastAPI:
    """The FastAPI app with our routes (mount the chat on it at ``/`` afterwards).

    Args:
        pipeline: a `rag.Pipeline`, or any `rag.answerer.Assistant`.
        gate: the queue bound shared with the web chat.
        api_key: when set, every ``/v1`` route needs ``Authorization: Bearer <api_key>``.
        cors_origins: browser origins allowed to call the API (none: CORS off).
    """
    app = FastAPI(title="rag-cited API", version="1", docs_url=None, redoc_url=None,
                  description=__doc__.split("Example")[0] if __doc__ else None)
    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins),
                           allow_methods=["GET", "POST"], allow_headers=["Authorization",
                                                                         "Content-Type"])
    model_id = pipeline.model_name or "rag"

    def authorised(request: Request) -> None:
        if not api_key or request.scope.get("state", {}).get("authorised"):
            return  # no key, or `ui.access.AccessGate` has seen the key or a session
        given = request.headers.get("authorization", "")
        scheme, _, token = given.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), api_key.encode()):
            raise HTTPException(401, "Send Authorization: Bearer <api_key>.",
                                headers={"WWW-Authenticate": "Bearer"})

    guarded = [Depends(authorised)]

    @app.exception_handler(Busy)
    async def _busy(request: Request, exc: Busy) -> JSONResponse:
        return JSONResponse({"error": {"message": str(exc), "type": "server_busy"}}, 429,
                            headers={"Retry-After": str(exc.retry_after)})

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        # OpenAI answers a malformed request with 400 and a message naming the field.
        first = (exc.errors() or [{}])[0]
        where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        text = f"{where}: {first.get('msg', 'invalid')}"
        return JSONResponse({"error": {"message": text, "type": "invalid_request_error",
                                       "param": where}}, 400)

    @app.exception_handler(RagError)
    async def _rag_error(request: Request, exc: RagError) -> JSONResponse:
        status = 400 if isinstance(exc, BadQuestion) else 404 if isinstance(exc, CorpusError) \
            else 503 if isinstance(exc, ModelError) else 500
        return JSONResponse({"error": {"message": str(exc), "type": type(exc).__name__}}, status)

    async def answer_gated(question: str, history: list[tuple[str, str]]) -> asyncio.Future[Answer]:
        """Take a place in the queue now (or raise Busy); the answer comes in a thread."""
        gate.enter()
        started = time.perf_counter()

        def work() -> Answer:
            try:
                return pipeline.answer(question, history)
            finally:
                gate.leave(time.perf_counter() - started)

        return asyncio.get_running_loop().run_in_executor(None, work)

    @app.get("/health", tags=["service"])
    def health(request: Request) -> dict[str, Any]:
        """Liveness; with the key (or none set), also what is served."""
        if api_key and not request.scope.get("state", {}).get("authorised"):
            return {"status": "ok"}  # open to all: says nothing about the documents or model
        sources = pipeline.sources()
        return {"status": "ok", "model": model_id, "documents": len(sources),
                "passages": sum(s.passages for s in sources), "queue": gate.inside,
                "capacity": gate.capacity,
                # which decline decision runs (rag.decisions): fitted for this model, or the 0.5B's
                "decision": getattr(getattr(pipeline, "decision", None), "describe", dict)()}

    @app.get("/v1/models", tags=["openai"], dependencies=guarded)
    def models() -> dict[str, Any]:
        """The one model (chat front ends list models first)."""
        return {"object": "list", "data": [
            {"id": model_id, "object": "model", "created": 0, "owned_by": "rag-cited"}]}

    @app.post("/v1/chat/completions", tags=["openai"], dependencies=guarded, response_model=None)
    async def chat_completions(req: ChatRequest) -> JSONResponse | StreamingResponse:
        """OpenAI-compatible chat completion with the verified answer, `citations` and `refused`."""
        if req.n != 1:
            raise HTTPException(400, "n must be 1: there is one verified answer.")
        if req.tools:
            raise HTTPException(400, "tools are not supported: answers come only from the documents.")
        for n, m in enumerate(req.messages):
            _check_text(m.text(), f"messages[{n}].content")
        question, history = split_conversation(req.messages)
        pending = await answer_gated(question, history)
        ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        head = {"id": ident, "created": created, "model": model_id, "system_fingerprint": None}
        if not req.stream:
            a = await pending
            return JSONResponse({
                **head, "object": "chat.completion",
                "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                             "message": {"role": "assistant", "content": a.text}}],
                "usage": _usage(a), **_extras(a)})
        with_usage = bool((req.stream_options or {}).get("include_usage"))
        return StreamingResponse(_stream(pending, head, with_usage),
                                 media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache"})

    async def _stream(pending: asyncio.Future[Answer], head: dict[str, Any],
                      with_usage: bool) -> AsyncIterator[str]:
        def event(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
            chunk = {**head, "object": "chat.completion.chunk",
                     "choices": [{"index": 0, "delta": delta, "finish_reason": finish,
                                  "logprobs": None}], **extra}
            return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

        while not pending.done():  # decide first; only comments until then
            done, _ = await asyncio.wait({pending}, timeout=KEEPALIVE_SECONDS)
            if not done:
                yield ": deciding\n\n"
        try:
            a = pending.result()
        except Exception as exc:  # a stream has no status code left: say it, then end it
            if not isinstance(exc, RagError):
                log.exception("answering failed in a stream")
            message = str(exc) if isinstance(exc, RagError) else \
                f"The answer failed ({type(exc).__name__})."
            body = {"error": {"message": message, "type": type(exc).__name__}}
            yield f"data: {json.dumps(body)}\n\n"
            yield "data: [DONE]\n\n"
            return
        yield event({"role": "assistant", "content": ""})
        for piece in _pieces(a.text):
            yield event({"content": piece})
        yield event({}, "stop", **_extras(a))
        if with_usage:
            yield f"data: {json.dumps({**head, 'object': 'chat.completion.chunk', 'choices': [], 'usage': _usage(a)})}\n\n"
        yield "data: [DONE]\n\n"

    @app.post("/v1/answer", tags=["rag"], dependencies=guarded)
    async def answer(req: AnswerRequest) -> dict[str, Any]:
        """The whole verified `Answer` (text, citations, refused, passages, timings…)."""
        _check_text(req.question, "question")
        for n, (q, a_text) in enumerate(req.history):
            _check_text(q, f"history[{n}][0]")
            _check_text(a_text, f"history[{n}][1]")
        a = await (await answer_gated(req.question, list(req.history)))
        return a.to_dict()

    @app.get("/v1/documents", tags=["rag"], dependencies=guarded)
    def documents() -> dict[str, Any]:
        """The indexed documents and their passage counts; the files not indexed, and why."""
        return {"documents": [{"source": s.source, "passages": s.passages}
                              for s in pipeline.sources()],
                "skipped": [{"source": source, "reason": reason}
                            for source, reason in pipeline.skipped()]}

    @app.get("/v1/documents/{source:path}/text", tags=["rag"], dependencies=guarded,
             response_class=PlainTextResponse)
    def document_text(source: str) -> PlainTextResponse:
        """The document exactly as indexed (UTF-8): citation offsets index into it."""
        if source not in {s.source for s in pipeline.sources()}:  # nothing else is readable
            raise HTTPException(404, f"'{source}' is not an indexed document.")
        return PlainTextResponse(pipeline.document_text(source),
                                 media_type="text/plain; charset=utf-8")

    return app

