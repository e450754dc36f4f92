"""The Docker image's command, run here as the image would run it (no Docker engine here)."""

from __future__ import annotations

import re
import signal
import tomllib
from importlib.metadata import version
from pathlib import Path

import httpx

from baselines.level3_recommender.launch import (
    DOCKERFILE,
    REPO_ROOT,
    dockerfile_command,
    dockerfile_env,
    free_port,
    start_service,
    stop,
    wait_ready,
)


def test_image_command_serves_recommendations(serving: Path) -> None:
    assert dockerfile_command()[1:] == ["-m", "baselines.level3_recommender.serve"]
    assert dockerfile_env()["L3_ARTIFACTS"] == "/srv/level3"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_service(serving, port)
    graceful = False
    try:
        wait_ready(base, process)
        body = httpx.get(f"{base}/recommendations/3", params={"k": 4}).json()
        assert body["source"] == "batch" and len(body["items"]) == 4
        assert httpx.get(f"{base}/recommendations/3", params={"k": 0}).status_code == 422
        metrics = httpx.get(f"{base}/metrics").text
        assert 'recsys_recommendations_total{source="batch"} 1.0' in metrics
    finally:
        graceful = stop(process)
    # uvicorn shuts down on SIGTERM, then re-raises it: exit status -15, not a SIGKILL.
    assert graceful and process.returncode == -signal.SIGTERM


def test_image_pins_match_the_tested_versions() -> None:
    pins = dict(re.findall(r"^\s+([A-Za-z0-9_-]+)==([^\s\\]+)", DOCKERFILE.read_text(), re.M))
    assert "implicit" in pins and "fastapi" in pins
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    declared = dict(
        spec.split("==", 1)
        for spec in project["dependencies"] + project["optional-dependencies"]["baselines"]
    )
    for name, pinned in pins.items():
        assert version(name) == pinned, name
        if name in declared:
            assert declared[name] == pinned, name


def test_missing_serving_folder_is_a_clear_exit(tmp_path: Path) -> None:
    process = start_service(tmp_path / "absent", free_port())
    assert process.wait(timeout=60) == 2
