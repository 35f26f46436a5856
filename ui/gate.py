"""One bound on work waiting for the model, shared by the web chat and the API.

The model answers one question at a time (the pipeline's lock); a `ModelGate`
counts the requests running or waiting for it, across both front doors, and
turns the one past `capacity` away at once with `Busy` (the API answers 429
with ``Retry-After``; the chat says it is busy) instead of letting it hang.
A request that got in is never dropped: it waits its turn.

Example:
    >>> gate = ModelGate(capacity=1)
    >>> with gate.slot():
    ...     try:
    ...         with gate.slot():
    ...             pass
    ...     except Busy as exc:
    ...         print("busy, retry after", exc.retry_after, "s")
    busy, retry after 5 s
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from rag.errors import RagError

FIRST_GUESS_SECONDS = 5.0  # Retry-After before any answer was timed


class Busy(RagError):
    """Every place in the queue is taken; try again after `retry_after` seconds."""

    def __init__(self, capacity: int, retry_after: int) -> None:
        super().__init__(f"The server is busy ({capacity} requests are running or waiting); "
                         f"try again in {retry_after} s.")
        self.retry_after = retry_after


class ModelGate:
    """At most `capacity` requests running or waiting for the model at once."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._inside = 0
        self._lock = threading.Lock()
        self._seconds = FIRST_GUESS_SECONDS  # moving average of one request's time

    @property
    def inside(self) -> int:
        return self._inside

    def enter(self) -> None:
        """Take a place, or raise `Busy` at once. Pair with `leave`."""
        with self._lock:
            if self._inside >= self.capacity:
                raise Busy(self.capacity, self.retry_after())
            self._inside += 1

    def leave(self, seconds: float | None = None) -> None:
        """Give the place back; `seconds` (the request's time) refines Retry-After."""
        with self._lock:
            self._inside = max(0, self._inside - 1)
            if seconds is not None:
                self._seconds = 0.8 * self._seconds + 0.2 * seconds

    def retry_after(self) -> int:
        """Seconds until a place is likely free: about one request's time."""
        return max(1, math.ceil(self._seconds))

    @contextmanager
    def slot(self) -> Iterator[None]:
        """`enter` … `leave` around a block, timing it."""
        self.enter()
        started = time.perf_counter()
        try:
            yield
        finally:
            self.leave(time.perf_counter() - started)
