"""Fail-safe demonstration against the real service process (the Docker image's command).

``python -m baselines.level3_recommender.demo --serving DIR`` copies DIR, starts the service on
loopback, breaks one part at a time and prints what a client receives.
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from .launch import free_port, start_service, stop, wait_ready
from .layout import MODEL, STORE


@contextmanager
def service(serving: Path, **env: str) -> Iterator[httpx.Client]:
    """A running service process and a client of it; stopped on exit."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start_service(serving, port, **env)
    try:
        wait_ready(base, process)
        with httpx.Client(base_url=base, timeout=10.0) as client:
            yield client
    finally:
        stop(process)


def show(title: str, response: httpx.Response) -> None:
    """Print one scenario: status, source, reason and the first three movie ids (or detail)."""
    body = response.json()
    if "items" in body:
        first = [item["movie_id"] for item in body["items"][:3]]
        what = f"source={body['source']} fallback_reason={body['fallback_reason']} top3={first}"
    else:
        what = f"{body}"
    print(f"{title:<44} {response.status_code} {what}")


def demonstrate(serving: Path) -> None:
    """Run every scenario on a copy of ``serving``."""
    with service(serving, L3_STORE_TIMEOUT_S="0.25", L3_SQLITE_BUSY_S="3") as c:
        show("known user", c.get("/recommendations/1"))
        c.post("/users/1/interactions", json={"movie_id": 260, "rating": 5})
        show("known user after rating Star Wars", c.get("/recommendations/1"))
        show("new user, no history (cold start)", c.get("/recommendations/900001"))
        c.post("/users/900001/interactions", json={"movie_id": 260, "rating": 5})
        show("new user after rating Star Wars", c.get("/recommendations/900001"))
        (serving / STORE).rename(serving / "moved.sqlite")
        show("store deleted", c.get("/recommendations/2"))
        (serving / "moved.sqlite").rename(serving / STORE)
        show("store back", c.get("/recommendations/2"))
        locker = sqlite3.connect(serving / STORE, isolation_level=None)
        locker.execute("BEGIN EXCLUSIVE")
        show("store locked by a writer (slow dependency)", c.get("/recommendations/2"))
        show("readiness while locked", c.get("/readyz"))
        locker.rollback()
        locker.close()
        show("bad input: k=0", c.get("/recommendations/2", params={"k": 0}))
        show("bad input: user 'abc'", c.get("/recommendations/abc"))
        show("bad input: unknown movie", c.post("/users/2/interactions", json={"movie_id": 999999}))
        fallbacks = [
            line for line in c.get("/metrics").text.splitlines()
            if line.startswith("recsys_fallbacks_total{")
        ]  # fmt: skip
        print("\n".join(fallbacks))
    (serving / MODEL).unlink()
    with service(serving) as c:
        show("model file missing: readiness", c.get("/readyz"))
        c.post("/users/1/interactions", json={"movie_id": 260})
        show("model missing, known user with history", c.get("/recommendations/1"))
        c.post("/users/900002/interactions", json={"movie_id": 260})
        show("model missing, new user with history", c.get("/recommendations/900002"))


def main(argv: list[str] | None = None) -> int:
    """Copy the serving folder to a temporary place and demonstrate there."""
    parser = argparse.ArgumentParser(prog="python -m baselines.level3_recommender.demo")
    parser.add_argument("--serving", type=Path, required=True, help="batch job's serving folder")
    args = parser.parse_args(argv)
    if not (args.serving / STORE).is_file():
        print(f"error: no {STORE} in {args.serving}; run the batch job first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        demonstrate(Path(shutil.copytree(args.serving, Path(tmp) / "serving")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
