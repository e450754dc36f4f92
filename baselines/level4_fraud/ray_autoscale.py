"""Ray Serve autoscaling on loopback: the real scoring path, replicas growing under load.

``python -m baselines.level4_fraud.ray_autoscale --artifacts DIR [--config PATH] [--out DIR]
[--load-s 40] [--idle-s 50] [--clients 12]``

Two deployments (``ray.init(num_cpus=2)``, HTTP on 127.0.0.1 only):

- ``FeatureStore``, one replica: the service's :class:`~baselines.level4_fraud.service.FraudService`
  (online feature store warmed with the history before the first test day, drift window). It is
  the only holder of card and terminal state, so no card's history is split between replicas;
  it computes each raw payment's features under the service's lock (~0.1 ms).
- ``FraudScorer``, the HTTP ingress, autoscaled between 1 and 3 replicas on ongoing requests
  per replica: takes a raw payment (the /score body), gets its features from ``FeatureStore``
  and scores them with the service's model (``service.model`` of the config).

A load phase posts the config's test-week payments, each once, in time order from concurrent
clients; an idle phase follows. Every second the running replicas and the requests answered are
recorded; the trace goes to ``ray_autoscale_trace.json`` and ``ray_autoscale_trace.png``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import ray
from ray import serve
from ray.serve.handle import DeploymentHandle
from starlette.requests import Request

from baselines.level4_fraud import data
from baselines.level4_fraud.config import ConfigError, load_config
from baselines.level4_fraud.service import (
    MissingArtifactError,
    Transaction,
    artifact_paths,
    load_model,
    load_service,
)

logger = logging.getLogger(__name__)
PORT = 8011
AUTOSCALING = {
    "min_replicas": 1,
    "max_replicas": 3,
    "target_ongoing_requests": 2,
    "upscale_delay_s": 2,
    "downscale_delay_s": 8,
}


class FeatureStore:
    """The one stateful replica: online features of raw payments, in arrival order."""

    def __init__(self, config_path: str | None, artifacts: str, start: str) -> None:
        cfg = load_config(config_path)
        self.service = load_service(cfg, Path(artifacts), dt.date.fromisoformat(start))

    def features(self, payment: dict) -> tuple[list[float], int]:
        """Features (handbook order) and sequence number of one raw payment."""
        x, sequence = self.service.features(Transaction.model_validate(payment))
        return x.tolist(), sequence


class FraudScorer:
    """Autoscaled ingress: raw payment in, fraud probability out."""

    def __init__(self, store: DeploymentHandle, model_path: str, threshold: float) -> None:
        self.store = store
        self.model = load_model(Path(model_path))
        self.threshold = threshold

    async def __call__(self, request: Request) -> dict:
        payment = await request.json()
        x, sequence = await self.store.features.remote(payment)
        prob = float(self.model.predict_proba(np.asarray([x]))[0, 1])  # type: ignore[attr-defined]
        return {
            "transaction_id": payment["transaction_id"],
            "fraud_probability": prob,
            "alert": prob >= self.threshold,
            "sequence": sequence,
        }


# Half a CPU per replica: the store and up to three scorers fit in ray.init(num_cpus=2).
STORE_DEPLOYMENT = serve.deployment(
    name="FeatureStore",
    num_replicas=1,
    ray_actor_options={"num_cpus": 0.5},
    max_ongoing_requests=64,
)(FeatureStore)
SCORER_DEPLOYMENT = serve.deployment(
    name="FraudScorer", ray_actor_options={"num_cpus": 0.5}, autoscaling_config=AUTOSCALING
)(FraudScorer)


def replicas(deployment: str, app: str = "fraud") -> int:
    """Running replicas of one deployment of the application."""
    status = serve.status().applications.get(app)
    if status is None or deployment not in status.deployments:
        return 0
    states = status.deployments[deployment].replica_states
    # Keys are ReplicaState enums in some Ray versions and plain strings in others.
    return sum(n for state, n in states.items() if getattr(state, "value", state) == "RUNNING")


@dataclass
class _Load:
    """Payments to send (each once) and what came back, shared by the client threads."""

    payments: Iterator[dict]
    lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)
    answers: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def next_payment(self) -> dict | None:
        with self.lock:
            return next(self.payments, None)


def _client(url: str, load: _Load) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        while not load.stop.is_set() and (payment := load.next_payment()) is not None:
            try:
                response = client.post("/", json=payment)
                response.raise_for_status()
            except httpx.HTTPError as exc:
                load.errors.append(f"{payment['transaction_id']}: {exc}")
                continue
            load.answers.append(response.json())


def payments(stream: pd.DataFrame, start: dt.date) -> Iterator[dict]:
    """The raw payments from ``start`` on, in time order, as /score bodies (no labels)."""
    later = stream[stream["TX_DATETIME"] >= pd.Timestamp(start)]
    for row in later.itertuples():
        yield {
            "transaction_id": int(row.TRANSACTION_ID),
            "customer_id": int(row.CUSTOMER_ID),
            "terminal_id": int(row.TERMINAL_ID),
            "amount": float(row.TX_AMOUNT),
            "tx_datetime": row.TX_DATETIME.isoformat(sep=" "),
        }


@dataclass
class DemoResult:
    """The replica trace (one entry a second), every answer, and the failed requests."""

    trace: list[dict]
    answers: list[dict]
    errors: list[str]


def demo(
    artifacts: Path,
    config_path: str | Path | None = None,
    load_s: float = 40,
    idle_s: float = 50,
    clients: int = 12,
    port: int = PORT,
) -> DemoResult:
    """Deploy, run the load and idle phases, and shut everything down.

    Raises:
        ConfigError, MissingArtifactError, MissingDataError: checked before Ray starts.
    """
    cfg = load_config(config_path)
    model_path, _ = artifact_paths(cfg, artifacts)
    start = cfg.split.test_start
    load = _Load(payments(data.load_stream(cfg), start))

    # A small object store: replicas exchange only small JSON, and the machine may be shared.
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        object_store_memory=200 * 1024**2,
    )
    try:
        serve.start(http_options={"host": "127.0.0.1", "port": port})
        config_arg = str(config_path) if config_path is not None else None
        store = STORE_DEPLOYMENT.bind(config_arg, str(artifacts.resolve()), start.isoformat())
        app = SCORER_DEPLOYMENT.bind(store, str(model_path.resolve()), cfg.service.alert_threshold)
        serve.run(app, name="fraud", route_prefix="/")
        trace = _drive(f"http://127.0.0.1:{port}", load, load_s, idle_s, clients)
    finally:
        load.stop.set()
        serve.shutdown()
        ray.shutdown()
    return DemoResult(trace, load.answers, load.errors)


def _drive(url: str, load: _Load, load_s: float, idle_s: float, clients: int) -> list[dict]:
    threads = [
        threading.Thread(target=_client, args=(url, load), daemon=True) for _ in range(clients)
    ]
    begin = time.monotonic()
    for thread in threads:
        thread.start()
    trace: list[dict] = []
    done_before = 0
    while (elapsed := time.monotonic() - begin) < load_s + idle_s:
        if elapsed >= load_s and not load.stop.is_set():
            load.stop.set()
        done = len(load.answers)
        entry = {
            "t_s": round(elapsed, 1),
            "phase": "idle" if load.stop.is_set() else "load",
            "scorer_replicas": replicas("FraudScorer"),
            "store_replicas": replicas("FeatureStore"),
            "requests_done": done,
            "requests_per_s": done - done_before,
            "errors": len(load.errors),
        }
        done_before = done
        trace.append(entry)
        print(json.dumps(entry), flush=True)
        time.sleep(max(0.0, begin + len(trace) - time.monotonic()))
    for thread in threads:
        thread.join(timeout=30)
    return trace


def plot_trace(trace: list[dict], path: Path) -> Path:
    """Replicas and answered requests per second over time, load phase shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [e["t_s"] for e in trace]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5), sharex=True)
    load_end = max((e["t_s"] for e in trace if e["phase"] == "load"), default=0)
    for ax in (top, bottom):
        ax.axvspan(0, load_end, color="tab:orange", alpha=0.15, label="load phase")
    top.step(t, [e["scorer_replicas"] for e in trace], where="post", label="FraudScorer")
    top.step(t, [e["store_replicas"] for e in trace], where="post", label="FeatureStore")
    top.set_ylabel("running replicas")
    top.set_ylim(0, AUTOSCALING["max_replicas"] + 1.5)  # room for the legend above the lines
    top.legend(loc="upper left", ncol=3)
    bottom.plot(t, [e["requests_per_s"] for e in trace], color="tab:green")
    bottom.set_ylabel("answers / s")
    bottom.set_xlabel("seconds since load started")
    fig.suptitle("Ray Serve autoscaling of the fraud scorer (2 CPUs, loopback)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def summary(result: DemoResult) -> dict:
    """Start, peak and final replicas, when they changed, throughput and failures."""
    trace = result.trace
    load = [e for e in trace if e["phase"] == "load"]
    peak = max(e["scorer_replicas"] for e in trace)
    first_peak = next(e["t_s"] for e in trace if e["scorer_replicas"] == peak)
    idle_start = next((e["t_s"] for e in trace if e["phase"] == "idle"), None)
    return {
        "scorer_replicas_at_start": trace[0]["scorer_replicas"],
        "scorer_replicas_peak": peak,
        "peak_reached_at_s": first_peak,
        "load_stopped_at_s": idle_start,
        "scorer_replicas_at_end": trace[-1]["scorer_replicas"],
        "store_replicas_max": max(e["store_replicas"] for e in trace),
        "requests_answered": len(result.answers),
        "requests_failed": len(result.errors),
        "mean_answers_per_s_under_load": sum(e["requests_per_s"] for e in load) / max(len(load), 1),
    }


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: prints the trace, saves it as JSON and PNG; 2 on a user mistake."""
    parser = argparse.ArgumentParser(prog="python -m baselines.level4_fraud.ray_autoscale")
    parser.add_argument("--artifacts", default="runs/level4_fraud", help="run folder (models)")
    parser.add_argument("--config", default=None, help="YAML config (default: packaged one)")
    parser.add_argument("--out", default=None, help="folder for the trace (default: artifacts)")
    parser.add_argument("--load-s", type=float, default=40)
    parser.add_argument("--idle-s", type=float, default=50)
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--port", type=int, default=PORT, help="Ray Serve HTTP port (loopback)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    artifacts = Path(args.artifacts)
    try:
        result = demo(artifacts, args.config, args.load_s, args.idle_s, args.clients, args.port)
    except (ConfigError, MissingArtifactError, data.MissingDataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out) if args.out else artifacts
    out.mkdir(parents=True, exist_ok=True)
    record = {"autoscaling": AUTOSCALING, "summary": summary(result), "trace": result.trace}
    (out / "ray_autoscale_trace.json").write_text(json.dumps(record, indent=2))
    plot_trace(result.trace, out / "ray_autoscale_trace.png")
    print(json.dumps(record["summary"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
