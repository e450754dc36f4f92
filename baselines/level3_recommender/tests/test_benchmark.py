"""The load generator's guard rails, and (slow) the benchmark end to end."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from baselines.level3_recommender.benchmark import benchmark, report
from baselines.level3_recommender.loadgen import NEW_USER_BASE, request_plan, run_load


def test_plan_is_bounded_seeded_and_mixes_new_users() -> None:
    plan = request_plan(1000, known_max=610, new_fraction=0.1, seed=3)
    assert len(plan) == 1000 and plan == request_plan(1000, 610, 0.1, 3)
    new = [u for u in plan if u > NEW_USER_BASE]
    assert 60 < len(new) < 140  # binomial(1000, 0.1): mean 100, sd 9.5
    assert all(1 <= u <= 610 for u in plan if u <= NEW_USER_BASE)


def test_load_generator_refuses_non_loopback_targets() -> None:
    with pytest.raises(ValueError, match=r"must be loopback, got host '10\.0\.0\.1'"):
        asyncio.run(run_load("http://10.0.0.1:8000", [1], 1, 10, 1.0))


@pytest.mark.slow
def test_benchmark_reports_both_phases(serving: Path) -> None:
    phases = benchmark(serving, requests=200, concurrency=4)
    healthy, locked = phases["healthy"], phases["store_locked"]
    assert healthy["requests"] == 200 and healthy["status"] == {"200": 200}
    sources = healthy["source"]
    assert isinstance(sources, dict)
    assert set(sources) >= {"batch", "batch_reranked", "cold_start_model"}
    assert locked["requests"] == 50 and locked["fallback_reason"] == {"store_timeout": 50}
    assert "| healthy | 200 | 4 |" in report(phases)
