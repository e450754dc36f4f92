"""The JSON API through FastAPI's test client: exact status codes and messages."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hitl import service
from hitl.settings import Settings
from hitl.web.app import create_app
from tests.hitl.hitl_helpers import make_token


@pytest.fixture
def client(loaded: str) -> Iterator[TestClient]:
    app = create_app(Settings(env="development", db_url=loaded))
    with TestClient(app) as c:
        yield c


def _auth(url: str, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(url, user)}"}


def test_token_required(client: TestClient) -> None:
    r = client.get("/api/hypotheses")
    assert r.status_code == 401
    assert r.json()["detail"].startswith("missing API token")
    assert r.headers["www-authenticate"] == "Bearer"
    r = client.get("/api/hypotheses", headers={"Authorization": "Bearer sdk_forged"})
    assert (r.status_code, r.json()) == (
        401,
        {
            "detail": "invalid API token: this server issued no such token; "
            "create one with `python -m hitl admin create-token`"
        },
    )
    assert client.get("/api/health").json() == {"status": "ok"}


def test_queue_filters_and_pages(client: TestClient, loaded: str) -> None:
    h = _auth(loaded, "vera")
    r = client.get("/api/hypotheses", params={"entity": "lithium", "sort": "-score"}, headers=h)
    body = r.json()
    assert r.status_code == 200 and body["total"] == 3 and body["pages"] == 1
    assert [i["object_name"] for i in body["items"]] == [
        "hypertension",
        "proteinuria",
        "chronic renal failure",
    ]
    r = client.get("/api/hypotheses", params={"per_page": 5, "page": 4}, headers=h)
    assert len(r.json()["items"]) == 3  # 18 = 5 + 5 + 5 + 3
    r = client.get("/api/hypotheses", params={"score_min": 2, "score_max": 1}, headers=h)
    assert (
        r.status_code == 422
        and "`score_min` (2.0) is greater than `score_max` (1.0)" in r.json()["message"]
    )
    r = client.get("/api/hypotheses", params={"status": "maybe"}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "status"]
    r = client.get("/api/hypotheses", params={"colour": "red"}, headers=h)
    assert r.status_code == 422  # unknown filters are refused, not ignored


def test_detail_returns_the_evidence_mentions(client: TestClient, loaded: str, hyps) -> None:
    r = client.get(f"/api/hypotheses/{hyps[4].id}", headers=_auth(loaded, "vera"))
    (evidence,) = r.json()["evidence"]
    assert r.status_code == 200 and len(evidence["mentions"]) == 26  # PMID 1378968's lines
    assert evidence["mentions"][:2] == [
        {"start": 54, "end": 61, "entity_ids": ["MESH:D008094"], "type": "chemical"},
        {"start": 70, "end": 91, "entity_ids": ["MESH:D007676"], "type": "disease"},
    ]
    assert evidence["text"][941:943] == "Li" and evidence["mentions"][12]["start"] == 941


def test_decide_conflict_forbidden_notfound(client: TestClient, loaded: str, hyps) -> None:
    hid = hyps[0].id
    alice, bob, vera = _auth(loaded, "alice"), _auth(loaded, "bob"), _auth(loaded, "vera")
    r = client.post(
        f"/api/hypotheses/{hid}/decision",
        json={"action": "accept", "comment": "ok", "version": 1},
        headers=alice,
    )
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["version"], r.json()["reviewer"]) == (
        "accepted",
        2,
        "alice",
    )
    assert r.json()["history"][0]["action"] == "accept"
    r = client.post(
        f"/api/hypotheses/{hid}/decision", json={"action": "reject", "version": 1}, headers=bob
    )
    assert r.status_code == 409 and r.json()["current_version"] == 2
    assert "changed by alice (accept)" in r.json()["detail"]
    r = client.post(
        f"/api/hypotheses/{hid}/decision", json={"action": "reject", "version": 2}, headers=vera
    )
    assert r.status_code == 403
    assert r.json()["detail"] == (
        "user 'vera' has role 'viewer', which may only read; ask an admin for the reviewer role"
    )
    r = client.post(
        "/api/hypotheses/ffffffffffffffff/decision",
        json={"action": "reject", "version": 1},
        headers=bob,
    )
    assert (r.status_code, r.json()) == (
        404,
        {"detail": "no hypothesis with id 'ffffffffffffffff'"},
    )
    r = client.post(
        f"/api/hypotheses/{hid}/decision", json={"action": "maybe", "version": 2}, headers=bob
    )
    assert r.status_code == 422


def test_edit_outcome_bulk_history(client: TestClient, loaded: str, hyps) -> None:
    h = _auth(loaded, "bob")
    hid = hyps[1].id
    r = client.patch(
        f"/api/hypotheses/{hid}",
        json={"text": "Lidocaine may stop the heart", "version": 1},
        headers=h,
    )
    assert r.status_code == 200 and r.json()["text"] == "Lidocaine may stop the heart"
    assert r.json()["machine_text"] == "Lidocaine induces cardiac asystole"
    r = client.post(
        f"/api/hypotheses/{hid}/outcome",
        json={"confirmed": True, "lab": "lab A", "version": 2},
        headers=h,
    )
    assert r.status_code == 200 and r.json()["outcomes"][0]["recorded_by"] == "bob"
    assert service.recorded_outcome(loaded, hid).confirmed is True  # type: ignore[union-attr]
    items = [{"id": x.id, "version": 1} for x in hyps[2:6]]
    r = client.post(
        "/api/hypotheses/bulk-decision", json={"items": items, "action": "reject"}, headers=h
    )
    assert r.status_code == 200 and r.json()["updated"] == 4
    r = client.post(
        "/api/hypotheses/bulk-decision", json={"items": items, "action": "accept"}, headers=h
    )
    assert r.status_code == 409 and "4 of the selected hypotheses changed" in r.json()["detail"]
    r = client.get(f"/api/hypotheses/{hid}/history", headers=h)
    assert [a["action"] for a in r.json()] == ["outcome", "edit", "record"]
    assert client.get("/api/audit", params={"limit": 2}, headers=h).status_code == 200


def test_export_csv_and_json_match_the_filter(client: TestClient, loaded: str) -> None:
    h = _auth(loaded, "vera")
    r = client.get("/api/export", params={"entity": "desferrioxamine", "format": "csv"}, headers=h)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["object"] for row in rows] == [
        "pigmentary retinal deposits",
        "Ocular and auditory toxicity",
        "neurosensorial hearing loss",
    ]
    assert {row["evidence_pmids"] for row in rows} == {"2234245"}
    r = client.get("/api/export", params={"format": "json"}, headers=h)
    assert len(json.loads(r.text)) == 18


def test_admin_creates_users(client: TestClient, loaded: str) -> None:
    body = {"username": "newbie", "password": "long enough pw", "role": "viewer"}
    r = client.post("/api/users", json=body, headers=_auth(loaded, "alice"))
    assert (r.status_code, r.json()) == (
        403,
        {"detail": "only admins create users; 'alice' is a reviewer"},
    )
    r = client.post("/api/users", json=body, headers=_auth(loaded, "ada"))
    assert r.status_code == 201 and r.json()["role"] == "viewer"
    r = client.post("/api/users", json=body, headers=_auth(loaded, "ada"))
    assert (r.status_code, r.json()) == (409, {"detail": "user 'newbie' already exists"})


def test_openapi_documents_every_action(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert set(paths) >= {
        "/api/hypotheses",
        "/api/hypotheses/{hypothesis_id}",
        "/api/hypotheses/{hypothesis_id}/decision",
        "/api/hypotheses/{hypothesis_id}/outcome",
        "/api/hypotheses/bulk-decision",
        "/api/export",
        "/api/hypotheses/{hypothesis_id}/history",
        "/api/audit",
        "/api/users",
    }
    assert "409" in paths["/api/hypotheses/{hypothesis_id}/decision"]["post"]["responses"]
    assert not any(p.startswith("/hypotheses") for p in paths)  # pages stay out of the API doc


def test_nul_characters_are_refused_alike_on_both_databases(
    client: TestClient, loaded: str, hyps
) -> None:
    """PostgreSQL cannot store NUL in text; every input path answers 4xx, never 500."""
    h, hid = _auth(loaded, "alice"), hyps[0].id
    for name in ("q", "entity", "run", "reviewer"):
        r = client.get("/api/hypotheses", params={name: "lith\x00ium"}, headers=h)
        assert r.status_code == 422, name
        assert f"`{name}` contains a NUL character (\\x00); remove it" in r.json()["message"]
    r = client.get("/api/export", params={"q": "\x00"}, headers=h)
    assert r.status_code == 422
    r = client.get("/api/hypotheses/ab%00cd", headers=h)
    assert (r.status_code, r.json()) == (404, {"detail": "no hypothesis with id 'ab\\x00cd'"})
    for path, body, field in [
        ("/decision", {"action": "accept", "comment": "a\x00", "version": 1}, "comment"),
        ("", {"text": "a\x00b", "version": 1}, "text"),
        ("/outcome", {"confirmed": True, "detail": "\x00", "version": 1}, "detail"),
    ]:
        method = client.patch if field == "text" else client.post
        r = method(f"/api/hypotheses/{hid}{path}", json=body, headers=h)
        assert (r.status_code, r.json()) == (
            422,
            {"detail": f"`{field}` contains a NUL character (\\x00); remove it"},
        )
    items = [{"id": "0\x00", "version": 1}, {"id": hid, "version": 1}]
    r = client.post(
        "/api/hypotheses/bulk-decision", json={"items": items, "action": "reject"}, headers=h
    )
    assert r.status_code == 404 and r.json()["detail"] == "no hypotheses with ids 0\x00"
    assert service.get_hypothesis(loaded, hid) == hyps[0]  # nothing changed
