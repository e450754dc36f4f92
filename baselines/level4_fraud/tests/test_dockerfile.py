"""The Docker image's command, run here as a process exactly as the image would run it.

No Docker engine runs on the project's machines, so the image itself is never built here; what
is checked is its CMD with its ENV (only the paths and, to stay on loopback, L4_HOST differ),
in both roles, and that its pins are the versions the tests ran with.
"""

from __future__ import annotations

import ast
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tomllib
from importlib.metadata import packages_distributions, version
from pathlib import Path

import httpx
import pandas as pd
from packaging.utils import canonicalize_name

from baselines.level4_fraud import data
from baselines.level4_fraud.bench_latency import wait_ready
from baselines.level4_fraud.config import Level4Config

DOCKERFILE = Path(__file__).resolve().parents[1] / "Dockerfile"
REPO_ROOT = Path(__file__).resolve().parents[3]


def dockerfile_command() -> list[str]:
    """The image's exec-form CMD, ``python`` meaning this interpreter."""
    match = re.search(r"^CMD\s+(\[.*\])\s*$", DOCKERFILE.read_text(), flags=re.MULTILINE)
    assert match is not None, f"{DOCKERFILE} has no exec-form CMD line"
    command: list[str] = json.loads(match.group(1))
    return [sys.executable if command[0] == "python" else command[0], *command[1:]]


def dockerfile_env() -> dict[str, str]:
    """The image's ENV pairs (backslash-continued lines joined)."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in re.findall(r"^ENV\s+(.+)$", text, flags=re.MULTILINE):
        env |= dict(pair.split("=", 1) for pair in line.split())
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(port: int, **env: str) -> subprocess.Popen[bytes]:
    full = os.environ | dockerfile_env() | env | {"L4_HOST": "127.0.0.1", "L4_PORT": str(port)}
    return subprocess.Popen(dockerfile_command(), cwd=REPO_ROOT, env=full)


def _stop(process: subprocess.Popen[bytes]) -> bool:
    process.terminate()
    try:
        process.wait(timeout=15)
        return True
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return False


def test_image_command_serves_in_both_roles(
    l4_artifacts: Path, l4_config: Level4Config, l4_shipped: pd.DataFrame
):
    assert dockerfile_command()[1:] == ["-m", "baselines.level4_fraud.serve"]
    assert dockerfile_env()["L4_ARTIFACTS"] == "/models"
    shared = {"L4_ARTIFACTS": str(l4_artifacts), "SCIDISCO_DATA": str(data.data_root())}
    store_port, scorer_port = _free_port(), _free_port()
    store_url, scorer_url = f"http://127.0.0.1:{store_port}", f"http://127.0.0.1:{scorer_port}"
    store = _start(store_port, **shared)
    scorer = _start(scorer_port, L4_FEATURES_URL=store_url, **shared)
    stopped = []
    try:
        wait_ready(store_url, store, timeout_s=180)
        wait_ready(scorer_url, scorer, timeout_s=180)
        first = l4_shipped[l4_shipped["TX_DATETIME"] >= pd.Timestamp(l4_config.split.test_start)]
        row = first.iloc[0]
        payment = {
            "transaction_id": int(row.TRANSACTION_ID),
            "customer_id": int(row.CUSTOMER_ID),
            "terminal_id": int(row.TERMINAL_ID),
            "amount": float(row.TX_AMOUNT),
            "tx_datetime": str(row.TX_DATETIME),
        }
        answer = httpx.post(f"{scorer_url}/score", json=payment, timeout=10)
        assert answer.status_code == 200 and answer.json()["sequence"] == 1
        assert httpx.post(f"{store_url}/score", json=payment, timeout=10).status_code == 409
        metrics = httpx.get(f"{store_url}/metrics", timeout=10).text
        assert "fraud_feature_requests_total 1.0" in metrics
    finally:
        stopped = [_stop(scorer), _stop(store)]
    # uvicorn shuts down on SIGTERM and re-raises it: exit status -15, not a SIGKILL.
    assert stopped == [True, True]
    assert (scorer.returncode, store.returncode) == (-signal.SIGTERM, -signal.SIGTERM)


def test_image_command_exits_2_on_a_missing_run_folder(tmp_path: Path):
    process = _start(_free_port(), L4_ARTIFACTS=str(tmp_path / "absent"))
    assert process.wait(timeout=120) == 2


def test_image_pins_match_the_tested_versions():
    pins = dict(re.findall(r"^\s+([A-Za-z0-9_-]+)==([^\s\\]+)", DOCKERFILE.read_text(), re.M))
    assert {"fastapi", "scikit-learn", "imbalanced-learn", "prometheus-client"} <= set(pins)
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    declared = dict(
        spec.split("#")[0].strip().split("==", 1)
        for spec in project["dependencies"] + project["optional-dependencies"]["baselines"]
        if "==" in spec
    )
    for name, pinned in pins.items():
        assert version(name) == pinned, name
        if name in declared:
            assert declared[name] == pinned, name


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            if node.module == "baselines.level4_fraud":  # from baselines.level4_fraud import data
                names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def test_image_installs_every_package_the_service_imports():
    # Follow the level's own modules from serve.py; every third-party package they import
    # must be pinned in the image (stdlib modules map to no distribution).
    package = DOCKERFILE.parent
    todo, seen, third_party = ["serve"], set(), set()
    while todo:
        module = todo.pop()
        seen.add(module)
        for name in _imports(package / f"{module}.py"):
            if name.startswith("baselines.level4_fraud."):
                own = name.split(".")[2]
                if own not in seen and (package / f"{own}.py").is_file():
                    todo.append(own)
            elif not name.startswith("baselines"):
                third_party.add(name.split(".")[0])
    assert {"remote", "service", "online", "drift", "data"} <= seen
    owners = packages_distributions()
    needed = {canonicalize_name(d) for m in third_party for d in owners.get(m, [])}
    pins = re.findall(r"^\s+([A-Za-z0-9_-]+)==", DOCKERFILE.read_text(), re.M)
    assert "httpx" in needed
    assert needed <= {canonicalize_name(p) for p in pins}
