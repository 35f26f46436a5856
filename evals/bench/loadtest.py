"""``rag loadtest``: a bounded load test of a running ``rag serve``, through the
official `openai` client, as real callers would use it.

For each concurrency level (1, 2, 4, … up to ``--clients``; by default the
server's queue size) every client sends ``--requests`` chat completions one
after the other; then the next level starts. It prints, per level, the
throughput, p50/p95 latency of the answered requests, how many got 429 (the
queue was full: expected above the queue size) and errors (anything else:
should be 0), and stops by itself.

Example::

    rag serve &                                  # another terminal
    rag loadtest --url http://127.0.0.1:7860/v1 --clients 4 --requests 2
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from evals import metrics as m

QUESTIONS = (
    "In which city did the envoys meet?",
    "Who are the special envoys for Syria?",
    "What could the proposed zone eventually turn into?",
    "Which base near the border with Iraq is mentioned?",
)


@dataclass
class Level:
    """What one concurrency level did."""

    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    busy: int = 0
    errors: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        lat = m.latency_summary(self.latencies)
        return {"clients": self.clients, "answered": len(self.latencies), "429": self.busy,
                "errors": len(self.errors),
                "throughput_per_s": len(self.latencies) / self.seconds if self.seconds else 0.0,
                "p50_s": lat.get("p50"), "p95_s": lat.get("p95")}


def levels_up_to(clients: int) -> list[int]:
    """1, 2, 4, … and `clients` itself.

    >>> levels_up_to(6)
    [1, 2, 4, 6]
    """
    out, n = [], 1
    while n < clients:
        out.append(n)
        n *= 2
    return out + [clients]


def run_level(client: Any, clients: int, requests: int, questions: Sequence[str] = QUESTIONS,
              model: str = "rag") -> Level:
    import openai

    level = Level(clients)
    lock = threading.Lock()

    def one_client(k: int) -> None:
        for i in range(requests):
            q = questions[(k + i) % len(questions)]
            t = time.perf_counter()
            try:
                client.chat.completions.create(model=model,
                                               messages=[{"role": "user", "content": q}])
            except openai.RateLimitError:
                with lock:
                    level.busy += 1
                continue
            except openai.OpenAIError as exc:
                with lock:
                    level.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            with lock:
                level.latencies.append(time.perf_counter() - t)

    started = time.perf_counter()
    threads = [threading.Thread(target=one_client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    level.seconds = time.perf_counter() - started
    return level


def load_test(url: str, clients: int, requests: int, api_key: str = "unused",
              timeout: float = 600.0) -> list[dict[str, Any]]:
    """Run every level against the API at `url` (``…/v1``); one row per level."""
    from openai import OpenAI

    client = OpenAI(base_url=url, api_key=api_key, max_retries=0, timeout=timeout)
    rows = []
    for n in levels_up_to(clients):
        level = run_level(client, n, requests)
        rows.append(level.row())
        print(_format(rows[-1]), flush=True)
        for err in level.errors[:3]:
            print(f"    error: {err}", file=sys.stderr)
    return rows


def _format(r: dict[str, Any]) -> str:
    p50 = "n/a" if r["p50_s"] is None else f"{r['p50_s']:.2f} s"
    p95 = "n/a" if r["p95_s"] is None else f"{r['p95_s']:.2f} s"
    return (f"{r['clients']:3d} clients: {r['answered']:3d} answered, "
            f"{r['throughput_per_s']:.2f}/s, p50 {p50}, p95 {p95}, "
            f"429s {r['429']}, errors {r['errors']}")


def main(argv: Sequence[str] | None = None) -> int:
    from rag import Settings

    s = Settings()
    p = argparse.ArgumentParser(prog="rag loadtest", description=__doc__.split("\n\n")[0])
    p.add_argument("--url", default=f"http://127.0.0.1:{s.port}/v1", help="the API's /v1 URL")
    p.add_argument("--clients", type=int, default=s.queue_size,
                   help="highest number of concurrent clients (default: queue_size)")
    p.add_argument("--requests", type=int, default=2, help="requests per client and level")
    args = p.parse_args(list(argv) if argv is not None else None)
    rows = load_test(args.url, args.clients, args.requests,
                     s.api_key.get_secret_value() or "unused")
    return 1 if any(r["errors"] for r in rows) else 0
