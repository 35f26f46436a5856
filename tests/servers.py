"""Real servers on loopback for tests: `chroma run` and llama-cpp-python's
OpenAI-compatible server, each started on a free port and stopped after.

Example:
    >>> with chroma_server(tmp_path / "chroma") as url:       # doctest: +SKIP
    ...     PassageStore(tmp_path / "cache", emb, url=url)
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from ui.server import free_port

HOST = "127.0.0.1"


def _wait_ready(proc: subprocess.Popen, url: str, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}): {log.read_text()[-2000:]}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"server not ready at {url} after {seconds} s: {log.read_text()[-2000:]}")


@contextmanager
def _process(cmd: list[str], ready_url: str, log: Path, seconds: float) -> Iterator[None]:
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    try:
        _wait_ready(proc, ready_url, log, seconds)
        yield
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def chroma_executable() -> str:
    found = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    if not Path(found).exists():
        raise RuntimeError("the `chroma` command is missing: chromadb installs it")
    return found


@contextmanager
def chroma_server(path: Path) -> Iterator[str]:
    """`chroma run` persisting in `path`; yields its URL."""
    path.mkdir(parents=True, exist_ok=True)
    port = free_port(HOST)
    url = f"http://{HOST}:{port}"
    with _process([chroma_executable(), "run", "--path", str(path), "--host", HOST,
                   "--port", str(port)], f"{url}/api/v2/heartbeat", path / "server.log", 60):
        yield url


@contextmanager
def llama_server(model: Path, log_dir: Path, alias: str = "qwen2.5-0.5b",
                 context: int = 4096) -> Iterator[str]:
    """`python -m llama_cpp.server` with `model` on 2 threads; yields its /v1 base URL."""
    log_dir.mkdir(parents=True, exist_ok=True)
    port = free_port(HOST)
    url = f"http://{HOST}:{port}/v1"
    with _process([sys.executable, "-m", "llama_cpp.server", "--model", str(model),
                   "--model_alias", alias, "--host", HOST, "--port", str(port),
                   "--n_ctx", str(context), "--n_threads", "2", "--seed", "0"],
                  f"{url}/models", log_dir / "llama-server.log", 180):
        yield url
