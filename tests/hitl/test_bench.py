"""The benchmark's helpers against values worked out by hand, and its own PostgreSQL database."""

from __future__ import annotations

import math
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from hitl import db
from hitl.actions import Action, decide
from hitl.bench.loadgen import Stats
from hitl.bench.run import bench_database, crossing, pct, pending, render, summary
from hitl.models import User
from tests.hitl.conftest import PG_ENV
from tests.hitl.hitl_helpers import missing_service


def test_pct_is_the_nearest_rank_quantile() -> None:
    # The nearest-rank example of percentiles: 5 values, rank = ceil(q * 5).
    values = [40.0, 15.0, 50.0, 35.0, 20.0]  # unsorted on purpose
    assert [pct(values, q) for q in (0.05, 0.3, 0.4, 0.5, 1.0)] == [15, 20, 20, 35, 50]
    ten = [float(v) for v in range(1, 11)]
    assert (pct(ten, 0.5), pct(ten, 0.95), pct(ten, 0.99)) == (5, 10, 10)  # ranks 5, 10, 10
    assert pct([7.0], 0.99) == 7 and math.isnan(pct([], 0.5))


def test_summary_counts_and_quantiles() -> None:
    assert summary([3.0, 1.0, 2.0, 4.0], errors=1, conflicts=2) == {
        "n": 4,
        "p50": 2.0,  # rank ceil(2.0) = 2
        "p95": 4.0,  # rank ceil(3.8) = 4
        "p99": 4.0,
        "errors": 1,
        "conflicts": 2,
    }


def _rows(*pairs: tuple[int, float]) -> list[dict[str, float]]:
    return [{"rate": rate, "p95": p95} for rate, p95 in pairs]


def test_crossing_names_the_last_rate_under_and_the_first_over_100_ms() -> None:
    assert crossing(_rows((10, 5.0), (20, 99.9), (40, 100.1))) == "20-40"
    assert crossing(_rows((10, 5.0), (20, 100.0))) == "> 20 (not crossed)"  # 100 is not over
    assert crossing(_rows((10, 250.0))) == "0-10"
    assert crossing([]) == "not measured"


def test_stats_count_conflicts_apart_from_errors() -> None:
    stats = Stats()
    for kind, ms, status in [
        ("queue", 3.5, 200),
        ("accept", 9.0, 409),
        ("accept", 7.0, 200),
        ("detail", 30.0, 500),
        ("detail", 1.0, None),  # no answer at all (connection error)
        ("filtered", 2.0, 422),
    ]:
        stats.add(kind, ms, status)
    assert stats.to_json() == {
        "latencies": {
            "queue": [3.5],
            "accept": [9.0, 7.0],
            "detail": [30.0, 1.0],
            "filtered": [2.0],
        },
        "errors": {"detail:500": 1, "detail:None": 1, "filtered:422": 1},
        "conflicts": 1,
    }


def _results() -> dict[str, object]:
    row = {"n": 4, "p50": 2.0, "p95": 4.0, "p99": 4.0, "errors": 0, "conflicts": 0}
    return {
        "db": "sqlite",
        "n": 200,
        "workers": 2,
        "users": 5,
        "load_s": 1.4,
        "loadavg_before": [1.5, 1.0, 1.0],
        "loadavg_after": [2.0, 1.0, 1.0],
        "reviewers": {"queue": row, "all": {**row, "conflicts": 3}},
        "sweep_app": [
            {"rate": 10, **row, "seconds": 10.0},
            {"rate": 20, **row, "p95": 150.0, "errors": 1, "conflicts": 2, "seconds": 5.0},
        ],
        "sweep_trivial": [{"rate": 10, **row, "seconds": 10.0}],
        "schemathesis": {"returncode": 0, "summary": ["No issues found"]},
        "seconds": {"load": 1.4, "reviewers": 20.0, "total": 61.4},
    }


def test_render_writes_the_tables_from_the_results() -> None:
    assert render(_results()).splitlines() == [
        "## Review app benchmark (sqlite, 200 hypotheses, 2 workers)",
        "",
        "Load: 1.4 s. Machine load average before/after: 1.5 / 2.0.",
        "",
        "### 5 reviewers, think time ~1 s",
        "",
        "| request | n | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|",
        "| queue | 4 | 2.0 | 4.0 | 4.0 | 0 |",
        "| all | 4 | 2.0 | 4.0 | 4.0 | 0 |",
        "",
        "409 conflicts (two reviewers on one hypothesis): 3",
        "",
        "### Open-loop rate sweep (p95 threshold 100 ms)",
        "",
        "Accepts go to hypotheses still pending, each once; `conflicts` counts 409 answers "
        "(not errors).",
        "",
        "| endpoint | rate req/s | n | p50 ms | p95 ms | p99 ms | errors | conflicts |",
        "|---|---|---|---|---|---|---|---|",
        "| app | 10 | 4 | 2.0 | 4.0 | 4.0 | 0 | 0 |",
        "| app | 20 | 4 | 2.0 | 150.0 | 4.0 | 1 | 2 |",
        "| trivial | 10 | 4 | 2.0 | 4.0 | 4.0 | 0 | 0 |",
        "",
        "p95 crosses 100 ms: review mix at 10-20 req/s; trivial endpoint at > 10 (not crossed) "
        "req/s.",
        "",
        "### schemathesis",
        "",
        "exit code 0",
        "",
        "```",
        "No issues found",
        "```",
        "",
        "Time taken: load 1 s, reviewers 20 s, total 61 s.",
    ]


def test_pending_leaves_out_decided_hypotheses(loaded: str, hyps) -> None:
    with db.database(loaded).write() as s:
        bob = s.scalars(select(User).where(User.username == "bob")).one()
        decide(s, bob, hyps[0].id, Action.ACCEPT, None, 1)
    ids = [hid for hid, _ in pending(loaded)]
    assert len(ids) == 17 and hyps[0].id not in ids
    assert {version for _, version in pending(loaded)} == {1}


def test_bench_database_defaults_to_a_file_in_the_temporary_folder(tmp_path: Path) -> None:
    with bench_database(None, tmp_path) as url:
        assert url == f"sqlite:///{tmp_path / 'bench.db'}"
    with bench_database("sqlite:///elsewhere.db", tmp_path) as url:
        assert url == "sqlite:///elsewhere.db"


@pytest.mark.postgres
def test_bench_database_is_created_on_the_server_and_dropped(tmp_path: Path) -> None:
    server = os.environ.get(PG_ENV)
    if not server:
        missing_service(f'{PG_ENV} is not set; run `eval "$(.ci/postgres.sh)"` to test PostgreSQL')
    with bench_database(server, tmp_path) as url:
        name = url.rsplit("/", 1)[1]
        assert name.startswith("hitl_bench_") and len(name) == len("hitl_bench_") + 8
        db.migrate(url)  # usable: the benchmark loads it next
        assert db.is_current(url)
    engine = create_engine(server)
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
            assert found.scalar() is None  # dropped again
    finally:
        engine.dispose()
