"""One gate in front of every route the server exposes: Host, key, body size.

`AccessGate` is an ASGI middleware wrapped around the whole app (our API, the
Gradio chat and its internal routes, ``/openapi.json``), so no route can be
forgotten. For each request, in order:

1. **Host.** The ``Host`` header must name this server (`allowed_hosts`:
   ``localhost``, ``127.0.0.1``, ``[::1]`` and the bound host by default),
   else 400. A web page the user visits cannot reach a loopback server
   through DNS rebinding: its requests carry the attacker's host name.
2. **Key.** When an API key is set, every path but the login page and
   ``/health`` needs ``Authorization: Bearer <key>`` or the session cookie the
   login page sets (HttpOnly, SameSite=Strict: another site's page cannot use
   it). A browser asking for a page is sent to ``/login``; anything else gets
   401. Whether the caller is authorised is left in ``scope["state"]`` so
   ``/health`` can say less to strangers.
3. **Body size.** A request body is counted while it streams in and cut off
   with 413 past its limit (uploads: `upload_limit`; anything else:
   `body_limit`), before any handler stores it.

The login page is plain HTML served here, with no script and nothing from
another host; the key typed into it is compared in constant time.

Example:
    >>> policy = AccessPolicy(api_key="k", allowed_hosts=hosts_for("127.0.0.1", ""))
    >>> policy.host_allowed("127.0.0.1:7860"), policy.host_allowed("evil.example:7860")
    (True, False)
    >>> policy.key_matches("Bearer k"), policy.key_matches("Bearer x")
    (True, False)
"""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "rag_session"
LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
OPEN_PATHS = frozenset({LOGIN_PATH, LOGOUT_PATH, "/health"})
SESSION_SECONDS = 12 * 3600
MAX_SESSIONS = 1000
LOGIN_BODY_BYTES = 4096
FAILED_LOGIN_DELAY = 0.5  # seconds: slows guessing without a lock-out a stranger could trigger
DEFAULT_BODY_LIMIT = 1_000_000  # JSON requests: a question and its history fit many times over
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")


def hosts_for(bound_host: str, extra: str | Iterable[str]) -> frozenset[str]:
    """The Host names a server bound to `bound_host` answers to.

    >>> sorted(hosts_for("::1", "chat.lan, Other.lan"))
    ['127.0.0.1', '[::1]', 'chat.lan', 'localhost', 'other.lan']
    """
    names = [extra] if isinstance(extra, str) else list(extra)
    given = [h.strip().lower() for part in names for h in part.split(",") if h.strip()]
    bound = bound_host.strip().lower()
    if ":" in bound and not bound.startswith("["):
        bound = f"[{bound}]"  # an IPv6 address appears bracketed in a Host header
    chosen = {*LOOPBACK_NAMES, *given}
    if bound and bound not in ("0.0.0.0", "[::]"):  # a wildcard bind is not a name
        chosen.add(bound)
    return frozenset(chosen)


def host_name(header: str) -> str:
    """The host part of a Host header, without the port, lower-cased.

    >>> host_name("[::1]:7860"), host_name("LOCALHOST:80"), host_name("example.org")
    ('[::1]', 'localhost', 'example.org')
    """
    header = header.strip().lower()
    if header.startswith("["):
        return header[: header.find("]") + 1] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


@dataclass
class AccessPolicy:
    """What `AccessGate` enforces; see the module docstring."""

    api_key: str = ""
    allowed_hosts: frozenset[str] = field(default_factory=lambda: frozenset(LOOPBACK_NAMES))
    upload_limit: int = 20_000_000
    body_limit: int = DEFAULT_BODY_LIMIT
    _sessions: dict[str, float] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def host_allowed(self, header: str | None) -> bool:
        if "*" in self.allowed_hosts:
            return True
        return bool(header) and host_name(header or "") in self.allowed_hosts

    def key_matches(self, authorization: str) -> bool:
        scheme, _, token = authorization.partition(" ")
        return (bool(self.api_key) and scheme.lower() == "bearer"
                and hmac.compare_digest(token.strip().encode(), self.api_key.encode()))

    def password_matches(self, typed: str) -> bool:
        return bool(self.api_key) and hmac.compare_digest(typed.encode(), self.api_key.encode())

    def new_session(self) -> str:
        token = secrets.token_urlsafe(32)
        now = time.time()
        with self._lock:
            for old in [t for t, until in self._sessions.items() if until < now]:
                del self._sessions[old]
            while len(self._sessions) >= MAX_SESSIONS:  # drop the oldest
                del self._sessions[min(self._sessions, key=self._sessions.__getitem__)]
            self._sessions[token] = now + SESSION_SECONDS
        return token

    def end_session(self, token: str) -> None:
        with self._lock:
            self._sessions.pop(token, None)

    def session_valid(self, token: str) -> bool:
        with self._lock:
            # A dict lookup of a 256-bit random token leaks nothing a guesser can use.
            until = self._sessions.get(token)
            return until is not None and until >= time.time()

    def authorised(self, headers: dict[str, str]) -> bool:
        """True when no key is set, or the request carries the key or a live session."""
        if not self.api_key:
            return True
        if self.key_matches(headers.get("authorization", "")):
            return True
        token = _cookies(headers.get("cookie", "")).get(COOKIE, "")
        return bool(token) and self.session_valid(token)


def _cookies(header: str) -> dict[str, str]:
    out = {}
    for part in header.split(";"):
        name, sep, value = part.strip().partition("=")
        if sep:
            out[name.strip()] = value.strip()
    return out


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1")
            for k, v in scope.get("headers", [])}


async def _respond(send: Send, status: int, body: bytes, content_type: str,
                   extra: Iterable[tuple[str, str]] = ()) -> None:
    headers = [(b"content-type", content_type.encode()),
               (b"content-length", str(len(body)).encode()),
               (b"cache-control", b"no-store")]
    headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in extra]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _error(send: Send, status: int, message: str, kind: str,
                 extra: Iterable[tuple[str, str]] = ()) -> None:
    body = json.dumps({"error": {"message": message, "type": kind}}).encode()
    await _respond(send, status, body, "application/json", extra)


def login_page(message: str = "") -> bytes:
    """The login form: no script, no style sheet or font from anywhere else."""
    note = f'<p class="err">{html.escape(message)}</p>' if message else ""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        "<title>Sign in · Ask your documents</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:26rem;margin:12vh auto;padding:0 1rem}"
        "input{width:100%;padding:.5rem;margin:.5rem 0;box-sizing:border-box}"
        "button{padding:.5rem 1.2rem}.err{color:#b00020}</style></head><body>"
        "<h1>Ask your documents</h1><p>This server asks for its API key.</p>" + note +
        f"<form method=post action='{LOGIN_PATH}'><label for=key>API key</label>"
        "<input id=key name=key type=password autocomplete=current-password autofocus required>"
        "<button type=submit>Sign in</button></form></body></html>"
    ).encode()


class AccessGate:
    """ASGI middleware applying an `AccessPolicy` to every request; see the module docstring."""

    def __init__(self, app: ASGIApp, policy: AccessPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        is_http = scope["type"] == "http"
        if not self.policy.host_allowed(headers.get("host")):
            if is_http:
                await _error(send, 400, "This server does not answer to that Host name "
                             "(see the allowed_hosts setting).", "bad_host")
            else:
                await send({"type": "websocket.close", "code": 1008})
            return
        authorised = self.policy.authorised(headers)
        scope.setdefault("state", {})["authorised"] = authorised
        path = scope.get("path", "")
        method = scope.get("method", "GET")
        if is_http and path in (LOGIN_PATH, LOGOUT_PATH):
            await self._login(path, method, headers, receive, send)
            return
        if not authorised and path not in OPEN_PATHS and not (
                is_http and method == "OPTIONS"):  # CORS preflights carry no credentials
            if not is_http:
                await send({"type": "websocket.close", "code": 1008})
            elif method == "GET" and "text/html" in headers.get("accept", ""):
                await _respond(send, 303, b"", "text/plain", [("location", LOGIN_PATH)])
            else:
                await _error(send, 401, "Send Authorization: Bearer <api_key>, or sign in "
                             f"at {LOGIN_PATH}.", "unauthorized",
                             [("www-authenticate", "Bearer")])
            return
        if is_http and method in ("POST", "PUT", "PATCH"):
            limit = self.policy.upload_limit if path.rstrip("/").endswith("/upload") \
                else self.policy.body_limit
            await self._limited(scope, receive, send, headers, limit)
            return
        await self.app(scope, receive, send)

    async def _limited(self, scope: Scope, receive: Receive, send: Send,
                       headers: dict[str, str], limit: int) -> None:
        message = (f"The request body is larger than this server accepts ({limit:,} bytes; "
                   "see max_upload_bytes).")
        try:
            declared = int(headers.get("content-length", "0") or 0)
        except ValueError:
            await _error(send, 400, "Content-Length is not a number.", "bad_request")
            return
        if declared > limit:
            await _error(send, 413, message, "too_large")
            return
        seen = 0
        started = False
        refused = False

        async def counted_receive() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            got = await receive()
            if got["type"] == "http.request":
                seen += len(got.get("body", b""))
                if seen > limit:
                    refused = True
                    if not started:
                        await _error(send, 413, message, "too_large")
                    # The handler sees a client that went away: it stops reading and
                    # deletes what it had written (Gradio removes its partial files).
                    return {"type": "http.disconnect"}
            return got

        async def guarded_send(msg: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 is the answer
            if msg["type"] == "http.response.start":
                started = True
            await send(msg)

        await self.app(scope, counted_receive, guarded_send)

    async def _login(self, path: str, method: str, headers: dict[str, str],
                     receive: Receive, send: Send) -> None:
        if path == LOGOUT_PATH:
            token = _cookies(headers.get("cookie", "")).get(COOKIE, "")
            if token:
                self.policy.end_session(token)
            await _respond(send, 303, b"", "text/plain", [
                ("location", LOGIN_PATH if self.policy.api_key else "/"),
                ("set-cookie", f"{COOKIE}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict")])
            return
        if not self.policy.api_key:  # nothing to sign in to
            await _respond(send, 303, b"", "text/plain", [("location", "/")])
            return
        if method != "POST":
            await _respond(send, 200, login_page(), "text/html; charset=utf-8")
            return
        body = b""
        while True:
            got = await receive()
            body += got.get("body", b"")
            if len(body) > LOGIN_BODY_BYTES:
                await _error(send, 413, "The login form is too large.", "too_large")
                return
            if not got.get("more_body"):
                break
        typed = parse_qs(body.decode("utf-8", "replace")).get("key", [""])[0]
        if not self.policy.password_matches(typed):
            await asyncio.sleep(FAILED_LOGIN_DELAY)
            await _respond(send, 401, login_page("That is not the key."),
                           "text/html; charset=utf-8")
            return
        token = self.policy.new_session()
        await _respond(send, 303, b"", "text/plain", [
            ("location", "/"),
            ("set-cookie", f"{COOKIE}={token}; Max-Age={SESSION_SECONDS}; Path=/; HttpOnly; "
                           "SameSite=Strict")])
