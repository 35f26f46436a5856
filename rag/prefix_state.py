"""The cached prompt prefix on disk, in a form that cannot execute.

llama.cpp can hand over what it has read (its KV state) as plain bytes; we
store those bytes and the token ids beside a small JSON header — never a
pickle, which would run code for whoever can write to the model cache. The
header names the model and context size the state belongs to and carries the
SHA-256 of the payload, so a truncated, corrupt or foreign file is refused
before a byte reaches llama.cpp.

Layout: ``MAGIC``, the header's length (8 bytes, little-endian), the header
(UTF-8 JSON), the token ids (int32, little-endian), the llama.cpp state bytes.

This module does not import llama.cpp: the caller passes the state class in.
What it leaves out: the logits (hundreds of MB for a 150k vocabulary); they
are recomputed as soon as the next question's tokens are read.

Example:
    >>> import numpy as np, tempfile, pathlib
    >>> class State:  # the shape of llama_cpp.llama.LlamaState
    ...     def __init__(self, input_ids, scores, n_tokens, llama_state, llama_state_size, seed):
    ...         self.input_ids, self.scores, self.n_tokens = input_ids, scores, n_tokens
    ...         self.llama_state, self.llama_state_size, self.seed = llama_state, llama_state_size, seed
    >>> s = State(np.arange(8, dtype=np.intc), np.zeros((8, 5), np.single), 3, b"kv", 2, 0)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "p.state"
    >>> write_state(path, s, {"model": "m", "n_ctx": 8})
    >>> read_state(path, State, {"model": "m", "n_ctx": 8}).llama_state
    b'kv'
    >>> read_state(path, State, {"model": "other", "n_ctx": 8}) is None
    True
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MAGIC = b"RAG-CITED PREFIX STATE\n"
FORMAT_VERSION = 1
MAX_HEADER = 64 * 1024


def write_state(path: Path, state: Any, meta: dict[str, Any]) -> None:
    """Write `state` (a llama.cpp `LlamaState`) and `meta` atomically to `path`."""
    ids = np.ascontiguousarray(state.input_ids, dtype="<i4").tobytes()
    kv = bytes(state.llama_state)
    header = {
        **meta,
        "format_version": FORMAT_VERSION,
        "n_tokens": int(state.n_tokens),
        "n_ids": len(ids) // 4,
        "n_vocab": int(state.scores.shape[1]),
        "llama_state_size": len(kv),
        "seed": int(state.seed),
        "sha256": hashlib.sha256(ids + kv).hexdigest(),
    }
    head = json.dumps(header, sort_keys=True).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(MAGIC + len(head).to_bytes(8, "little") + head + ids + kv)
    tmp.replace(path)


def read_state(path: Path, state_class: type, expect: dict[str, Any]) -> Any | None:
    """The state saved at `path` as a `state_class`, or None when there is none, it is
    damaged, or its header does not match `expect` (another model or context size)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    problem, state = _parse(data, state_class, expect)
    if problem:
        log.warning("ignoring the cached prompt state %s: %s", path, problem)
    return state


def _parse(data: bytes, state_class: type, expect: dict[str, Any]) -> tuple[str, Any]:
    if not data.startswith(MAGIC):
        return "not a prefix state file", None
    at = len(MAGIC)
    size = int.from_bytes(data[at : at + 8], "little")
    if not 0 < size <= MAX_HEADER or len(data) < at + 8 + size:
        return "truncated header", None
    try:
        header = json.loads(data[at + 8 : at + 8 + size])
    except ValueError:
        return "unreadable header", None
    if not isinstance(header, dict) or header.get("format_version") != FORMAT_VERSION:
        return "unknown format version", None
    wrong = sorted(k for k, v in expect.items() if header.get(k) != v)
    if wrong:
        return f"made for another {', '.join(wrong)}", None
    try:
        n_ids, n_kv = int(header["n_ids"]), int(header["llama_state_size"])
        n_tokens, n_vocab, seed = int(header["n_tokens"]), int(header["n_vocab"]), int(header["seed"])
    except (KeyError, TypeError, ValueError):
        return "incomplete header", None
    payload = data[at + 8 + size :]
    if len(payload) != 4 * n_ids + n_kv or not 0 <= n_tokens <= n_ids or n_vocab <= 0:
        return "truncated or oversized payload", None
    if hashlib.sha256(payload).hexdigest() != header.get("sha256"):
        return "checksum mismatch", None
    ids = np.frombuffer(payload[: 4 * n_ids], dtype="<i4").astype(np.intc)
    state = state_class(
        input_ids=ids, scores=np.zeros((1, n_vocab), np.single), n_tokens=n_tokens,
        llama_state=payload[4 * n_ids :], llama_state_size=n_kv, seed=seed,
    )
    return "", state
