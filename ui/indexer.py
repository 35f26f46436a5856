"""Run indexing in a background thread, coalescing requests.

Many uploads (from one user or several) each ask for an index run; while one
run is going, later requests are served by a single next run that starts
after them, so nothing uploaded is missed and nothing is indexed twice for
nothing. Each request gets a ticket; `wait(ticket)` returns once a run that
started after the request has finished.

Example:
    >>> runs = []
    >>> bg = BackgroundIndexer(lambda: runs.append(1) or "report")
    >>> t = bg.request(); bg.wait(t, timeout=5), bg.last_report
    (True, 'report')
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class BackgroundIndexer:
    """Calls `run()` in a worker thread whenever asked; see the module docstring."""

    def __init__(self, run: Callable[[], Any]) -> None:
        self._run = run
        self._cond = threading.Condition()
        self._requested = 0
        self._done = 0
        self._thread: threading.Thread | None = None
        self.last_report: Any = None
        self.last_error: Exception | None = None
        self.progress = ""

    def request(self) -> int:
        with self._cond:
            self._requested += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="rag-indexer",
                                                daemon=True)
                self._thread.start()
            return self._requested

    def wait(self, ticket: int, timeout: float | None = None) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._done >= ticket, timeout)

    def _loop(self) -> None:
        while True:
            with self._cond:
                if self._done >= self._requested:
                    self._thread = None
                    return
                target = self._requested
            report, error = None, None
            try:
                report = self._run()
            except Exception as exc:  # reported to whoever waits; the worker goes on
                log.exception("background indexing failed")
                error = exc
            with self._cond:
                self._done = target
                self.last_report, self.last_error = report, error
                self.progress = ""
                self._cond.notify_all()
