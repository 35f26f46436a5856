"""Which answer run each browser session has, so the next can wait for it to end.

Why this exists: Stop (and Start over) cancel a run in the page at once, but
Gradio's page only forgets the cancelled run when the server has closed it,
after the current model step. A question asked in between would have its run
skipped by the page as a duplicate and wait forever, and a late streamed
update could land on top of the "Stopped" mark. So a new question, a stop mark
and a reset each wait here until the session's previous run has ended; and a
question sent while an answer is still being written (not stopped) is turned
away, since one session asks one question at a time.

Example:
    >>> runs = SessionRuns()
    >>> with runs.running("s1"):
    ...     runs.answering("s1")
    True
    >>> runs.settle("s1", margin=0.0)   # returns at once: the run has ended
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

SETTLE_TIMEOUT = 30.0  # the longest a model step may take before we stop waiting
SETTLE_MARGIN = 0.5  # time for the "cancelled" news to reach the page
FORGET_AFTER = 60.0  # a session whose run ended this long ago may never come back


@dataclass
class _Run:
    done: threading.Event = field(default_factory=threading.Event)
    ended_at: float | None = None
    stopping: bool = False


class SessionRuns:
    """Per-session record of the latest answer run: running, stopping or ended."""

    def __init__(self) -> None:
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()

    @contextmanager
    def running(self, session: str) -> Iterator[None]:
        """Mark `session`'s run as running for the duration of the block."""
        run = _Run()
        if session:
            with self._lock:
                old = time.monotonic() - FORGET_AFTER
                for key in [k for k, r in self._runs.items() if r.ended_at and r.ended_at < old]:
                    del self._runs[key]
                self._runs[session] = run
        try:
            yield
        finally:
            run.ended_at = time.monotonic()
            run.done.set()

    def answering(self, session: str) -> bool:
        """True while `session`'s run is going and nobody asked it to stop."""
        with self._lock:
            run = self._runs.get(session)
        return run is not None and not run.done.is_set() and not run.stopping

    def stop_requested(self, session: str) -> None:
        """Note that the page is cancelling `session`'s run (Stop, Start over)."""
        with self._lock:
            run = self._runs.get(session)
            if run is not None:
                run.stopping = True

    def settle(self, session: str, margin: float = SETTLE_MARGIN) -> None:
        """Return once `session`'s latest run has ended (plus `margin` seconds)."""
        with self._lock:
            run = self._runs.get(session)
        if run is None:
            return
        run.done.wait(SETTLE_TIMEOUT)
        if run.ended_at is not None and margin:
            time.sleep(max(0.0, margin - (time.monotonic() - run.ended_at)))
            with self._lock:
                if self._runs.get(session) is run:
                    del self._runs[session]
