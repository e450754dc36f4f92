"""Server-rendered pages: login, CSRF, rate limit, cookies, escaping, conflicts, settings."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from agent.types import Evidence
from hitl import db, service
from hitl.actions import Action, decide
from hitl.models import HypothesisRow, User
from hitl.settings import DEV_SECRET, Settings, SettingsError
from hitl.web.app import create_app
from tests.hitl.hitl_helpers import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _csrf(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no CSRF field"
    return match.group(1)


@pytest.fixture
def client(loaded: str) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(env="development", db_url=loaded))) as c:
        yield c


def login(client: TestClient, user: str, password: str = PASSWORD) -> Any:
    token = _csrf(client.get("/login").text)
    return client.post("/login", data={"username": user, "password": password, "csrf_token": token})


def test_pages_need_login_and_keep_the_target(client: TestClient) -> None:
    r = client.get("/hypotheses?status=pending", follow_redirects=False)
    assert (
        r.status_code == 303
        and r.headers["location"] == "/login?next=%2Fhypotheses%3Fstatus%3Dpending"
    )


def test_login_requires_csrf_and_rotates_session(client: TestClient) -> None:
    client.get("/login")
    r = client.post("/login", data={"username": "alice", "password": PASSWORD})
    assert r.status_code == 403 and "CSRF check" in r.text
    before = client.cookies.get("scidisco_session")
    r = login(client, "alice")
    assert r.status_code == 200 and str(r.url).endswith("/hypotheses")
    assert "18 match" in r.text and client.cookies.get("scidisco_session") != before


def test_wrong_password_then_rate_limited(client: TestClient) -> None:
    for _ in range(5):
        r = login(client, "alice", "wrong password!")
        assert r.status_code == 401 and "wrong username or password" in r.text
    r = login(client, "alice")  # even the right password waits out the window
    assert r.status_code == 429 and r.headers["retry-after"] == "300"
    assert "too many failed logins; wait 5 minute(s)" in r.text
    assert login(client, "bob").status_code == 200


def test_session_cookie_flags(loaded: str) -> None:
    for env, secure in (("development", False), ("production", True)):
        settings = Settings(env=env, db_url=loaded, secret_key="s" * 40)
        with TestClient(create_app(settings), base_url="https://testserver") as c:
            r = c.get("/login")
            cookie = r.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=lax" in cookie
            assert ("secure" in cookie) is secure
            assert r.headers["content-security-policy"].startswith("default-src 'self'")


def test_queue_filter_sort_and_forms_of_a_viewer(client: TestClient) -> None:
    login(client, "vera")
    r = client.get("/hypotheses", params={"entity": "cocaine", "sort": "subject", "status": ""})
    assert r.status_code == 200 and "2 match" in r.text
    assert "cocaine induces myocardial infarction" in r.text
    assert 'name="item"' not in r.text  # viewers get no bulk selection
    r = client.get("/hypotheses", params={"score_min": "x"})
    assert (
        r.status_code == 422
        and "invalid input: `score_min`: Input should be a valid number" in r.text
    )


def test_detail_escapes_untrusted_text_and_highlights_entities(
    client: TestClient, loaded: str, hyps
) -> None:
    h = hyps[4]
    hostile = Evidence(
        pmid='1378968"><script>',
        text="<script>alert(1)</script> Lithium & <b>HYPERTENSION</b>",
        score=0.1,
    )
    service.record_run(loaded, "run-x", [h.model_copy(update={"evidence": [*h.evidence, hostile]})])
    login(client, "alice")
    r = client.get(f"/hypotheses/{h.id}")
    assert r.status_code == 200
    assert "<script>alert" not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "<mark>Lithium</mark> &amp; &lt;b&gt;<mark>HYPERTENSION</mark>&lt;/b&gt;" in r.text
    assert '<a href="https://pubmed.ncbi.nlm.nih.gov/1378968/"' in r.text
    assert 'pubmed.ncbi.nlm.nih.gov/1378968"' not in r.text  # the crafted PMID is not linked


def _passages(html: str) -> list[str]:
    return re.findall(r'<blockquote class="passage">\s*<p>(.*?)</p>', html, re.S)


def test_detail_marks_the_corpus_mentions_and_emphasises_subject_and_object_by_id(
    client: TestClient, hyps
) -> None:
    """PMID 1378968 (BC5CDR training set) as annotated: 26 mentions, lithium (MESH:D008094)
    also written "Li", hypertension MESH:D006973; offsets from the corpus file."""
    login(client, "alice")
    r = client.get(f"/hypotheses/{hyps[4].id}")  # lithium induces hypertension
    assert r.status_code == 200
    (passage,) = _passages(r.text)
    assert passage.count("<mark ") == 26
    assert passage.startswith(
        "Effects of uninephrectomy and high protein feeding on "
        '<mark class="m-chemical focus" title="MESH:D008094">lithium</mark>-induced '
        '<mark class="m-disease" title="MESH:D007676">chronic renal failure</mark> in rats.'
    )
    assert (  # offsets 941-943, 955-962, 975-986, 1000-1012
        'fractional <mark class="m-chemical focus" title="MESH:D008094">Li</mark> excretion. '
        '<mark class="m-chemical focus" title="MESH:D008094">Lithium</mark> also caused '
        '<mark class="m-disease" title="MESH:D011507">proteinuria</mark> and systolic '
        '<mark class="m-disease focus" title="MESH:D006973">hypertension</mark> in absence'
    ) in passage
    assert passage.count(" focus") == 14 + 2  # 14 lithium/Li mentions, 2 of hypertension
    assert 'class="legend muted" id="legend"' in r.text and '<span class="m-chemical">' in r.text


def test_detail_emphasises_mentions_whose_name_differs_from_the_object(
    client: TestClient, hyps
) -> None:
    """PMID 2234245: the object "Ocular and auditory toxicity" is MESH:D014786 (and
    D006311); "Visual toxicity" (457-472) and "a loss of visual acuity" (576-599) carry
    D014786 too; "Auditory toxicity" (633-650) only D006311; "dyschromatopsy" is unlinked."""
    login(client, "alice")
    (passage,) = _passages(client.get(f"/hypotheses/{hyps[12].id}").text)
    assert (
        '<mark class="m-disease focus" title="MESH:D014786, MESH:D006311">'
        "Ocular and auditory toxicity</mark>"
    ) in passage
    assert '<mark class="m-disease focus" title="MESH:D014786">Visual toxicity</mark>' in passage
    assert (
        '<mark class="m-disease focus" title="MESH:D014786">a loss of visual acuity</mark>'
    ) in passage
    assert '<mark class="m-disease" title="MESH:D006311">Auditory toxicity</mark>' in passage
    assert '<mark class="m-disease" title="not linked">dyschromatopsy</mark>' in passage
    assert '<mark class="m-chemical" title="not linked">aluminium</mark>' in passage


def test_accept_on_page_then_conflict_shows_409(client: TestClient, hyps) -> None:
    hid = hyps[0].id
    login(client, "alice")
    page = client.get(f"/hypotheses/{hid}").text
    form = {
        "csrf_token": _csrf(page),
        "version": "1",
        "comment": "solid evidence",
        "action": "accept",
    }
    r = client.post(f"/hypotheses/{hid}/decision", data=form)
    assert r.status_code == 200 and "Recorded: accept." in r.text and "solid evidence" in r.text
    assert re.search(r"<td>alice</td><td>accept</td>", r.text)
    r = client.post(f"/hypotheses/{hid}/decision", data={**form, "action": "reject"})
    assert r.status_code == 409
    assert "you saw version 1, it is now version 2" in r.text and 'id="error"' in r.text
    r = client.post(f"/hypotheses/{hid}/decision", data={**form, "csrf_token": "forged"})
    assert r.status_code == 403


def _conflict_message(hid: str) -> re.Pattern[str]:
    return re.compile(
        rf'<p class="error" role="alert" id="error">hypothesis {hid} was changed by alice '
        r"\(accept\) at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC after you opened it \(you saw "
        r"version 1, it is now version 2\); reload it, check the change and try again</p>"
    )


@pytest.mark.parametrize(
    ("form", "fields"),
    [
        ("edit", {"text": "Methyldopa lowers pressure"}),
        ("outcome", {"result": "confirmed", "lab": "bench 3", "cost": "1", "detail": ""}),
    ],
)
def test_stale_edit_and_outcome_forms_show_the_409_message(
    client: TestClient, loaded: str, hyps, form: str, fields: dict[str, str]
) -> None:
    hid = hyps[0].id
    login(client, "bob")
    token = _csrf(client.get(f"/hypotheses/{hid}").text)  # bob opens version 1
    other = TestClient(client.app)  # alice, in her own browser, accepts it first
    login(other, "alice")
    decision = {"csrf_token": _csrf(other.get(f"/hypotheses/{hid}").text), "version": "1"}
    r = other.post(f"/hypotheses/{hid}/decision", data={**decision, "action": "accept"})
    assert r.status_code == 200
    r = client.post(
        f"/hypotheses/{hid}/{form}", data={"csrf_token": token, "version": "1", **fields}
    )
    assert r.status_code == 409 and _conflict_message(hid).search(r.text), r.text
    assert service.recorded_outcome(loaded, hid) is None
    with db.database(loaded).read() as s:
        row = s.get(HypothesisRow, hid)
        assert row is not None and (row.text, row.version) == (hyps[0].text(), 2)


def test_stale_bulk_form_shows_the_409_message_and_applies_nothing(
    client: TestClient, loaded: str, hyps
) -> None:
    login(client, "bob")
    token = _csrf(client.get("/hypotheses").text)
    with db.database(loaded).write() as s:
        alice = s.scalars(select(User).where(User.username == "alice")).one()
        decide(s, alice, hyps[6].id, Action.ACCEPT, None, 1)
    items = [f"{h.id}:1" for h in hyps[5:8]]
    r = client.post(
        "/hypotheses/bulk?entity=lithium",
        data={"csrf_token": token, "action": "reject", "item": items},
    )
    assert r.status_code == 409
    assert (
        '<p class="error" role="alert" id="error">1 of the selected hypotheses changed since '
        f"you listed them ({hyps[6].id}); nothing was applied; reload the queue and try again</p>"
    ) in r.text
    assert "3 match" in r.text  # the queue is shown again with its filter
    with db.database(loaded).read() as s:
        rows = [s.get(HypothesisRow, h.id) for h in hyps[5:8]]
        states = [(row.status, row.version) for row in rows if row is not None]
    assert states == [("pending", 1), ("accepted", 2), ("pending", 1)]


def test_outcome_edit_bulk_and_export_on_pages(client: TestClient, loaded: str, hyps) -> None:
    login(client, "bob")
    hid = hyps[0].id
    token = _csrf(client.get(f"/hypotheses/{hid}").text)
    r = client.post(
        f"/hypotheses/{hid}/outcome",
        data={
            "csrf_token": token,
            "version": "1",
            "result": "refuted",
            "lab": "bench 3",
            "cost": "2",
            "detail": "",
        },
    )
    assert r.status_code == 200 and "Outcome recorded: refuted." in r.text
    assert service.recorded_outcome(loaded, hid).confirmed is False  # type: ignore[union-attr]
    r = client.post(
        f"/hypotheses/{hid}/edit",
        data={"csrf_token": token, "version": "2", "text": "Methyldopa lowers pressure"},
    )
    assert r.status_code == 200 and "Methyldopa lowers pressure" in r.text
    items = [f"{h.id}:1" for h in hyps[5:8]]
    r = client.post(
        "/hypotheses/bulk?entity=lithium",
        data={"csrf_token": token, "action": "needs_evidence", "item": items},
    )
    assert r.status_code == 200 and "needs evidence: 3 hypotheses updated." in r.text
    r = client.get("/export", params={"status": "needs_evidence", "format": "csv"})
    assert r.status_code == 200 and len(r.text.strip().splitlines()) == 4  # header + 3


def _valid_forms(hid: str) -> dict[str, dict[str, Any]]:
    """A well-formed submission for every POST form of the pages, less its CSRF token."""
    return {
        "/login": {"username": "alice", "password": PASSWORD},
        "/logout": {},
        "/hypotheses/{hypothesis_id}/decision": {"action": "accept", "version": "1"},
        "/hypotheses/{hypothesis_id}/edit": {"text": "changed", "version": "1"},
        "/hypotheses/{hypothesis_id}/outcome": {"result": "confirmed", "version": "1"},
        "/hypotheses/bulk": {"action": "reject", "item": [f"{hid}:1"]},
    }


@pytest.mark.parametrize("token", [None, "forged"])
def test_every_form_refuses_a_missing_or_forged_csrf_token(
    client: TestClient, loaded: str, hyps, token: str | None
) -> None:
    from hitl.web.pages import router

    hid = hyps[0].id
    forms = _valid_forms(hid)
    posts = {r.path for r in router.routes if "POST" in getattr(r, "methods", ())}
    assert posts == set(forms), "a new POST form needs an entry in _valid_forms"
    login(client, "alice")
    for path, form in forms.items():
        data = form if token is None else {**form, "csrf_token": token}
        r = client.post(path.format(hypothesis_id=hid), data=data, follow_redirects=False)
        assert r.status_code == 403, path
        assert "security token is missing or expired (CSRF check)" in r.text, path
    items = service.list_hypotheses(loaded, per_page=100).items
    assert all((i.version, i.status) == (1, "pending") for i in items)  # nothing changed
    assert service.recorded_outcome(loaded, hid) is None
    assert client.get("/hypotheses", follow_redirects=False).status_code == 200  # still in


def test_logout_clears_the_session(client: TestClient) -> None:
    login(client, "alice")
    token = _csrf(client.get("/hypotheses").text)
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/hypotheses", follow_redirects=False).status_code == 303


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (None, "SCIDISCO_SECRET_KEY is not set"),
        (DEV_SECRET, "is the built-in development secret"),
        ("short", "has 5 characters; use at least 32"),
    ],
)
def test_production_refuses_weak_secrets(secret: str | None, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        create_app(Settings(env="production", secret_key=secret, db_url="sqlite://"))


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCIDISCO_ENV", "development")
    monkeypatch.setenv("SCIDISCO_DB_URL", "sqlite:///x.db")
    settings = Settings()
    assert settings.development and settings.db_url == "sqlite:///x.db"
    assert settings.resolved_secret() == DEV_SECRET


def test_login_with_a_nul_in_the_name_counts_as_a_failure(client: TestClient) -> None:
    for _ in range(5):
        r = login(client, "ali\x00ce")
        assert r.status_code == 401 and "wrong username or password" in r.text
    assert login(client, "ali\x00ce").status_code == 429
