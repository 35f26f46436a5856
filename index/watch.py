"""Keep the index in sync with a folder while files are added, changed or deleted.

watchfiles (a maintained Rust-backed watcher) groups a burst of changes —
a copy of fifty files, an editor's save-as-temp-then-rename — into one set,
waiting `debounce_ms` of quiet before it yields; each set triggers one
incremental sync, which re-reads only the files whose content changed.

Example:
    >>> watch_folder(Path("docs"), lambda: pipeline.index(progress=False))  # doctest: +SKIP
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from index.extract import SUFFIXES

log = logging.getLogger(__name__)


def relevant(path: str, folder: Path, ignore: Path | None = None) -> bool:
    """True for a change that could alter the index: a supported file, or a folder
    (deleting or renaming a folder deletes or moves the files in it).

    >>> relevant("/c/a.pdf", Path("/c")), relevant("/c/.git/x.txt", Path("/c"))
    (True, False)
    >>> relevant("/c/a.png", Path("/c")), relevant("/c/.rag/texts/x.json", Path("/c"), Path("/c/.rag"))
    (False, False)
    """
    p = Path(path)
    if ignore is not None and p.is_relative_to(ignore):
        return False
    try:
        rel = p.relative_to(folder)
    except ValueError:
        return False
    if any(part.startswith(".") for part in rel.parts):
        return False
    return p.suffix.lower() in SUFFIXES or not p.suffix


def watch_folder(
    folder: Path,
    sync: Callable[[], Any],
    on_sync: Callable[[Any, int], None] | None = None,
    ignore: Path | None = None,
    stop: threading.Event | None = None,
    debounce_ms: int = 800,
) -> None:
    """Call `sync()` after each burst of relevant changes under `folder` until `stop` is set
    (or Ctrl+C). `on_sync(result, n_changes)` is told what each sync did."""
    from watchfiles import watch

    folder = folder.resolve()
    ignore = ignore.resolve() if ignore else None
    for changes in watch(folder, debounce=debounce_ms, stop_event=stop,
                         watch_filter=lambda _change, path: relevant(path, folder, ignore),
                         raise_interrupt=False):
        log.info("%d change(s) under %s", len(changes), folder)
        result = sync()
        if on_sync:
            on_sync(result, len(changes))
