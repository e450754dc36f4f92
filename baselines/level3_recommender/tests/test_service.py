"""The live service on a real serving folder: answers, re-ranking, cold start, input, metrics."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import ValidationError

from baselines.level3_recommender.data import MovieLens
from baselines.level3_recommender.recommend import ServiceState
from baselines.level3_recommender.service import create_app
from baselines.level3_recommender.serving import ServiceSettings


def make_client(serving: Path, **settings: Any) -> TestClient:
    """A client of a freshly loaded app (settings override the defaults)."""
    state = ServiceState.load(ServiceSettings(artifacts=serving, **settings))
    return TestClient(create_app(state))


def metric(client: TestClient, name: str, **labels: str) -> float:
    """Sum of the /metrics samples of that name whose labels include ``labels``."""
    return sum(
        float(sample.value)
        for family in text_string_to_metric_families(client.get("/metrics").text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def stored(serving: Path, user_id: int) -> list[int]:
    with sqlite3.connect(serving / "store.sqlite") as db:
        rows = db.execute(
            "SELECT movie_id FROM recommendations WHERE user_id = ? ORDER BY rank", (user_id,)
        )
        return [m for (m,) in rows]


def ids(response: Any) -> list[int]:
    return [item["movie_id"] for item in response.json()["items"]]


def test_known_user_gets_the_batch_list_with_titles(serving: Path) -> None:
    client = make_client(serving)
    response = client.get("/recommendations/1", params={"k": 5})
    assert response.status_code == 200
    body = response.json()
    assert (body["source"], body["fallback_reason"]) == ("batch", None)
    assert ids(response) == stored(serving, 1)[:5]
    assert all(item["title"] for item in body["items"])


def test_recent_interactions_rerank_and_are_not_recommended(serving: Path) -> None:
    client = make_client(serving)
    batch = stored(serving, 1)
    seen = batch[0]
    posted = client.post("/users/1/interactions", json={"movie_id": seen, "rating": 5.0})
    assert posted.status_code == 201
    assert posted.json() == {"user_id": 1, "recent": [seen]}
    response = client.get("/recommendations/1", params={"k": 10})
    assert response.json()["source"] == "batch_reranked"
    got = ids(response)
    assert seen not in got
    assert set(got) <= set(batch)  # re-ranked among the stored candidates only
    assert got != [m for m in batch if m != seen][:10]


def test_new_user_without_history_gets_popularity(serving: Path, movielens: MovieLens) -> None:
    client = make_client(serving)
    body = client.get("/recommendations/424242", params={"k": 3}).json()
    assert (body["source"], body["fallback_reason"]) == ("popularity", None)
    # Ground truth: among users 1-100, Forrest Gump (57), Shawshank (56), Pulp Fiction (50).
    first_100 = movielens.ratings[movielens.ratings["userId"] <= 100]
    assert [i["movie_id"] for i in body["items"]] == [356, 318, 296]
    assert [i["score"] for i in body["items"]] == [57.0, 56.0, 50.0]
    assert first_100["movieId"].value_counts().iloc[:3].tolist() == [57, 56, 50]


def test_new_user_with_interactions_gets_a_model_answer(serving: Path) -> None:
    client = make_client(serving)
    for movie in (260, 1196):  # Star Wars IV and V
        client.post("/users/424242/interactions", json={"movie_id": movie})
    response = client.get("/recommendations/424242", params={"k": 10})
    assert response.json()["source"] == "cold_start_model"
    got = ids(response)
    assert len(got) == 10 and not {260, 1196} & set(got)
    assert 1210 in got  # Return of the Jedi: the next film of the series


def test_bad_input_gets_a_4xx_that_says_what_to_fix(serving: Path) -> None:
    client = make_client(serving)
    cases = [
        (
            "get",
            "/recommendations/abc",
            None,
            422,
            "path `user_id`: Input should be a valid integer",
        ),
        ("get", "/recommendations/0", None, 422, "path `user_id`: Input should be greater than"),
        ("get", "/recommendations/1?k=0", None, 422, "query `k`: Input should be greater than"),
        ("get", "/recommendations/1?k=101", None, 422, "less than or equal to 100 (got '101')"),
        ("post", "/users/1/interactions", {"movie_id": 1, "rating": 9}, 422, "(got 9)"),
        ("post", "/users/1/interactions", {"rating": 3}, 422, "body `movie_id`: Field required"),
        ("post", "/users/1/interactions", {"movie_id": 999999}, 404, "not in the catalogue"),
    ]
    for method, url, body, status, message in cases:
        response = client.request(method, url, json=body)
        assert response.status_code == status, url
        assert message in response.json()["detail"], response.json()
    assert metric(client, "recsys_http_requests_total", status="422") == 6.0
    assert metric(client, "recsys_errors_total", kind="unhandled") == 0.0


def test_health_readiness_and_metric_names(serving: Path) -> None:
    client = make_client(serving)
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "store": "ok", "model": "ok", "fallback": "ok"}
    for user in (1, 2, 424242):
        client.get(f"/recommendations/{user}")
    route = "/recommendations/{user_id}"
    count = "recsys_http_request_duration_seconds_count"
    assert metric(client, count, route=route, method="GET") == 3.0
    assert metric(client, "recsys_recommendations_total", source="batch") == 2.0
    assert metric(client, "recsys_recommendations_total", source="popularity") == 1.0
    assert metric(client, "recsys_store_lookup_duration_seconds_count") == 3.0
    assert metric(client, "recsys_fallbacks_total") == 0.0
    text = client.get("/metrics").text
    for counter in ("recsys_fallbacks_total", "recsys_errors_total"):
        assert f"# TYPE {counter} counter" in text
    assert 'recsys_fallbacks_total{reason="store_timeout"} 0.0' in text  # known series start at 0


def test_fallback_json_is_what_the_batch_wrote(serving: Path) -> None:
    payload = json.loads((serving / "fallback.json").read_text())
    assert len(payload["popular"]) == 30
    assert len(payload["titles"]) == 9_742
    assert payload["titles"]["1"] == "Toy Story (1995)"


def test_settings_from_environment_name_the_bad_variable() -> None:
    settings = ServiceSettings.from_env({"L3_ARTIFACTS": "/srv/x", "L3_STORE_TIMEOUT_S": "0.5"})
    assert (settings.artifacts, settings.store_timeout_s) == (Path("/srv/x"), 0.5)
    assert ServiceSettings.from_env({}).artifacts == Path("serving")
    with pytest.raises(ValidationError, match="store_timeout_s"):
        ServiceSettings.from_env({"L3_STORE_TIMEOUT_S": "-1"})
