"""The review store on SQLite and PostgreSQL: recording runs, queries, audit, migrations."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, func, inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from agent.types import Evidence, Hypothesis
from hitl import db, service
from hitl.actions import Action, decide
from hitl.models import AuditEntry, HypothesisRow, User
from hitl.queries import Filters, SortKey, export_rows

# Hand-counted from the first 12 abstracts of CDR_TrainingSet.PubTator.txt: 18 CID lines,
# 18 distinct triples; every abstract has a first-ranked relation (score 1.0), four have a
# second (0.5) and two a third (0.3333); PMID 1378968 links lithium to three diseases.
N_SLICE, N_TOP, N_SECOND, N_THIRD = 18, 12, 4, 2


def test_slice_ground_truth(cdr_slice, hyps, tmp_path: Path, bc5cdr_train: Path) -> None:
    from tests.conftest import first_documents

    raw = first_documents(bc5cdr_train, 12, tmp_path / "s.txt").read_text()
    assert sum("\tCID\t" in line for line in raw.splitlines()) == N_SLICE
    assert len({h.id for h in hyps}) == N_SLICE


def test_record_run_is_idempotent(db_url: str, hyps: list[Hypothesis]) -> None:
    assert service.record_run(db_url, "run-1", hyps) == N_SLICE
    assert service.record_run(db_url, "run-1", hyps) == N_SLICE
    with db.database(db_url).read() as s:
        assert s.scalar(select(func.count()).select_from(HypothesisRow)) == N_SLICE
        audits = s.scalars(select(AuditEntry.action)).all()
    assert audits == ["record"] * N_SLICE  # the second recording changed nothing
    page = service.list_hypotheses(db_url, Filters(run="run-1"), per_page=100)
    assert page.total == N_SLICE and all(item.version == 1 for item in page.items)


def test_round_trip_keeps_every_field(db_url: str, hyps: list[Hypothesis]) -> None:
    service.record_run(db_url, "run-1", hyps)
    for h in hyps[:3]:
        assert service.get_hypothesis(db_url, h.id) == h


def test_rerecording_changed_content_updates_machine_fields_not_reviewer_state(
    loaded: str, hyps: list[Hypothesis]
) -> None:
    h = hyps[4]  # lithium induces hypertension
    with db.database(loaded).write() as s:
        alice = s.scalars(select(User).where(User.username == "alice")).one()
        decide(s, alice, h.id, Action.ACCEPT, "convincing", 1)
    extra = Evidence(pmid="1378968", text="A second passage.", score=0.5)
    changed = h.model_copy(update={"evidence": [*h.evidence, extra], "scores": {"final": 0.2}})
    service.record_run(loaded, "run-2", [changed])

    with db.database(loaded).read() as s:
        row = s.get(HypothesisRow, h.id)
        assert row is not None
        assert (row.status, row.decision_comment, row.score) == ("accepted", "convincing", 0.2)
        assert len(row.evidence) == 2 and row.version == 3 and row.latest_run_id == "run-2"
        actions = [
            a.action
            for a in s.scalars(
                select(AuditEntry).where(AuditEntry.hypothesis_id == h.id).order_by(AuditEntry.id)
            )
        ]
    assert actions == ["record", "accept", "machine_update"]
    assert service.list_hypotheses(loaded, Filters(run="run-2")).total == 1
    assert service.list_hypotheses(loaded, Filters(run="run-1")).total == N_SLICE


def test_a_run_mixing_changed_and_new_hypotheses_links_them_all(
    db_url: str, hyps: list[Hypothesis]
) -> None:
    # The second run updates three stored hypotheses and adds new ones in one flush: its
    # run links must still be inserted after the rows they point to (foreign keys on).
    service.record_run(db_url, "run-1", hyps[:10])
    changed = [h.model_copy(update={"scores": {"final": 0.9}}) for h in hyps[:3]]
    assert service.record_run(db_url, "run-2", [*changed, *hyps[10:]]) == N_SLICE - 7
    assert service.list_hypotheses(db_url, Filters(run="run-2")).total == N_SLICE - 7
    assert service.list_hypotheses(db_url, Filters(run="run-1")).total == 10


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(), N_SLICE),
        (Filters(score_min=0.9), N_TOP),
        (Filters(score_min=0.4, score_max=0.6), N_SECOND),
        (Filters(score_max=0.34), N_THIRD),
        (Filters(entity="LITHIUM"), 3),
        (Filters(entity="MESH:D008094"), 3),  # lithium's MeSH id
        (Filters(q="Lithium HYPERTENSION"), 1),
        (Filters(q="1378968"), 3),  # the rationale names the PMID
        (Filters(q="100%_"), 0),  # LIKE wildcards are escaped, not interpreted
        (Filters(verdict="pass"), N_SLICE),
        (Filters(verdict="fail"), 0),
        (Filters(status="pending"), N_SLICE),
        (Filters(run="no-such-run"), 0),
    ],
)
def test_filters(loaded: str, filters: Filters, expected: int) -> None:
    assert service.list_hypotheses(loaded, filters).total == expected


def test_reviewer_and_status_filters_and_non_ascii_search(loaded: str, hyps) -> None:
    with db.database(loaded).write() as s:
        bob = s.scalars(select(User).where(User.username == "bob")).one()
        decide(s, bob, hyps[0].id, Action.REJECT, None, 1)
    assert service.list_hypotheses(loaded, Filters(reviewer="bob")).total == 1
    assert service.list_hypotheses(loaded, Filters(status="rejected")).total == 1
    from hitl.actions import edit_text

    with db.database(loaded).write() as s:
        bob = s.scalars(select(User).where(User.username == "bob")).one()
        edit_text(s, bob, hyps[1].id, "Lidocaine induces ÄSYSTOLE (Ökologie)", 1)
    # SQLite's own lower() folds ASCII only; the stored lower-cased text makes both agree.
    assert service.list_hypotheses(loaded, Filters(q="äsystole ökologie")).total == 1


def test_sorting_puts_missing_scores_last_on_both_databases(db_url: str, hyps) -> None:
    unscored = hyps[0].model_copy(update={"scores": {}})
    service.record_run(db_url, "run-1", [unscored, *hyps[1:]])
    for sort in (SortKey.SCORE_DESC, SortKey.SCORE_ASC):
        items = service.list_hypotheses(db_url, sort=sort, per_page=100).items
        assert items[-1].id == unscored.id and items[-1].score is None
    top = service.list_hypotheses(db_url, sort=SortKey.SCORE_DESC, per_page=100).items
    scores = [i.score for i in top if i.score is not None]
    assert scores == sorted(scores, reverse=True)


def test_pagination_covers_every_row_once(loaded: str) -> None:
    seen = []
    for page in (1, 2, 3, 4):
        seen += [i.id for i in service.list_hypotheses(loaded, page=page, per_page=5).items]
    assert len(seen) == N_SLICE == len(set(seen))
    assert service.list_hypotheses(loaded, per_page=5).pages == 4


ZONE = "America/New_York"  # never UTC (-5 or -4 h), so a local time cannot pass for UTC


def _zoned_engine(url: str) -> Engine:
    """An engine whose sessions run in New York time (PostgreSQL; SQLite has no zone)."""
    if url.startswith("postgresql"):
        return create_engine(url, connect_args={"options": f"-c timezone={ZONE}"})
    return db.make_engine(url)


def test_timestamps_are_utc_aware(loaded: str, hyps) -> None:
    """A decision made in a New York session is stored as the UTC instant and read back
    timezone-aware in UTC. ``.ci/postgres.sh`` also runs the server itself in New York time."""
    engine = _zoned_engine(loaded)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            assert conn.execute(text("SHOW timezone")).scalar() == ZONE
    before = db.utcnow()
    with Session(engine) as s, s.begin():
        bob = s.scalars(select(User).where(User.username == "bob")).one()
        decide(s, bob, hyps[0].id, Action.REJECT, None, 1)
    after = db.utcnow()
    with Session(engine) as s:
        row = s.get(HypothesisRow, hyps[0].id)
        assert row is not None and row.decided_at is not None
        assert row.decided_at.utcoffset() == timedelta(0) and before <= row.decided_at <= after
        # The stored value itself, as UTC wall-clock time without zone (not through the ORM).
        utc_sql = (
            "decided_at AT TIME ZONE 'UTC'"
            if engine.dialect.name == "postgresql"
            else ("decided_at")
        )
        raw = s.execute(text(f"SELECT {utc_sql} FROM hypotheses WHERE id = :i"), {"i": row.id})
        stored = raw.scalar()
    engine.dispose()
    stored = datetime.fromisoformat(stored) if isinstance(stored, str) else stored
    assert stored.tzinfo is None
    assert before.replace(tzinfo=None) <= stored <= after.replace(tzinfo=None)
    item = service.list_hypotheses(loaded, Filters(status="rejected")).items[0]
    assert item.updated_at.utcoffset() == timedelta(0) and before <= item.updated_at <= after


def test_audit_log_is_append_only(loaded: str) -> None:
    engine = db.database(loaded).engine
    for statement in ("UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with db.database(loaded).read() as s:
        assert set(s.scalars(select(AuditEntry.actor))) == {"system"}


def test_export_streams_the_filtered_selection(loaded: str) -> None:
    with db.database(loaded).read() as s:
        rows = list(export_rows(s, Filters(entity="lithium")))
    assert [r["object"] for r in rows] == ["hypertension", "proteinuria", "chronic renal failure"]
    assert rows[0]["evidence_pmids"] == ["1378968"] and rows[0]["outcome"] is None


def test_migrations_down_and_up_keep_data(tmp_path: Path, db_url: str, hyps) -> None:
    service.record_run(db_url, "run-1", hyps[:2])
    db.database(db_url).dispose()
    db.downgrade(db_url, "0001")  # SQLite rebuilds the tables here (batch mode)
    db.migrate(db_url)
    engine = db.database(db_url).engine
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM hypotheses")).scalar() == 2
        assert conn.execute(text("SELECT count(*) FROM evidence")).scalar() == 2
    names = {ix["name"] for ix in inspect(engine).get_indexes("hypotheses")}
    assert {"ix_hypotheses_score", "ix_hypotheses_status_score"} <= names
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("UPDATE hypotheses SET status = 'maybe'"))  # the CHECK is back
    # Rows older than migration 0005 have no stored mentions: an empty list, not NULL.
    assert [e.mentions for e in service.get_hypothesis(db_url, hyps[0].id).evidence] == [[]]


def test_mentions_column_is_added_and_removed_by_migration_0005(db_url: str, hyps) -> None:
    service.record_run(db_url, "run-1", hyps[:1])
    engine = db.database(db_url).engine
    engine.dispose()
    db.downgrade(db_url, "0004")
    assert "mentions" not in {c["name"] for c in inspect(engine).get_columns("evidence")}
    db.migrate(db_url)
    assert "mentions" in {c["name"] for c in inspect(engine).get_columns("evidence")}
    service.record_run(db_url, "run-2", hyps[:1])  # the same content: nothing is rewritten
    assert service.get_hypothesis(db_url, hyps[0].id).evidence[0].mentions == []
    changed = hyps[0].model_copy(update={"scores": {"final": 0.5}})
    service.record_run(db_url, "run-3", [changed])  # new content: mentions stored again
    assert service.get_hypothesis(db_url, hyps[0].id) == changed


def test_recorded_outcome_is_none_until_recorded(loaded: str, hyps) -> None:
    assert service.recorded_outcome(loaded, hyps[0].id) is None
    assert service.recorded_outcome(loaded, "0000000000000000") is None
