"""Serving the web chat and the API: `serve(...)`, `launch(demo, ...)` and `main`.

`rag serve [--host H] [--port P]` and `python -m ui` both call `main`, which
builds the pipeline from `Settings` (indexing the corpus when the store is
empty), builds one FastAPI app with our API (`ui.api`) under ``/v1`` and the
chat mounted at ``/``, prints its address and serves until Ctrl+C. The chat
and the API share one `ModelGate` (the bounded queue). It does not open a
browser. Defaults bind 127.0.0.1 only; Gradio analytics, share links, run
history, monitoring and the MCP server are all off, and the page uses system
fonts, so it asks no other host for anything.

Example:
    $ python -m ui --port 7861
    Chat ready at http://127.0.0.1:7861/ (API at http://127.0.0.1:7861/v1; Ctrl+C to stop)
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import signal
import socket
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.errors import RagError

if TYPE_CHECKING:
    from rag.answerer import Assistant
    from rag.pipeline import Pipeline
    from rag.settings import Settings
    from ui.gate import ModelGate

log = logging.getLogger(__name__)


UPLOAD_FILES_PER_REQUEST = 10  # the chat's file box sends at most this many at once


class PortInUse(RagError):
    """The chosen port is taken by another program."""


def _quiet_environment() -> None:
    # Set before Gradio is imported: no usage analytics, no model hub lookups.
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def free_port(host: str = "127.0.0.1") -> int:
    """A port that is free on `host` right now."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def check_port(host: str, port: int) -> None:
    """Raise `PortInUse` with a message that says what to do, if `port` is taken."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as s:
        # Same option as the web server itself, so a port merely in TIME_WAIT
        # after a restart is not reported as busy.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            raise PortInUse(
                f"Port {port} on {host} is already in use ({exc.strerror}). Stop the program "
                f"using it, or choose another port: rag serve --port {port + 1} "
                f"(or set RAG_PORT)."
            ) from None


def launch(demo: Any, host: str = "127.0.0.1", port: int = 7860) -> str:
    """Start serving `demo` in the background and return its address.

    Serving goes on in background threads until `demo.close()`.
    `port=0` picks a free port.
    """
    _quiet_environment()
    from ui.theme import CSS, HEAD, make_theme

    port = port or free_port(host)
    check_port(host, port)
    try:
        _, url, _ = demo.launch(
            server_name=host, server_port=port, prevent_thread_lock=True, quiet=True,
            share=False, inbrowser=False, show_error=False, ssr_mode=False, pwa=False,
            mcp_server=False, enable_monitoring=False, run_history=False, footer_links=[],
            theme=make_theme(), css=CSS, head=HEAD,
        )
    except OSError as exc:  # lost a race for the port after the check above
        raise PortInUse(f"Could not start the chat on {host}:{port}: {exc}") from None
    return str(url)


def gradio_temp_dir(store_dir: Any) -> Path:
    """Where Gradio keeps uploaded bytes: inside `store_dir`, emptied at each start.

    Gradio reads ``GRADIO_TEMP_DIR`` when the page is built, so this is called
    before `build_ui`. An upload lives there only until the chat has copied or
    refused it (see `ui.upload_handlers`).
    """
    folder = Path(store_dir) / "gradio-uploads"
    shutil.rmtree(folder, ignore_errors=True)  # leftovers of a crashed run
    folder.mkdir(parents=True, exist_ok=True)
    os.environ["GRADIO_TEMP_DIR"] = str(folder.resolve())
    return folder


def build_app(pipeline: Assistant, settings: Settings, demo: Any = None,
              gate: ModelGate | None = None) -> Any:
    """One app: our API (`ui.api`) and the web chat mounted at ``/``, behind one `AccessGate`.

    The chat and the API share `gate` (default: a `ModelGate` of
    ``queue_size + 1`` places: one answering, the rest waiting). Every route,
    Gradio's included, checks the Host header and the API key (`ui.access`).
    """
    _quiet_environment()
    import gradio as gr

    from ui.access import AccessGate, AccessPolicy, hosts_for
    from ui.api import build_api
    from ui.app import build_ui
    from ui.gate import ModelGate
    from ui.theme import CSS, HEAD, make_theme

    gate = gate or ModelGate(settings.queue_size + 1)
    gradio_temp_dir(settings.store_dir)
    demo = demo or build_ui(pipeline, gate=gate, queue_size=settings.queue_size)
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    api_key = settings.api_key.get_secret_value()
    app = build_api(pipeline, gate, api_key, origins)
    app = gr.mount_gradio_app(
        app, demo, path="/", server_name=settings.host, server_port=settings.port,
        footer_links=[], run_history=False, show_error=False, ssr_mode=False, pwa=False,
        mcp_server=False, enable_monitoring=False, theme=make_theme(), css=CSS, head=HEAD,
        max_file_size=settings.max_upload_bytes, allowed_paths=[],
    )
    # Gradio checks that a file an event receives was uploaded through it only in an
    # app it launched itself; mounted, it would copy any server path a client names.
    demo.has_launched = True
    app.add_middleware(AccessGate, policy=AccessPolicy(
        api_key=api_key,
        allowed_hosts=hosts_for(settings.host, settings.allowed_hosts),
        # one request may carry several files; each is capped by max_file_size above
        upload_limit=settings.max_upload_bytes * UPLOAD_FILES_PER_REQUEST + 1_000_000,
    ))
    return app


class Served:
    """A running uvicorn server in a background thread; `close()` stops it."""

    def __init__(self, app: Any, host: str, port: int) -> None:
        import threading

        import uvicorn

        config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                                access_log=False, timeout_graceful_shutdown=5)
        self.server = uvicorn.Server(config)
        self.url = f"http://{host if ':' not in host else f'[{host}]'}:{port}/"
        self._thread = threading.Thread(target=self.server.run, name="rag-serve", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise PortInUse(f"Could not start serving on {host}:{port}.")
            time.sleep(0.05)

    @property
    def is_running(self) -> bool:
        return self._thread.is_alive()

    def close(self, verbose: bool = False) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)


def serve(app: Any, host: str = "127.0.0.1", port: int = 7860) -> Served:
    """Serve `app` (from `build_app`) in the background; `port=0` picks a free port."""
    port = port or free_port(host)
    check_port(host, port)
    return Served(app, host, port)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="rag serve",
        description="Start the web chat over the indexed documents (indexes them first "
        "if the store is empty). Settings come from rag.yaml and RAG_* variables.",
    )
    p.add_argument("--host", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, help="port to serve on (default 7860; 0 = any free port)")
    return p


def _start(args: argparse.Namespace) -> tuple[Served, Pipeline, str]:
    from rag import Pipeline, Settings

    overrides = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
    settings = Settings(**overrides)
    port = settings.port or free_port(settings.host)
    check_port(settings.host, port)  # fail fast, before loading any model
    pipeline = Pipeline.from_settings(settings)
    # Load the model now: a missing model fails here with its message, and
    # the first visitor does not wait for the first (cold) model run.
    print("Loading the model…", flush=True)
    pipeline.warm_up()
    served = serve(build_app(pipeline, settings), settings.host, port)
    return served, pipeline, served.url


def _stop_on_signals() -> None:
    """Ctrl+C and SIGTERM both stop the server cleanly.

    Why set SIGINT at all: a shell starts background jobs (``rag serve &``, nohup,
    scripts) with SIGINT ignored, and Python then installs no KeyboardInterrupt
    handler; a service manager stops with SIGTERM, which Python does not handle.
    """
    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, interrupt)


def main(argv: list[str] | None = None) -> int:
    """Serve the web chat until Ctrl+C or SIGTERM. Returns the process exit code."""
    args = _parser().parse_args(argv)
    _quiet_environment()
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        logging.getLogger("httpx").setLevel(logging.WARNING)  # Gradio's own start-up checks
    _stop_on_signals()
    try:
        demo, pipeline, url = _start(args)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    try:
        print(f"Chat ready at {url} (API at {url}v1; Ctrl+C to stop)", flush=True)
        while demo.is_running:
            time.sleep(0.2)
    except KeyboardInterrupt:
        print("Stopping the chat…", flush=True)
    finally:
        # A second Ctrl+C while shutting down must not print a traceback.
        with contextlib.suppress(KeyboardInterrupt):
            demo.close(verbose=False)
            pipeline.close()
    return 0
