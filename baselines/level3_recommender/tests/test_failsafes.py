"""Each fail-safe, tested by breaking the real part: the store, the model, the popularity list."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from .test_service import ids, make_client, metric, stored

POPULAR_FIRST_100_USERS = [356, 318, 296]  # most-rated among users 1-100 (see test_service)


def test_deleted_store_falls_back_to_popularity_and_recovers(serving: Path) -> None:
    client = make_client(serving)
    store = serving / "store.sqlite"
    store.rename(serving / "away.sqlite")
    body = client.get("/recommendations/1", params={"k": 3}).json()
    assert (body["source"], body["fallback_reason"]) == ("popularity", "store_unavailable")
    assert [i["movie_id"] for i in body["items"]] == POPULAR_FIRST_100_USERS
    assert metric(client, "recsys_fallbacks_total", reason="store_unavailable") == 1.0
    ready = client.get("/readyz")
    assert ready.status_code == 200  # still able to answer, so still ready
    assert ready.json()["status"] == "degraded"
    assert ready.json()["store"].startswith("unavailable: unable to open database file")

    (serving / "away.sqlite").rename(store)  # the store comes back: no restart needed
    response = client.get("/recommendations/1", params={"k": 3})
    assert response.json()["source"] == "batch"
    assert ids(response) == stored(serving, 1)[:3]


def test_corrupt_store_falls_back_to_popularity(serving: Path) -> None:
    client = make_client(serving)
    (serving / "store.sqlite").write_bytes(b"this is not a database" * 100)
    body = client.get("/recommendations/7").json()
    assert (body["source"], body["fallback_reason"]) == ("popularity", "store_unavailable")
    assert metric(client, "recsys_errors_total", kind="store_unavailable") == 1.0


def test_locked_store_hits_the_timeout_not_the_user(serving: Path) -> None:
    # SQLite itself would wait 3 s for the lock; the service gives up after 0.2 s.
    # One event loop for the whole test (context manager), as in a server: a loop per request
    # would wait at its teardown for the abandoned SQLite thread.
    with make_client(serving, store_timeout_s=0.2, sqlite_busy_s=3.0) as client:
        locker = sqlite3.connect(serving / "store.sqlite", isolation_level=None)
        try:
            locker.execute("BEGIN EXCLUSIVE")  # a writer holding the store: readers must wait
            body = client.get("/recommendations/1", params={"k": 3}).json()
            assert (body["source"], body["fallback_reason"]) == ("popularity", "store_timeout")
            assert client.get("/readyz").json()["store"] == "timeout"
        finally:
            locker.rollback()
            locker.close()
        assert metric(client, "recsys_fallbacks_total", reason="store_timeout") == 1.0
        assert client.get("/recommendations/1").json()["source"] == "batch"


def test_missing_model_keeps_batch_lists_and_popularity(serving: Path) -> None:
    (serving / "model.npz").unlink()
    client = make_client(serving)
    assert metric(client, "recsys_errors_total", kind="model_load") == 1.0
    assert client.get("/readyz").json()["model"] == "unavailable"

    client.post("/users/1/interactions", json={"movie_id": stored(serving, 1)[0]})
    known = client.get("/recommendations/1", params={"k": 5})
    assert (known.json()["source"], known.json()["fallback_reason"]) == (
        "batch",
        "model_unavailable",
    )
    assert ids(known) == stored(serving, 1)[1:6]  # batch order, the recent movie dropped

    client.post("/users/424242/interactions", json={"movie_id": 260})
    new = client.get("/recommendations/424242", params={"k": 3}).json()
    assert (new["source"], new["fallback_reason"]) == ("popularity", "model_unavailable")
    assert [i["movie_id"] for i in new["items"]] == POPULAR_FIRST_100_USERS


def test_corrupt_model_file_is_treated_as_missing(serving: Path) -> None:
    (serving / "model.npz").write_bytes(b"PK\x03\x04 truncated zip")
    client = make_client(serving)
    assert client.get("/readyz").json()["status"] == "degraded"
    assert client.get("/recommendations/2").json()["source"] == "batch"


def test_model_failing_at_request_time_serves_batch_order(serving: Path) -> None:
    client = make_client(serving)
    model = client.app.state.l3.model  # type: ignore[attr-defined]
    model.unit = np.zeros((1, 1))  # break the loaded factors: re-ranking now raises
    client.post("/users/1/interactions", json={"movie_id": stored(serving, 1)[0]})
    body = client.get("/recommendations/1", params={"k": 4}).json()
    assert (body["source"], body["fallback_reason"]) == ("batch", "model_error")
    assert [i["movie_id"] for i in body["items"]] == stored(serving, 1)[1:5]
    assert metric(client, "recsys_errors_total", kind="model_error") == 1.0


def test_without_popularity_list_the_service_is_not_ready(serving: Path) -> None:
    (serving / "fallback.json").unlink()
    client = make_client(serving)
    assert client.get("/healthz").status_code == 200  # alive...
    ready = client.get("/readyz")
    assert ready.status_code == 503  # ...but not to be sent traffic
    assert ready.json()["status"] == "not_ready"
    response = client.get("/recommendations/1")
    assert response.status_code == 503
    assert "rerun the batch job" in response.json()["detail"]


def test_unexpected_error_is_a_counted_500_without_a_traceback(serving: Path) -> None:
    client = make_client(serving)
    state = client.app.state.l3  # type: ignore[attr-defined]
    object.__setattr__(state.fallback, "titles", None)  # break the in-memory title table
    response = client.get("/recommendations/1")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error; see the service log"}
    assert metric(client, "recsys_errors_total", kind="unhandled") == 1.0
    route = "/recommendations/{user_id}"
    assert metric(client, "recsys_http_requests_total", route=route, status="500") == 1.0
