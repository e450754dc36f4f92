"""Decisions, edits, outcomes and bulk actions: locking, roles, audit, concurrency."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from hitl import db, service
from hitl.actions import Action, BulkItem, bulk_decide, decide, edit_text, record_outcome
from hitl.errors import Conflict, Forbidden, InvalidInput, NotFound
from hitl.ingest import CHUNK
from hitl.models import AuditEntry, HypothesisRow, User
from hitl.queries import Filters
from retrieval.pubtator import read_pubtator
from tests.hitl.hitl_helpers import hypotheses_from, make_user


def _user(session, name: str) -> User:
    user = session.scalar(select(User).where(User.username == name))
    assert user is not None
    return user


def test_decision_is_audited_with_before_and_after(loaded: str, hyps) -> None:
    hid = hyps[0].id
    with db.database(loaded).write() as s:
        decide(s, _user(s, "alice"), hid, Action.NEEDS_EVIDENCE, "  only one rat study ", 1)
    with db.database(loaded).read() as s:
        entry = s.scalars(
            select(AuditEntry).where(AuditEntry.hypothesis_id == hid).order_by(AuditEntry.id.desc())
        ).first()
        assert entry is not None
        assert (entry.actor, entry.action, entry.comment) == (
            "alice",
            "needs_evidence",
            "only one rat study",
        )
        assert entry.before == {"status": "pending", "comment": None, "version": 1}
        assert entry.after == {
            "status": "needs_evidence",
            "comment": "only one rat study",
            "version": 2,
        }
        assert entry.at.tzinfo is not None


def test_second_reviewer_with_stale_version_gets_conflict(loaded: str, hyps) -> None:
    hid = hyps[0].id
    with db.database(loaded).write() as s:
        decide(s, _user(s, "alice"), hid, Action.ACCEPT, "yes", 1)
    with (
        pytest.raises(
            Conflict, match=r"changed by alice \(accept\).*you saw version 1, it is now version 2"
        ) as info,
        db.database(loaded).write() as s,
    ):
        decide(s, _user(s, "bob"), hid, Action.REJECT, "no", 1)
    assert info.value.current_version == 2
    with db.database(loaded).read() as s:
        row = s.get(HypothesisRow, hid)
        assert row is not None and (row.status, row.decision_comment) == ("accepted", "yes")


def test_concurrent_decisions_one_wins_one_conflicts(loaded: str, hyps) -> None:
    """Two threads submit at the same version at once: exactly one write lands."""
    hid, barrier = hyps[2].id, threading.Barrier(2)
    results: dict[str, str] = {}

    def review(name: str, action: Action) -> None:
        barrier.wait()
        try:
            with db.database(loaded).write() as s:
                decide(s, _user(s, name), hid, action, name, 1)
            results[name] = "ok"
        except Conflict:
            results[name] = "conflict"

    threads = [
        threading.Thread(target=review, args=a)
        for a in [("alice", Action.ACCEPT), ("bob", Action.REJECT)]
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results.values()) == ["conflict", "ok"]
    winner = next(n for n, r in results.items() if r == "ok")
    with db.database(loaded).read() as s:
        row = s.get(HypothesisRow, hid)
        assert row is not None and row.version == 2 and row.decision_comment == winner
        decisions = s.scalars(
            select(AuditEntry.actor).where(
                AuditEntry.hypothesis_id == hid, AuditEntry.actor != "system"
            )
        ).all()
    assert decisions == [winner]


def test_viewer_may_not_change_anything(loaded: str, hyps) -> None:
    with (
        pytest.raises(Forbidden, match="'vera' has role 'viewer'"),
        db.database(loaded).write() as s,
    ):
        decide(s, _user(s, "vera"), hyps[0].id, Action.ACCEPT, None, 1)


def test_unknown_hypothesis_and_long_comment(loaded: str) -> None:
    with (
        pytest.raises(NotFound, match="no hypothesis with id 'nope'"),
        db.database(loaded).write() as s,
    ):
        decide(s, _user(s, "alice"), "nope", Action.ACCEPT, None, 1)
    with (
        pytest.raises(InvalidInput, match="4001 characters; the limit is 4000"),
        db.database(loaded).write() as s,
    ):
        decide(s, _user(s, "alice"), "nope", Action.ACCEPT, "x" * 4001, 1)


def test_edit_text_keeps_machine_text_and_is_searchable(loaded: str, hyps) -> None:
    hid = hyps[4].id
    with db.database(loaded).write() as s:
        row = edit_text(s, _user(s, "bob"), hid, "Chronic lithium  raises blood pressure", 1)
        assert row.version == 2
    h = service.get_hypothesis(loaded, hid)
    assert h.text() == "lithium induces hypertension"  # the domain triple is unchanged
    assert service.list_hypotheses(loaded, Filters(q="blood pressure")).total == 1
    with (
        pytest.raises(InvalidInput, match="1-1000 characters, got 0"),
        db.database(loaded).write() as s,
    ):
        edit_text(s, _user(s, "bob"), hid, "   ", 2)


def test_outcome_feeds_recorded_outcome_and_bumps_version(loaded: str, hyps) -> None:
    hid = hyps[0].id
    with db.database(loaded).write() as s:
        record_outcome(
            s, _user(s, "alice"), hid, False, "wet lab 2", 3.5, "no effect at 20 mg/kg", 1
        )
    outcome = service.recorded_outcome(loaded, hid)
    assert outcome is not None
    assert (outcome.confirmed, outcome.lab, outcome.cost, outcome.detail) == (
        False,
        "wet lab 2",
        3.5,
        "no effect at 20 mg/kg",
    )
    with pytest.raises(Conflict), db.database(loaded).write() as s:
        record_outcome(s, _user(s, "bob"), hid, True, "", 1.0, "", 1)
    with db.database(loaded).write() as s:
        record_outcome(s, _user(s, "bob"), hid, None, "", 1.0, "", 2)
    latest = service.recorded_outcome(loaded, hid)
    assert latest is not None and latest.confirmed is None and latest.lab == "human"


def test_bulk_is_all_or_none(loaded: str, hyps) -> None:
    items = [BulkItem(h.id, 1) for h in hyps[:5]]
    with db.database(loaded).write() as s:
        decide(s, _user(s, "alice"), hyps[3].id, Action.REJECT, None, 1)
    with (
        pytest.raises(
            Conflict,
            match=f"1 of the selected hypotheses changed.*{hyps[3].id}.*nothing was applied",
        ),
        db.database(loaded).write() as s,
    ):
        bulk_decide(s, _user(s, "bob"), items, Action.ACCEPT, "batch")
    assert service.list_hypotheses(loaded, Filters(status="accepted")).total == 0
    items[3] = BulkItem(hyps[3].id, 2)
    with db.database(loaded).write() as s:
        assert len(bulk_decide(s, _user(s, "bob"), items, Action.ACCEPT, "batch")) == 5
    assert service.list_hypotheses(loaded, Filters(status="accepted", reviewer="bob")).total == 5


@pytest.mark.slow
def test_bulk_and_export_beyond_one_in_list(db_url: str, bc5cdr_train: Path) -> None:
    """Selections larger than one IN list (500) work: no "too many SQL variables"."""
    hyps = hypotheses_from(list(read_pubtator(bc5cdr_train)))
    raw = bc5cdr_train.read_text().splitlines()
    unique = {tuple(line.split("\t")[2:4]) for line in raw if "\tCID\t" in line}
    n = len(unique)
    assert service.record_run(db_url, "full", hyps) == n > CHUNK
    make_user(db_url, "alice", "reviewer")
    with db.database(db_url).write() as s:
        rows = bulk_decide(
            s, _user(s, "alice"), [BulkItem(h.id, 1) for h in hyps], Action.REJECT, None
        )
    assert len(rows) == n
    from hitl.queries import export_rows

    with db.database(db_url).read() as s:
        exported = list(export_rows(s, Filters(status="rejected")))
    assert len(exported) == n and all(r["evidence_pmids"] for r in exported)
