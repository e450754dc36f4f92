"""Start the service as a separate process, the way the Docker image does (tests, benchmark)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

DOCKERFILE = Path(__file__).with_name("Dockerfile")
REPO_ROOT = Path(__file__).resolve().parents[2]


def dockerfile_command() -> list[str]:
    """The image's CMD (exec form), with ``python`` meaning this interpreter."""
    match = re.search(r"^CMD\s+(\[.*\])\s*$", DOCKERFILE.read_text(), flags=re.MULTILINE)
    if match is None:
        raise ValueError(f"{DOCKERFILE} has no exec-form CMD line")
    command: list[str] = json.loads(match.group(1))
    return [sys.executable if command[0] == "python" else command[0], *command[1:]]


def dockerfile_env() -> dict[str, str]:
    """The image's ``ENV`` settings (``KEY=value`` pairs, backslash-continued lines joined)."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in re.findall(r"^ENV\s+(.+)$", text, flags=re.MULTILINE):
        env |= dict(pair.split("=", 1) for pair in line.split())
    return env


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_service(serving: Path, port: int, **overrides: str) -> subprocess.Popen[bytes]:
    """Run the Dockerfile's CMD with its ENV, bound to loopback on ``port``.

    The only departures from the image: ``L3_ARTIFACTS`` points at ``serving`` and
    ``L3_HOST`` is 127.0.0.1 (nothing here may listen beyond loopback).
    """
    env = os.environ | dockerfile_env() | overrides
    env |= {"L3_ARTIFACTS": str(serving), "L3_HOST": "127.0.0.1", "L3_PORT": str(port)}
    return subprocess.Popen(dockerfile_command(), cwd=REPO_ROOT, env=env)


def wait_ready(base_url: str, process: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    """Poll /readyz until it answers 200; raise if the process dies or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"service exited with code {process.returncode} before ready")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"service at {base_url} not ready after {timeout_s:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> bool:
    """SIGTERM, then SIGKILL if it has not exited within 10 s; True when SIGTERM sufficed."""
    process.terminate()
    try:
        process.wait(timeout=10)
        return True
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return False
