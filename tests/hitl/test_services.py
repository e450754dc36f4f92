"""Missing services: a helpful skip on a laptop, a failure under ``SCIDISCO_REQUIRE_SERVICES=1``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.hitl.conftest import PG_ENV
from tests.hitl.hitl_helpers import REQUIRE_SERVICES, missing_service

ROOT = Path(__file__).resolve().parents[2]


def test_missing_service_skips_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REQUIRE_SERVICES, raising=False)
    with pytest.raises(pytest.skip.Exception, match=r"^chromium is absent$"):
        missing_service("chromium is absent")


def test_missing_service_fails_when_services_are_required(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(REQUIRE_SERVICES, "1")
    expected = (
        "SCIDISCO_REQUIRE_SERVICES=1 but chromium is absent "
        "(unset SCIDISCO_REQUIRE_SERVICES to skip instead)"
    )
    with pytest.raises(pytest.fail.Exception) as info:
        missing_service("chromium is absent")
    assert str(info.value) == expected


def _pytest(node: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in (PG_ENV, REQUIRE_SERVICES)}
    return subprocess.run(
        [sys.executable, "-m", "pytest", node, "-q", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**clean, **env},
        timeout=300,
    )


def test_postgres_tests_fail_instead_of_skipping_when_required() -> None:
    """The real conftest path, in a child pytest without ``SCIDISCO_TEST_PG_URL``."""
    node = "tests/hitl/test_store.py::test_timestamps_are_utc_aware[postgres]"
    skipped = _pytest(node, {})
    assert skipped.returncode == 0 and "1 skipped" in skipped.stdout, skipped.stdout
    failed = _pytest(node, {REQUIRE_SERVICES: "1"})
    assert failed.returncode == 1 and "1 error" in failed.stdout, failed.stdout
    assert (
        "SCIDISCO_REQUIRE_SERVICES=1 but SCIDISCO_TEST_PG_URL is not set; "
        'run `eval "$(.ci/postgres.sh)"` to test PostgreSQL' in failed.stdout
    )
