"""Load generator for the review app, run as its own process.

Two modes, both with a bounded request count:

- ``reviewers``: closed loop. N simulated reviewers each repeat queue page -> filtered query
  -> detail page -> accept, thinking about one second (uniform 0.5-1.5 s) between requests.
- ``rate``: open loop. Requests start on a fixed schedule at R requests/s; latency counts from
  the scheduled start, so a slow server cannot hide its queue (no coordinated omission).
  ``--endpoint app`` cycles the four review requests; ``--endpoint trivial`` hits /api/health.

Prints one JSON object: per-kind latencies (ms) and counts of errors and 409 conflicts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

KINDS = ("queue", "filtered", "detail", "accept")


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    conflicts: int = 0

    def add(self, kind: str, ms: float, status: int | None) -> None:
        if status == 409:
            self.conflicts += 1
        elif status is None or status >= 400:
            self.errors[f"{kind}:{status}"] += 1
        self.latencies[kind].append(ms)

    def to_json(self) -> dict[str, object]:
        return {"latencies": self.latencies, "errors": self.errors, "conflicts": self.conflicts}


class Review:
    """The four review requests; ``pool`` holds (id, version) of pending hypotheses."""

    def __init__(self, client: httpx.AsyncClient, pool: list[tuple[str, int]], seed: int) -> None:
        self.client, self.pool, self.rng = client, pool, random.Random(seed)

    async def call(
        self, kind: str, stats: Stats, start: float, item: tuple[str, int] | None = None
    ) -> httpx.Response | None:
        try:
            response = await self._send(kind, item)
            status: int | None = response.status_code
        except httpx.HTTPError:
            response, status = None, None
        stats.add(kind, (time.perf_counter() - start) * 1000, status)
        return response

    async def _send(self, kind: str, item: tuple[str, int] | None) -> httpx.Response:
        rng = self.rng
        if kind == "queue":
            return await self.client.get("/hypotheses", params={"page": rng.randint(1, 100)})
        if kind == "filtered":
            params: dict[str, str | int | float] = {
                "status": "pending",
                "verdict": "pass",
                "score_min": 0.2,
                "q": rng.choice(["cancer", "induced", "toxicity", "mice", "patients"]),
                "sort": "-score",
                "page": rng.randint(1, 5),
            }
            return await self.client.get("/api/hypotheses", params=params)
        hid, version = item or rng.choice(self.pool)
        if kind == "detail":
            return await self.client.get(f"/hypotheses/{hid}")
        body = {"action": "accept", "comment": "benchmark", "version": version}
        return await self.client.post(f"/api/hypotheses/{hid}/decision", json=body)


async def reviewers(
    base: str, token: str, users: int, total: int, think: float, pool: list[tuple[str, int]]
) -> Stats:
    stats, budget = Stats(), [total]
    limits = httpx.Limits(max_connections=users + 10, max_keepalive_connections=users + 10)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=30
    ) as client:

        async def one(n: int) -> None:
            review = Review(client, pool, seed=n)
            await asyncio.sleep(review.rng.uniform(0, think))  # stagger the start
            while budget[0] > 0:
                picked: tuple[str, int] | None = None
                for kind in KINDS:
                    if budget[0] <= 0:
                        return
                    budget[0] -= 1
                    response = await review.call(kind, stats, time.perf_counter(), picked)
                    if kind == "filtered" and response is not None and response.status_code == 200:
                        items = response.json()["items"]
                        if items:
                            choice = review.rng.choice(items)
                            picked = (choice["id"], choice["version"])
                    await asyncio.sleep(review.rng.uniform(0.5 * think, 1.5 * think))

        await asyncio.gather(*(one(n) for n in range(users)))
    return stats


async def at_rate(
    base: str, token: str, rate: float, count: int, endpoint: str, pool: list[tuple[str, int]]
) -> Stats:
    stats = Stats()
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=400, max_keepalive_connections=400)
    async with httpx.AsyncClient(
        base_url=base, headers=headers, limits=limits, timeout=30
    ) as client:
        review = Review(client, pool, seed=int(rate))
        tasks: list[asyncio.Task[Any]] = []
        fresh = iter(pool)
        t0 = time.perf_counter() + 0.05
        for i in range(count):
            start = t0 + i / rate
            delay = start - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if endpoint == "trivial":
                tasks.append(asyncio.create_task(_health(client, stats, start)))
            else:
                kind = KINDS[i % len(KINDS)]
                item = next(fresh) if kind == "accept" else None
                tasks.append(asyncio.create_task(review.call(kind, stats, start, item)))
        await asyncio.gather(*tasks)
    return stats


async def _health(client: httpx.AsyncClient, stats: Stats, start: float) -> None:
    try:
        status: int | None = (await client.get("/api/health")).status_code
    except httpx.HTTPError:
        status = None
    stats.add("trivial", (time.perf_counter() - start) * 1000, status)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--base", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--pool", required=True, help="JSON file: [[id, version], ...] of pending rows")
    p.add_argument("--mode", choices=["reviewers", "rate"], required=True)
    p.add_argument("--users", type=int, default=50)
    p.add_argument("--think", type=float, default=1.0)
    p.add_argument("--total", type=int, default=2000, help="request budget (reviewers mode)")
    p.add_argument("--rate", type=float, default=50.0)
    p.add_argument("--count", type=int, default=200, help="requests to send (rate mode)")
    p.add_argument("--endpoint", choices=["app", "trivial"], default="app")
    args = p.parse_args()
    with open(args.pool) as f:
        pool = [tuple(x) for x in json.load(f)]
    if args.mode == "reviewers":
        stats = asyncio.run(
            reviewers(args.base, args.token, args.users, args.total, args.think, pool)
        )
    else:
        stats = asyncio.run(
            at_rate(args.base, args.token, args.rate, args.count, args.endpoint, pool)
        )
    print(json.dumps(stats.to_json()))


if __name__ == "__main__":
    main()
