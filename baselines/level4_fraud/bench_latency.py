"""Latency benchmark of the scoring service over HTTP, one payment per request.

``python -m baselines.level4_fraud.bench_latency --artifacts runs/level4_fraud [--n 2000]
[--model NAME]``

Starts the service with uvicorn on loopback pinned to two cores (``taskset -c 0,1`` when
available) in its own process, sends it the test week's payments one at a time from this
process, and prints percentiles of the end-to-end (client) and in-service (features + model)
latency against the target (p99 < 10 ms). The reference, measured in the same run on the same
connection, is ``GET /health``: the HTTP and framework cost with no features and no model, so
the ratio shows what scoring adds. The 1-minute load average is printed before and after, as
the machine may be shared.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
from tqdm import tqdm

from baselines.level4_fraud import data
from baselines.level4_fraud.config import load_config


def _wait_ready(url: str, process: subprocess.Popen, timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"service exited with code {process.returncode} before ready")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.5)
    raise TimeoutError(f"service at {url} not ready after {timeout_s} s")


TARGET_P99_MS = 10.0
WARMUP = 100


def percentiles(values_ms: list[float]) -> dict[str, float]:
    """p50, p95, p99 and max of latencies in milliseconds."""
    arr = np.asarray(values_ms)
    return {
        "p50_ms": float(np.percentile(arr, 50)),
        "p95_ms": float(np.percentile(arr, 95)),
        "p99_ms": float(np.percentile(arr, 99)),
        "max_ms": float(arr.max()),
    }


def _payload(row: Any) -> dict:
    return {
        "transaction_id": int(row.TRANSACTION_ID),
        "customer_id": int(row.CUSTOMER_ID),
        "terminal_id": int(row.TERMINAL_ID),
        "amount": float(row.TX_AMOUNT),
        "tx_datetime": row.TX_DATETIME.isoformat(),
    }


def measure(url: str, rows: pd.DataFrame) -> dict[str, list[float]]:
    """Send ``rows`` one by one (the first WARMUP unrecorded), each followed by a /health call."""
    times: dict[str, list[float]] = {"client": [], "service": [], "health": []}
    with httpx.Client(base_url=url, timeout=10) as client:
        for i, row in enumerate(tqdm(rows.itertuples(), total=len(rows), desc="requests")):
            t0 = time.perf_counter()
            answer = client.post("/score", json=_payload(row)).raise_for_status().json()
            t1 = time.perf_counter()
            client.get("/health").raise_for_status()
            t2 = time.perf_counter()
            if i >= WARMUP:
                times["client"].append((t1 - t0) * 1000)
                times["service"].append(answer["latency_ms"])
                times["health"].append((t2 - t1) * 1000)
    return times


def _server_command(args: argparse.Namespace, start: dt.date) -> list[str]:
    cmd = [sys.executable, "-m", "baselines.level4_fraud.serve", "--artifacts", args.artifacts]
    cmd += ["--start", start.isoformat(), "--port", str(args.port)]
    if args.config:
        cmd += ["--config", args.config]
    if args.model:
        cmd += ["--model", args.model]
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        cmd = ["taskset", "-c", "0,1", *cmd]
    return cmd


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark; print, save (``latency_<model>.json``) and return the results."""
    parser = argparse.ArgumentParser(prog="python -m baselines.level4_fraud.bench_latency")
    parser.add_argument("--artifacts", default="runs/level4_fraud")
    parser.add_argument("--config", default=None)
    parser.add_argument("--model", default=None, help="saved model name (default: config's)")
    parser.add_argument("--n", type=int, default=2000, help="payments measured")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    cfg = load_config(args.config)
    model = args.model or cfg.service.model
    start = cfg.split.test_start
    stream = data.load_stream(cfg)
    rows = stream[stream["TX_DATETIME"] >= pd.Timestamp(start)].head(args.n + WARMUP)

    url = f"http://127.0.0.1:{args.port}"
    load_before = os.getloadavg()[0]
    server = subprocess.Popen(_server_command(args, start))
    try:
        _wait_ready(url, server)
        times = measure(url, rows)
    finally:
        server.terminate()
        server.wait(timeout=30)
    end_to_end, health = percentiles(times["client"]), percentiles(times["health"])
    result = {
        "model": model,
        "requests": len(times["client"]),
        "first_day": start.isoformat(),
        "load_average_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "end_to_end": end_to_end,
        "in_service": percentiles(times["service"]),
        "reference_health": health,
        "p99_ratio_to_reference": end_to_end["p99_ms"] / health["p99_ms"],
        "target_p99_ms": TARGET_P99_MS,
        "target_met": end_to_end["p99_ms"] < TARGET_P99_MS,
    }
    print(json.dumps(result, indent=2))
    out = Path(args.artifacts) / f"latency_{model}.json"
    out.write_text(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
