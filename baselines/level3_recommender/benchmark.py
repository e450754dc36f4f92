"""Latency benchmark: the service under a bounded load from a separate process, on loopback.

``python -m baselines.level3_recommender.benchmark [--serving DIR] [--requests N] [--out DIR]``

Two phases against one service process started with the Docker image's command:
``healthy`` (store, model and popularity list all up; some users have recent interactions, some
are new) and ``store_locked`` (a writer holds the SQLite store, so every lookup must hit the
timeout and fall back). Prints p50/p95/p99 per phase and writes ``benchmark.json``/``.md``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from .batch import run_batch
from .config import load_config
from .data import load_movielens
from .launch import free_port, start_service, stop, wait_ready
from .layout import STORE
from .loadgen import NEW_USER_BASE

logger = logging.getLogger(__name__)


def prime(base: str) -> None:
    """Give users 1-60 and half of the new users (ids +1..+30) two recent interactions each."""
    with httpx.Client(base_url=base, timeout=10.0) as client:
        for user in [*range(1, 61), *range(NEW_USER_BASE + 1, NEW_USER_BASE + 31)]:
            for movie in (260, 1196):
                client.post(f"/users/{user}/interactions", json={"movie_id": movie})


def load_phase(base: str, requests: int, concurrency: int, seed: int) -> dict[str, object]:
    """Run the load generator in its own process and return its JSON summary."""
    command = [
        sys.executable, "-m", "baselines.level3_recommender.loadgen", "--base-url", base,
        "--requests", str(requests), "--concurrency", str(concurrency), "--seed", str(seed),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    summary: dict[str, object] = json.loads(done.stdout)
    return summary


def fallback_counts(base: str) -> dict[str, float]:
    """recsys_fallbacks_total by reason, scraped from /metrics."""
    text = httpx.get(f"{base}/metrics", timeout=5.0).text
    return {
        sample.labels["reason"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "recsys_fallbacks_total"
    }


def benchmark(serving: Path, requests: int, concurrency: int) -> dict[str, dict[str, object]]:
    """Start the service, run both phases, stop it; return the summaries by phase."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_service(serving, port)
    try:
        wait_ready(base, process)
        prime(base)
        load_phase(base, 100, concurrency, seed=99)  # warm-up, not reported
        phases = {"healthy": load_phase(base, requests, concurrency, seed=0)}
        phases["healthy"]["load_average_1m"] = os.getloadavg()[0]
        locker = sqlite3.connect(serving / STORE, isolation_level=None)
        try:
            locker.execute("BEGIN EXCLUSIVE")
            phases["store_locked"] = load_phase(base, requests // 4, concurrency, seed=1)
            phases["store_locked"]["load_average_1m"] = os.getloadavg()[0]
        finally:
            locker.rollback()
            locker.close()
        # Scraped once at the end: the counters are cumulative over both phases.
        phases["store_locked"]["server_fallbacks_total_cumulative"] = fallback_counts(base)
    finally:
        stop(process)
    return phases


def report(phases: dict[str, dict[str, object]]) -> str:
    """A Markdown table of the phases."""
    lines = [
        "| phase | requests | concurrency | req/s | p50 ms | p95 ms | p99 ms | max ms | status "
        "| machine load (1 min) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for name, s in phases.items():
        lat: dict[str, float] = s["latency_ms"]  # type: ignore[assignment]
        lines.append(
            f"| {name} | {s['requests']} | {s['concurrency']} | "
            f"{s['requests_per_second']:.0f} | {lat['p50']:.1f} | {lat['p95']:.1f} | "
            f"{lat['p99']:.1f} | {lat['max']:.1f} | {s['status']} | {s['load_average_1m']:.1f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Build a serving folder if none is given, benchmark it, print and save the results."""
    parser = argparse.ArgumentParser(prog="python -m baselines.level3_recommender.benchmark")
    parser.add_argument("--serving", type=Path, help="serving folder (default: build one)")
    parser.add_argument("--requests", type=int, default=2000, help="GETs in the healthy phase")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    parser.add_argument("--out", type=Path, default=Path("runs/baselines/level3_benchmark"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    args.out.mkdir(parents=True, exist_ok=True)
    serving = args.serving
    if serving is None:
        serving = args.out / "serving"
        cfg = load_config()
        run_batch(load_movielens(cfg.data.folder), cfg, serving)
    phases = benchmark(serving, args.requests, args.concurrency)
    table = report(phases)
    (args.out / "benchmark.json").write_text(json.dumps(phases, indent=2), encoding="utf-8")
    (args.out / "benchmark.md").write_text(table, encoding="utf-8")
    print(table)
    for name, summary in phases.items():
        print(name, "sources:", summary["source"], "fallback reasons:", summary["fallback_reason"])
    print(f"output: {args.out.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
