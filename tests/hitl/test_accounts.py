"""Account lifecycle: the admin commands, their audit entries, and what a revoked token, a
deactivated user and a changed role get from the API and the pages."""

from __future__ import annotations

import getpass
import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import select

from hitl import accounts, db, service
from hitl.cli import main
from hitl.models import ApiToken, AuditEntry, User
from hitl.settings import Settings
from hitl.web.app import create_app
from tests.hitl.hitl_helpers import PASSWORD, make_token

CLI = accounts.Actor.cli()


def _admin(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``python -m hitl admin ...`` in this process (the real parser and commands)."""
    rc = main(["admin", *args])
    out, err = capsys.readouterr()
    return rc, out.strip(), err.strip()


def _account_log(url: str) -> list[AuditEntry]:
    with db.database(url).read() as s:
        stmt = select(AuditEntry).where(AuditEntry.hypothesis_id.is_(None))
        return list(s.scalars(stmt.order_by(AuditEntry.id)))


def test_cli_actor_names_the_operating_system_user() -> None:
    assert accounts.Actor(f"cli:{getpass.getuser()}", None) == CLI


def test_admin_commands_manage_the_lifecycle_and_audit_it(
    db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SCIDISCO_NEW_PASSWORD", PASSWORD)
    cmd = ("--db", db_url, "--username", "carol")
    assert _admin(capsys, "create-user", *cmd, "--role", "reviewer") == (
        0,
        "created reviewer 'carol' (id 1)",
        "",
    )
    tokens = [_admin(capsys, "create-token", *cmd, "--name", n)[1] for n in ("ci", "ci", "laptop")]
    assert all(t.startswith("sdk_") for t in tokens)

    rc, out, _ = _admin(capsys, "list-tokens", *cmd)
    assert rc == 0 and [line.split("\t")[::3] for line in out.splitlines()] == [
        ["1", "active"],
        ["2", "active"],
        ["3", "active"],
    ]
    assert _admin(capsys, "revoke-token", *cmd, "--name", "ci") == (
        0,
        "revoked 2 token(s) of 'carol': 'ci' (id 1), 'ci' (id 2)",
        "",
    )
    assert _admin(capsys, "revoke-token", *cmd, "--name", "ci") == (
        2,
        "",
        "error: user 'carol' has no unrevoked API token named 'ci'; "
        "`admin list-tokens --username carol` lists them",
    )
    rc, out, _ = _admin(capsys, "list-tokens", *cmd)
    states = [line.split("\t")[3] for line in out.splitlines()]
    assert states[2] == "active" and all(s.startswith("revoked 20") for s in states[:2])

    assert _admin(capsys, "set-role", *cmd, "--role", "viewer")[1] == "user 'carol' is now a viewer"
    assert _admin(capsys, "set-role", *cmd, "--role", "viewer")[1] == (
        "user 'carol' already is a viewer"
    )
    assert _admin(capsys, "deactivate-user", *cmd)[1] == "user 'carol' is now deactivated"
    assert _admin(capsys, "deactivate-user", *cmd)[1] == "user 'carol' is already deactivated"
    assert _admin(capsys, "activate-user", *cmd)[1] == "user 'carol' is now active"
    assert _admin(capsys, "deactivate-user", "--db", db_url, "--username", "nobody") == (
        2,
        "",
        "error: no user named 'nobody'; create one with `admin create-user`",
    )
    with pytest.raises(SystemExit) as exit_info:
        main(["admin", "set-role", *cmd, "--role", "boss"])
    assert exit_info.value.code == 2
    assert (
        "argument --role: invalid choice: 'boss' (choose from 'admin', 'reviewer', 'viewer')"
        in capsys.readouterr().err
    )

    log = _account_log(db_url)
    assert [(e.action, e.actor, e.actor_id) for e in log] == [
        ("create_user", CLI.name, None),
        ("create_token", CLI.name, None),
        ("create_token", CLI.name, None),
        ("create_token", CLI.name, None),
        ("revoke_token", CLI.name, None),
        ("revoke_token", CLI.name, None),
        ("set_role", CLI.name, None),
        ("deactivate_user", CLI.name, None),
        ("activate_user", CLI.name, None),
    ]
    carol = {"user": "carol", "user_id": 1}
    assert log[0].before is None and log[0].after == {**carol, "role": "reviewer", "active": True}
    assert log[3].after == {"user": "carol", "token_id": 3, "name": "laptop", "revoked_at": None}
    assert log[4].before == {"user": "carol", "token_id": 1, "name": "ci", "revoked_at": None}
    assert log[4].after is not None and log[4].after["revoked_at"].startswith("20")
    assert (log[6].before, log[6].after) == (
        {**carol, "role": "reviewer", "active": True},
        {**carol, "role": "viewer", "active": True},
    )
    assert (log[7].after, log[8].after) == (
        {**carol, "role": "viewer", "active": False},
        {**carol, "role": "viewer", "active": True},
    )
    dumped = json.dumps([(e.before, e.after) for e in log])
    assert not any(t in dumped or t[4:] in dumped for t in tokens)  # no token in the log


@pytest.fixture
def client(loaded: str) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(env="development", db_url=loaded))) as c:
        yield c


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_revoked_token_is_refused_and_other_tokens_keep_working(
    client: TestClient, loaded: str
) -> None:
    revoked = make_token(loaded, "bob")  # named "tests"
    with db.database(loaded).write() as s:
        kept = accounts.create_token(s, CLI, "bob", "other")
    assert client.get("/api/me", headers=_bearer(revoked)).status_code == 200
    with db.database(loaded).write() as s:
        rows = accounts.revoke_tokens(s, CLI, "bob", "tests")
    assert [r.name for r in rows] == ["tests"]
    with db.database(loaded).read() as s:
        at = s.scalars(select(ApiToken.revoked_at).where(ApiToken.id == rows[0].id)).one()
    message = (
        f"API token 'tests' was revoked at {at:%Y-%m-%d %H:%M:%S} UTC; "
        "ask an admin for a new one (`admin create-token`)"
    )
    r = client.get("/api/me", headers=_bearer(revoked))
    assert (r.status_code, r.json()) == (401, {"detail": message})
    assert r.headers["www-authenticate"] == "Bearer"
    r = client.get("/hypotheses", headers=_bearer(revoked))  # a page GET with the token
    assert r.status_code == 401 and str(escape(message)) in r.text
    r = client.get("/api/me", headers=_bearer(kept))
    assert (r.status_code, r.json()["username"]) == (200, "bob")


def test_a_deactivated_user_is_refused_until_reactivated(
    client: TestClient, loaded: str, hyps
) -> None:
    token = make_token(loaded, "bob")
    with db.database(loaded).write() as s:
        assert accounts.set_active(s, CLI, "bob", False) is True
    message = (
        "user 'bob' is deactivated; ask an admin to reactivate the account (`admin activate-user`)"
    )
    r = client.post(
        f"/api/hypotheses/{hyps[0].id}/decision",
        json={"action": "accept", "version": 1},
        headers=_bearer(token),
    )
    assert (r.status_code, r.json()) == (401, {"detail": message})
    assert service.get_hypothesis(loaded, hyps[0].id) == hyps[0]
    with db.database(loaded).write() as s:
        accounts.set_active(s, CLI, "bob", True)
    assert client.get("/api/me", headers=_bearer(token)).status_code == 200


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _login(client: TestClient, user: str) -> str:
    """Log in through the form; returns the new session's CSRF token."""
    token = _CSRF.findall(client.get("/login").text)[0]
    r = client.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 200
    return _CSRF.findall(r.text)[0]


def test_an_open_session_of_a_deactivated_user_stops_working(
    client: TestClient, loaded: str, hyps
) -> None:
    csrf = _login(client, "alice")
    hid = hyps[0].id
    assert client.get(f"/hypotheses/{hid}").status_code == 200
    with db.database(loaded).write() as s:
        accounts.set_active(s, CLI, "alice", False)

    form = {"csrf_token": csrf, "version": "1", "action": "accept"}
    r = client.post(f"/hypotheses/{hid}/decision", data=form, follow_redirects=False)
    assert (r.status_code, r.headers["location"]) == (
        303,
        f"/login?next=%2Fhypotheses%2F{hid}%2Fdecision",
    )
    assert service.get_hypothesis(loaded, hid) == hyps[0]  # nothing was decided
    r = client.get("/hypotheses")  # followed to the login page, which says why
    assert r.status_code == 200 and str(r.url).endswith("/login?next=%2Fhypotheses")
    assert "Your account has been deactivated; ask an admin to reactivate it." in r.text
    token = _CSRF.findall(r.text)[0]
    r = client.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 401 and "wrong username or password" in r.text


def test_a_role_change_applies_to_an_open_session(client: TestClient, loaded: str, hyps) -> None:
    csrf = _login(client, "alice")
    with db.database(loaded).write() as s:
        assert accounts.set_role(s, CLI, "alice", "viewer") is True
    hid = hyps[0].id
    assert 'id="decision-form"' not in client.get(f"/hypotheses/{hid}").text
    form = {"csrf_token": csrf, "version": "1", "action": "accept"}
    r = client.post(f"/hypotheses/{hid}/decision", data=form)
    assert r.status_code == 403
    assert (
        "user &#39;alice&#39; has role &#39;viewer&#39;, which may only read; ask an admin for "
        "the reviewer role"
    ) in r.text
    token = make_token(loaded, "vera")
    with db.database(loaded).write() as s:
        accounts.set_role(s, CLI, "vera", "reviewer")
    r = client.post(
        f"/api/hypotheses/{hid}/decision",
        json={"action": "reject", "version": 1},
        headers=_bearer(token),
    )
    assert (r.status_code, r.json()["reviewer"]) == (200, "vera")


def test_an_unknown_role_is_refused_by_name(loaded: str) -> None:
    unknown = r"^role 'boss' is unknown; use one of admin, reviewer, viewer$"
    with pytest.raises(ValueError, match=unknown), db.database(loaded).write() as s:
        accounts.set_role(s, CLI, "alice", "boss")


def test_users_created_through_the_api_are_audited(client: TestClient, loaded: str) -> None:
    body = {"username": "newbie", "password": "long enough pw", "role": "viewer"}
    r = client.post("/api/users", json=body, headers=_bearer(make_token(loaded, "ada")))
    assert r.status_code == 201
    with db.database(loaded).read() as s:
        ada = s.scalars(select(User).where(User.username == "ada")).one()
    (entry,) = _account_log(loaded)
    assert (entry.action, entry.actor, entry.actor_id) == ("create_user", "ada", ada.id)
    assert entry.after == {
        "user": "newbie",
        "user_id": r.json()["id"],
        "role": "viewer",
        "active": True,
    }
