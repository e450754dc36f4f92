"""The JSON API through FastAPI's test client: exact status codes and messages."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator
from jsonschema.protocols import Validator

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
    assert (r.status_code, r.json()["detail"]) == (
        422,
        "invalid input: `score_min` (2.0) is greater than `score_max` (1.0)",
    )
    r = client.get("/api/hypotheses", params={"status": "maybe"}, headers=h)
    assert (r.status_code, r.json()) == (
        422,
        {
            "detail": "invalid input: `status`: Input should be 'pending', 'accepted', "
            "'rejected' or 'needs_evidence'",
            "errors": [
                {
                    "loc": ["query", "status"],
                    "msg": "Input should be 'pending', 'accepted', 'rejected' or 'needs_evidence'",
                    "type": "enum",
                }
            ],
        },
    )
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


def _documented(schema: dict[str, Any], path: str, method: str, status: int) -> Validator:
    """A validator for the JSON body the OpenAPI document declares for this response."""
    responses = schema["paths"][path][method]["responses"]
    assert str(status) in responses, f"{method.upper()} {path} does not document {status}"
    body = responses[str(status)]["content"]["application/json"]["schema"]
    # Refs like #/components/schemas/ErrorOut resolve against the document's components.
    return Draft202012Validator({**body, "components": schema["components"]})


def test_error_bodies_validate_against_the_documented_schemas(
    client: TestClient, loaded: str, hyps
) -> None:
    schema = client.get("/openapi.json").json()
    hid, decision = hyps[0].id, "/api/hypotheses/{hypothesis_id}/decision"
    alice, vera = _auth(loaded, "alice"), _auth(loaded, "vera")
    client.post(
        f"/api/hypotheses/{hid}/decision", json={"action": "accept", "version": 1}, headers=alice
    )
    d, users = f"/api/hypotheses/{hid}/decision", {"username": "ada", "password": "x" * 12}

    def post(path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        return client.post(path, json=body, headers=headers)

    cases = [  # (documented path, method, response, expected status)
        ("/api/hypotheses", "get", client.get("/api/hypotheses"), 401),
        (
            "/api/hypotheses/{hypothesis_id}",
            "get",
            client.get(f"/api/hypotheses/{'f' * 16}", headers=vera),
            404,
        ),
        (decision, "post", post(d, {"action": "reject", "version": 2}, vera), 403),
        (decision, "post", post(d, {"action": "reject", "version": 1}, alice), 409),
        (decision, "post", post(d, {"action": "maybe"}, alice), 422),
        (
            decision,
            "post",
            post(d, {"action": "reject", "comment": "\x00", "version": 2}, alice),
            422,
        ),
        (
            "/api/hypotheses/bulk-decision",
            "post",
            post(
                "/api/hypotheses/bulk-decision",
                {"items": [{"id": hid, "version": 1}], "action": "reject"},
                alice,
            ),
            409,
        ),
        ("/api/audit", "get", client.get("/api/audit", params={"limit": 0}, headers=vera), 422),
        (
            decision,
            "post",
            client.post(d, content=b"\x80{", headers={**alice, "Content-Type": "application/json"}),
            400,
        ),
        (
            "/api/users",
            "post",
            post("/api/users", {**users, "role": "viewer"}, _auth(loaded, "ada")),
            409,
        ),
    ]
    for path, method, response, status in cases:
        assert response.status_code == status, (path, response.text)
        validator = _documented(schema, path, method, status)
        assert list(validator.iter_errors(response.json())) == [], (path, response.json())
    bodies = [c[2].json() for c in cases]
    assert bodies[-2]["detail"] == (
        "the request body could not be read; send a JSON object encoded in UTF-8 "
        "with `Content-Type: application/json`"
    )
    assert bodies[3]["current_version"] == 2 and "current_version" not in bodies[6]
    assert bodies[4]["errors"][0]["loc"] == ["body", "action"] and "errors" not in bodies[5]
    # FastAPI's own list form, which the server no longer sends, is not what is documented.
    fastapi_form = {"detail": [{"loc": ["body", "action"], "msg": "x", "type": "enum"}]}
    assert not _documented(schema, decision, "post", 422).is_valid(fastapi_form)


def test_every_documented_error_uses_the_one_error_body(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert {"HTTPValidationError", "ValidationError"}.isdisjoint(schema["components"]["schemas"])
    codes = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            errors = {k: v for k, v in operation["responses"].items() if k.startswith("4")}
            for response in errors.values():
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/ErrorOut", (path, method)
            codes[f"{method.upper()} {path}"] = sorted(errors)
    assert codes == {
        "GET /api/health": [],
        "GET /api/me": ["401"],
        "GET /api/hypotheses": ["401", "422"],
        "GET /api/hypotheses/{hypothesis_id}": ["401", "404"],
        "PATCH /api/hypotheses/{hypothesis_id}": ["400", "401", "403", "404", "409", "422"],
        "POST /api/hypotheses/{hypothesis_id}/decision": ["400", "401", "403", "404", "409", "422"],
        "POST /api/hypotheses/{hypothesis_id}/outcome": ["400", "401", "403", "404", "409", "422"],
        "POST /api/hypotheses/bulk-decision": ["400", "401", "403", "404", "409", "422"],
        "GET /api/hypotheses/{hypothesis_id}/history": ["401", "404"],
        "GET /api/audit": ["401", "422"],
        "GET /api/export": ["401", "422"],
        "POST /api/users": ["400", "401", "403", "409", "422"],
    }


def test_nul_characters_are_refused_alike_on_both_databases(
    client: TestClient, loaded: str, hyps
) -> None:
    """PostgreSQL cannot store NUL in text; every input path answers 4xx, never 500."""
    h, hid = _auth(loaded, "alice"), hyps[0].id
    for name in ("q", "entity", "run", "reviewer"):
        r = client.get("/api/hypotheses", params={name: "lith\x00ium"}, headers=h)
        assert r.status_code == 422, name
        assert r.json()["detail"] == (
            f"invalid input: `{name}`: `{name}` contains a NUL character (\\x00); remove it"
        )
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
