"""The web chat: a Gradio page around a `rag.Pipeline` it is handed.

This is the only package that imports Gradio, and importing it does nothing
heavy: `build_ui` and `main` load their modules on first use.

Example (`main` serves until Ctrl+C; `build_ui` returns a gr.Blocks, not launched):
    >>> import ui
    >>> ui.main(["--port", "7861"])          # doctest: +SKIP
    >>> demo = ui.build_ui(pipeline)          # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

__all__ = ["build_ui", "launch", "main"]


def __getattr__(name: str) -> Any:
    # Lazy so that `import ui` (e.g. by the CLI's --help) does not import Gradio.
    if name == "build_ui":
        from ui.app import build_ui

        return build_ui
    if name in ("launch", "main"):
        from ui import server

        return getattr(server, name)
    raise AttributeError(f"module 'ui' has no attribute {name!r}")
