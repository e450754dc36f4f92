"""Prometheus alert rules: syntax and behaviour checked by promtool (Debian package prometheus)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

MONITORING = Path(__file__).resolve().parents[1] / "monitoring"
PROMTOOL = shutil.which("promtool")


@pytest.fixture(autouse=True)
def _promtool_present() -> None:
    """Skip without promtool, or fail under SCIDISCO_REQUIRE_SERVICES=1 (``make test``)."""
    if PROMTOOL is not None:
        return
    reason = "promtool not found: apt-get install -y prometheus"
    if os.environ.get("SCIDISCO_REQUIRE_SERVICES") == "1":
        pytest.fail(f"SCIDISCO_REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def _promtool(*args: str) -> subprocess.CompletedProcess:
    assert PROMTOOL is not None
    return subprocess.run(
        [PROMTOOL, *args], cwd=MONITORING, capture_output=True, text=True, timeout=60
    )


@pytest.mark.promtool
def test_rules_file_is_valid():
    result = _promtool("check", "rules", "alerts.rules.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 rules found" in result.stdout + result.stderr


@pytest.mark.promtool
def test_alerts_fire_on_breaking_series_and_stay_quiet_otherwise():
    result = _promtool("test", "rules", "alerts.test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.promtool
def test_a_wrong_expectation_fails(tmp_path: Path):
    # Guards against a vacuous test file: a wrong expected annotation must fail the run.
    text = (MONITORING / "alerts.test.yml").read_text()
    broken = text.replace("alert share is 10% over", "alert share is 3% over")
    assert broken != text
    (tmp_path / "alerts.rules.yml").write_text((MONITORING / "alerts.rules.yml").read_text())
    (tmp_path / "alerts.test.yml").write_text(broken)
    assert PROMTOOL is not None
    result = subprocess.run(
        [PROMTOOL, "test", "rules", "alerts.test.yml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
