"""Ray Serve autoscaling demonstration on loopback: replicas grow under load and shrink after.

``python -m baselines.level4_fraud.ray_autoscale --artifacts runs/level4_fraud``

Serves the saved model with Ray Serve (``ray.init(num_cpus=2)``, HTTP on 127.0.0.1 only),
autoscaling between 1 and 4 replicas on ongoing requests per replica. A load phase sends
payments of the test week from concurrent clients; an idle phase follows. The number of running
replicas is printed every second. Replicas score feature vectors: the stateful per-card
feature store stays in front of them (in a cluster: an external store or card-sharded routing).
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path

import httpx
import joblib
import numpy as np
import ray
from ray import serve
from starlette.requests import Request

from baselines.level4_fraud import evaluation
from baselines.level4_fraud.config import load_config
from baselines.level4_fraud.features import feature_names
from baselines.level4_fraud.task import build_features

PORT = 8011
AUTOSCALING = {
    "min_replicas": 1,
    "max_replicas": 4,
    "target_ongoing_requests": 2,
    "upscale_delay_s": 2,
    "downscale_delay_s": 8,
}


class Scorer:
    """One replica: the fitted pipeline scoring the feature rows it is sent."""

    def __init__(self, model_path: str) -> None:
        self.model = joblib.load(model_path)
        for step in getattr(self.model, "named_steps", {}).values():
            if hasattr(step, "n_jobs"):
                step.n_jobs = 1

    async def __call__(self, request: Request) -> dict:
        rows = np.asarray((await request.json())["features"], dtype=np.float64)
        return {"fraud_probability": self.model.predict_proba(rows)[:, 1].tolist()}


# Half a CPU per replica: four replicas fit in ray.init(num_cpus=2).
SCORER = serve.deployment(ray_actor_options={"num_cpus": 0.5}, autoscaling_config=AUTOSCALING)(
    Scorer
)


def replicas(app: str = "fraud") -> int:
    """Running replicas of the scorer deployment."""
    status = serve.status().applications.get(app)
    if status is None:
        return 0
    states = status.deployments["Scorer"].replica_states
    return sum(n for state, n in states.items() if state.value == "RUNNING")


def _load(
    url: str, rows: np.ndarray, stop: threading.Event, counter: list[int], batch: int
) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        i = 0
        while not stop.is_set():
            chunk = rows[(i * batch) % len(rows) :][:batch]
            client.post("/", json={"features": chunk.tolist()}).raise_for_status()
            counter[0] += 1
            i += 1


def demo(
    artifacts: Path,
    model: str,
    load_s: float,
    idle_s: float,
    clients: int,
    port: int = PORT,
) -> list[dict]:
    """Run the load and idle phases; return the replica trace (one entry per second)."""
    cfg = load_config()
    frame = build_features(cfg)
    _, test = evaluation.train_test_split(frame, cfg.split)
    rows = test[feature_names(cfg.features.windows_days)].to_numpy()

    # A small object store: replicas exchange only JSON, and the machine may be shared.
    ray.init(
        num_cpus=2,
        include_dashboard=False,
        log_to_driver=False,
        object_store_memory=200 * 1024**2,
    )
    serve.start(http_options={"host": "127.0.0.1", "port": port})
    serve.run(SCORER.bind(str(artifacts / f"model_{model}.joblib")), name="fraud")
    trace: list[dict] = []
    stop, counter = threading.Event(), [0]
    threads = [
        threading.Thread(
            target=_load, args=(f"http://127.0.0.1:{port}", rows, stop, counter, 64), daemon=True
        )
        for _ in range(clients)
    ]
    start = time.monotonic()
    for t in threads:
        t.start()
    try:
        while (elapsed := time.monotonic() - start) < load_s + idle_s:
            if elapsed >= load_s and not stop.is_set():
                stop.set()
            entry = {
                "t_s": round(elapsed),
                "phase": "idle" if stop.is_set() else "load",
                "replicas": replicas(),
                "requests_done": counter[0],
            }
            trace.append(entry)
            print(json.dumps(entry), flush=True)
            time.sleep(1)
    finally:
        stop.set()
        serve.shutdown()
        ray.shutdown()
    return trace


def main(argv: list[str] | None = None) -> list[dict]:
    """CLI entry point: prints and saves the replica trace."""
    parser = argparse.ArgumentParser(prog="python -m baselines.level4_fraud.ray_autoscale")
    parser.add_argument("--artifacts", default="runs/level4_fraud")
    parser.add_argument("--model", default="logistic_regression")
    parser.add_argument("--load-s", type=float, default=30)
    parser.add_argument("--idle-s", type=float, default=40)
    parser.add_argument("--clients", type=int, default=12)
    parser.add_argument("--port", type=int, default=PORT, help="Ray Serve HTTP port (loopback)")
    args = parser.parse_args(argv)
    artifacts = Path(args.artifacts)
    trace = demo(artifacts, args.model, args.load_s, args.idle_s, args.clients, args.port)
    (artifacts / "ray_autoscale_trace.json").write_text(json.dumps(trace, indent=2))
    peak = max(e["replicas"] for e in trace)
    print(f"peak replicas under load: {peak}; replicas at the end: {trace[-1]['replicas']}")
    return trace


if __name__ == "__main__":
    main()
