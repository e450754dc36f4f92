"""Load generator, run as its own process: a bounded number of GETs against a loopback service.

``python -m baselines.level3_recommender.loadgen --base-url http://127.0.0.1:PORT``
prints one JSON object: latency percentiles (ms), throughput, status and source counts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import Counter
from urllib.parse import urlparse

import httpx
import numpy as np

NEW_USER_BASE = 1_000_000  # ids above every MovieLens user: the service has never seen them


def request_plan(n: int, known_max: int, new_fraction: float, seed: int) -> list[int]:
    """User ids to query, in order: mostly known users, ``new_fraction`` new ones."""
    rng = np.random.default_rng(seed)
    known = rng.integers(1, known_max + 1, size=n)
    new = NEW_USER_BASE + rng.integers(1, 61, size=n)
    return np.where(rng.random(n) < new_fraction, new, known).tolist()


async def _one(client: httpx.AsyncClient, user: int, k: int) -> tuple[float, int, str, str]:
    start = time.perf_counter()
    try:
        response = await client.get(f"/recommendations/{user}", params={"k": k})
        elapsed = time.perf_counter() - start
        body = response.json() if response.status_code == 200 else {}
        source = body.get("source", "none")
        return elapsed, response.status_code, source, str(body.get("fallback_reason"))
    except httpx.HTTPError as exc:
        return time.perf_counter() - start, 0, "none", type(exc).__name__


async def run_load(
    base_url: str, users: list[int], concurrency: int, k: int, max_seconds: float
) -> dict[str, object]:
    """One GET per planned user, at most ``concurrency`` in flight, stopping at the deadline."""
    host = urlparse(base_url).hostname or ""
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise ValueError(f"`--base-url` must be loopback, got host {host!r}")
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    results: list[tuple[float, int, str, str]] = []
    queue = list(reversed(users))
    deadline = time.monotonic() + max_seconds
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=10.0) as client:

        async def worker() -> None:
            while queue and time.monotonic() < deadline:
                results.append(await _one(client, queue.pop(), k))

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        wall = time.perf_counter() - start
    latency_ms = np.array([r[0] for r in results]) * 1000.0
    return {
        "requests": len(results),
        "concurrency": concurrency,
        "seconds": wall,
        "requests_per_second": len(results) / wall,
        "latency_ms": {
            "p50": float(np.percentile(latency_ms, 50)),
            "p95": float(np.percentile(latency_ms, 95)),
            "p99": float(np.percentile(latency_ms, 99)),
            "mean": float(latency_ms.mean()),
            "max": float(latency_ms.max()),
        },
        "status": dict(Counter(str(r[1]) for r in results)),
        "source": dict(Counter(r[2] for r in results)),
        "fallback_reason": dict(Counter(r[3] for r in results)),
    }


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the load, print the JSON summary."""
    parser = argparse.ArgumentParser(prog="python -m baselines.level3_recommender.loadgen")
    parser.add_argument("--base-url", required=True, help="loopback URL of the service")
    parser.add_argument("--requests", type=int, default=2000, help="GETs to send (bounded)")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--k", type=int, default=10, help="list length asked for")
    parser.add_argument("--known-max", type=int, default=610, help="largest known userId")
    parser.add_argument("--new-fraction", type=float, default=0.1, help="share of new users")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-seconds", type=float, default=120.0, help="hard stop")
    args = parser.parse_args(argv)
    users = request_plan(args.requests, args.known_max, args.new_fraction, args.seed)
    try:
        summary = asyncio.run(
            run_load(args.base_url, users, args.concurrency, args.k, args.max_seconds)
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
