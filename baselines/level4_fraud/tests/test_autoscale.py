"""Ray Serve autoscaling and the HTTP latency benchmark, run for real on loopback (slow)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from baselines.level4_fraud import bench_latency, ray_autoscale
from baselines.level4_fraud.config import Level4Config
from baselines.level4_fraud.service import load_model, warmed_store


@pytest.mark.slow
def test_ray_serve_scales_the_real_scoring_path(
    l4_artifacts: Path, l4_config: Level4Config, l4_stream: pd.DataFrame, tmp_path: Path
):
    result = ray_autoscale.demo(l4_artifacts, None, load_s=35, idle_s=45, clients=10)
    replicas = [e["scorer_replicas"] for e in result.trace]
    peak = max(replicas)
    assert replicas[0] == 1 < peak <= ray_autoscale.AUTOSCALING["max_replicas"]  # grows
    # The scale-up answers the load: on a busy machine Serve's decision, made from the
    # requests of its look-back window, has landed up to a few seconds after the load stopped.
    load_end = next(e["t_s"] for e in result.trace if e["phase"] == "idle")
    first_up = next(e["t_s"] for e in result.trace if e["scorer_replicas"] > 1)
    assert first_up <= load_end + 10
    assert replicas[-1] < peak  # and shrinks once the load stops
    assert {e["store_replicas"] for e in result.trace} == {1}  # state never split
    assert result.errors == [] and len(result.answers) > 200

    # Replayed one by one in the order the feature store took them, the service's own store and
    # model give the same probabilities: the replicas ran the real scoring path.
    answers = sorted(result.answers, key=lambda a: a["sequence"])
    assert [a["sequence"] for a in answers] == list(range(1, len(answers) + 1))
    rows = l4_stream.set_index("TRANSACTION_ID").loc[[a["transaction_id"] for a in answers]]
    assert rows["TX_DATETIME"].min() >= pd.Timestamp(l4_config.split.test_start)
    store = warmed_store(l4_config, l4_config.split.test_start)
    features = np.vstack(
        [
            store.process(int(r.CUSTOMER_ID), int(r.TERMINAL_ID), float(r.TX_AMOUNT), t)
            for r, t in zip(rows.itertuples(), rows["TX_DATETIME"].dt.to_pydatetime(), strict=True)
        ]
    )
    model = load_model(l4_artifacts / "model_logistic_regression.joblib")
    expected = model.predict_proba(features)[:, 1]  # type: ignore[attr-defined]
    np.testing.assert_allclose([a["fraud_probability"] for a in answers], expected, atol=1e-12)

    summary = ray_autoscale.summary(result)
    assert summary["scorer_replicas_peak"] == peak
    png = ray_autoscale.plot_trace(result.trace, tmp_path / "trace.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_latency_benchmark_writes_a_complete_result(l4_artifacts: Path, tmp_path: Path):
    argv = [
        "--artifacts",
        str(l4_artifacts),
        "--n",
        "300",
        "--port",
        "8791",
        "--out",
        str(tmp_path),
    ]
    assert bench_latency.main(argv) == 0
    result = json.loads((tmp_path / "latency_logistic_regression.json").read_text())
    assert set(result) == {
        "model",
        "requests",
        "warmup_requests",
        "first_day",
        "seconds",
        "drift_checks_during_run",
        "end_to_end",
        "in_service",
        "reference_health",
        "p99_ratio_to_reference",
        "target_p99_ms",
        "target_met",
        "machine",
        "load_average_1min",
    }
    assert (result["model"], result["requests"]) == ("logistic_regression", 300)
    assert dt.date.fromisoformat(result["first_day"]) == dt.date(2018, 8, 8)
    for part in bench_latency.PARTS:
        p = result[part]
        assert set(p) == {"p50_ms", "p95_ms", "p99_ms", "max_ms"}
        assert 0 < p["p50_ms"] <= p["p95_ms"] <= p["p99_ms"] <= p["max_ms"]
    # The server's own time is part of what the client waits for.
    assert result["in_service"]["p50_ms"] < result["end_to_end"]["p50_ms"]
    assert result["target_met"] == (result["end_to_end"]["p99_ms"] < 10.0)
    # 400 payments with drift_every 500: no check was due.
    assert result["drift_checks_during_run"] == 0


def test_benchmark_refuses_a_missing_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    assert bench_latency.main(["--artifacts", str(tmp_path), "--model", "random_forest"]) == 2
    assert "model_random_forest.joblib not found" in capsys.readouterr().err
