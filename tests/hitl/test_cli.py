"""The command line, and durability: a killed server loses no committed decision."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from hitl import db, service
from hitl.models import HypothesisRow
from tests.hitl.hitl_helpers import make_token

ROOT = Path(__file__).resolve().parents[2]


def _hitl(
    *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hitl", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_admin_commands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    r = _hitl(
        "admin",
        "create-user",
        "--db",
        url,
        "--username",
        "carol",
        "--role",
        "admin",
        "--password-stdin",
        stdin="a long password\n",
    )
    assert r.returncode == 0 and r.stdout.strip() == "created admin 'carol' (id 1)"
    r = _hitl(
        "admin",
        "create-user",
        "--db",
        url,
        "--username",
        "dan",
        "--role",
        "viewer",
        env={"SCIDISCO_NEW_PASSWORD": "short"},
    )
    assert r.returncode == 2 and "password has 5 characters; use at least 10" in r.stderr
    r = _hitl(
        "admin",
        "create-user",
        "--db",
        url,
        "--username",
        "dan",
        "--role",
        "viewer",
        "--password",
        "on the command line",
    )
    assert r.returncode == 2 and "unrecognized arguments: --password" in r.stderr  # never from argv
    r = _hitl("admin", "create-token", "--db", url, "--username", "carol", "--name", "nightly")
    assert r.returncode == 0 and r.stdout.startswith("sdk_")
    r = _hitl("admin", "create-token", "--db", url, "--username", "nobody")
    assert (
        r.returncode == 2
        and r.stderr.strip() == "error: no user named 'nobody'; create one with `admin create-user`"
    )


def test_serve_refuses_a_missing_secret(tmp_path: Path) -> None:
    r = _hitl(
        "serve",
        "--db",
        f"sqlite:///{tmp_path / 's.db'}",
        env={"SCIDISCO_SECRET_KEY": "", "SCIDISCO_ENV": "production"},
    )
    assert r.returncode == 2 and "SCIDISCO_SECRET_KEY is not set" in r.stderr


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_killed_server_keeps_committed_decisions(loaded: str, hyps) -> None:
    token = make_token(loaded, "alice")
    db.database(loaded).dispose()
    port = _port()
    env = {**os.environ, "SCIDISCO_SECRET_KEY": "k" * 40, "SCIDISCO_ENV": "production"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hitl",
            "serve",
            "--db",
            loaded,
            "--port",
            str(port),
            "--workers",
            "2",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    base, headers = f"http://127.0.0.1:{port}", {"Authorization": f"Bearer {token}"}
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (
                proc.stderr.read().decode() if proc.stderr else "server exited"
            )
            try:
                if httpx.get(f"{base}/api/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "server did not answer within 60 s"
            time.sleep(0.2)
        for h in hyps[:5]:
            body = {"action": "reject", "comment": "killed right after", "version": 1}
            r = httpx.post(
                f"{base}/api/hypotheses/{h.id}/decision", json=body, headers=headers, timeout=30
            )
            assert r.status_code == 200
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # no shutdown, no checkpoint: like a crash
        proc.wait(30)
    service.ensure_schema.cache_clear()
    db.database.cache_clear()
    with db.database(loaded).read() as s:
        for h in hyps[:5]:
            row = s.get(HypothesisRow, h.id)
            assert row is not None and (row.status, row.decision_comment, row.version) == (
                "rejected",
                "killed right after",
                2,
            )
