"""Ray Serve autoscaling and the HTTP latency benchmark, run for real on loopback (slow)."""

from __future__ import annotations

from pathlib import Path

import pytest

from baselines.level4_fraud import bench_latency, ray_autoscale


@pytest.mark.slow
def test_ray_serve_scales_out_under_load_and_back_in_after(l4_artifacts: Path):
    trace = ray_autoscale.demo(
        l4_artifacts, "logistic_regression", load_s=30, idle_s=45, clients=10
    )
    load = [e["replicas"] for e in trace if e["phase"] == "load"]
    idle = [e["replicas"] for e in trace if e["phase"] == "idle"]
    assert load[0] <= 1 < max(load)  # starts at min_replicas, grows under load
    assert idle[-1] < max(load + idle)  # shrinks once the load stops
    assert trace[-1]["requests_done"] > 0


@pytest.mark.slow
def test_latency_benchmark_reports_percentiles(l4_artifacts: Path):
    result = bench_latency.main(["--artifacts", str(l4_artifacts), "--n", "200", "--port", "8791"])
    assert result["requests"] == 200
    for part in ("end_to_end", "in_service", "reference_health"):
        p = result[part]
        assert 0 < p["p50_ms"] <= p["p95_ms"] <= p["p99_ms"] <= p["max_ms"]
    # The server's own time is part of what the client waits for.
    assert result["in_service"]["p50_ms"] < result["end_to_end"]["p50_ms"]
    assert (l4_artifacts / "latency_logistic_regression.json").is_file()
