"""The seconds each step of one answer took, gathered in one place.

`Pipeline.stream_answer` times its steps with one `Timings`; `finish` gives the
dict an `Answer` carries (``retrieve``, ``first_token``, ``generate``, ``total``
and the token counts are always there; ``prime`` and ``rewrite`` only when
those steps ran).

Example:
    >>> t = Timings()
    >>> with t.step("retrieve"):
    ...     pass
    >>> def words():
    ...     yield "It "
    ...     yield "is."
    ...     return "done"
    >>> def read():
    ...     result = yield from t.stream(words())
    ...     assert result == "done"
    >>> list(read())
    ['It ', 'is.']
    >>> sorted(t.finish(completion_tokens=2))
    ['completion_tokens', 'first_token', 'generate', 'prompt_tokens', 'retrieve', 'total']
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

ALWAYS = ("retrieve", "first_token", "generate", "total", "prompt_tokens", "completion_tokens")

R = TypeVar("R")


class Timings:
    """Seconds per step since this object was made; see the module docstring."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.seconds: dict[str, float] = {}

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Time the block as step `name`."""
        t = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = time.perf_counter() - t

    def stream(self, deltas: Generator[str, None, R]) -> _Timed[R]:
        """Pass `deltas` on (use with ``yield from``; its return value comes through),
        timing its first delta (``first_token``) and its end (``generate``)."""
        return _Timed(deltas, self)

    def finish(self, **counts: float) -> dict[str, float]:
        """Every timing (``total`` up to now) and `counts`, rounded; absent ones as 0."""
        out = {**self.seconds, **counts, "total": time.perf_counter() - self.started}
        for key in ALWAYS:
            out.setdefault(key, 0.0)
        return {k: round(v, 4) for k, v in out.items()}


class _Timed(Generic[R]):
    """An iterator over a generator that notes when its first item and its end came.

    A plain iterator, not a generator: the inner generator's return value leaves
    `__next__` inside its `StopIteration`, where ``yield from`` picks it up; and
    `close` reaches the inner generator (a stopped answer stops the model).
    """

    def __init__(self, inner: Generator[str, None, R], timings: Timings) -> None:
        self.inner = inner
        self.timings = timings
        self.started = time.perf_counter()

    def __iter__(self) -> _Timed[R]:
        return self

    def __next__(self) -> str:
        seconds = self.timings.seconds
        try:
            item = next(self.inner)
        except StopIteration:
            seconds["generate"] = time.perf_counter() - self.started
            seconds.setdefault("first_token", seconds["generate"])
            raise
        seconds.setdefault("first_token", time.perf_counter() - self.started)
        return item

    def close(self) -> None:
        self.inner.close()
