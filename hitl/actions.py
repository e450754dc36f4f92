"""Write side: reviewers' decisions, edits, bulk decisions and lab outcomes.

Every write names the version the user saw. A different current version means someone
else changed the hypothesis in between: the write is refused with :class:`Conflict`
instead of silently overwriting. The ORM's version column guards the remaining window
between the check and the UPDATE. Each change appends an audit entry in the same
transaction, so a decision and its audit entry commit together or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from hitl.db import utcnow
from hitl.errors import Conflict, Forbidden, InvalidInput, NotFound, check_text
from hitl.ingest import chunks, search_text
from hitl.models import (
    AuditEntry,
    HypothesisRow,
    OutcomeRow,
    Role,
    Status,
    User,
    is_hypothesis_id,
)

MAX_COMMENT = 4000
MAX_TEXT = 1000


class Action(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    NEEDS_EVIDENCE = "needs_evidence"


STATUS_OF = {
    Action.ACCEPT: Status.ACCEPTED,
    Action.REJECT: Status.REJECTED,
    Action.NEEDS_EVIDENCE: Status.NEEDS_EVIDENCE,
}


def require_reviewer(user: User) -> None:
    if user.role not in (Role.REVIEWER.value, Role.ADMIN.value):
        raise Forbidden(
            f"user {user.username!r} has role {user.role!r}, which may only read; "
            "ask an admin for the reviewer role"
        )


def _locked(session: Session, hypothesis_id: str, version: int) -> HypothesisRow:
    row = session.get(HypothesisRow, hypothesis_id) if is_hypothesis_id(hypothesis_id) else None
    if row is None:
        raise NotFound(f"no hypothesis with id {hypothesis_id!r}")
    if row.version != version:
        raise _conflict(session, row, version)
    return row


def _conflict(session: Session, row: HypothesisRow, seen: int) -> Conflict:
    last = session.scalar(
        select(AuditEntry)
        .where(AuditEntry.hypothesis_id == row.id)
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    )
    who = f" by {last.actor} ({last.action}) at {last.at:%Y-%m-%d %H:%M:%S} UTC" if last else ""
    return Conflict(
        f"hypothesis {row.id} was changed{who} after you opened it (you saw version {seen}, "
        f"it is now version {row.version}); reload it, check the change and try again",
        current_version=row.version,
    )


def _flush(session: Session, hypothesis_id: str, seen: int) -> None:
    # The row's attributes are expired once the flush fails: only use plain values here.
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict(
            f"hypothesis {hypothesis_id} was changed by someone else while you saved (you saw "
            f"version {seen}); reload it and try again"
        ) from exc


def _comment(comment: str | None) -> str | None:
    comment = check_text("comment", comment or "").strip() or None
    if comment is not None and len(comment) > MAX_COMMENT:
        raise InvalidInput(f"comment has {len(comment)} characters; the limit is {MAX_COMMENT}")
    return comment


def _audit(session: Session, user: User, action: str, row_id: str, **kw: Any) -> None:
    session.add(
        AuditEntry(actor_id=user.id, actor=user.username, action=action, hypothesis_id=row_id, **kw)
    )


def _decide_row(row: HypothesisRow, user: User, action: Action, comment: str | None) -> dict:
    before = {"status": row.status, "comment": row.decision_comment, "version": row.version}
    row.status = STATUS_OF[action].value
    row.decision_comment = comment
    row.reviewer_id = user.id
    row.decided_at = row.updated_at = utcnow()
    return before


def decide(
    session: Session,
    user: User,
    hypothesis_id: str,
    action: Action,
    comment: str | None,
    version: int,
) -> HypothesisRow:
    """Accept, reject or ask for more evidence on a hypothesis.

    Raises:
        Forbidden: the user is a viewer.
        NotFound: no such hypothesis.
        Conflict: the hypothesis is no longer at ``version``.
        InvalidInput: the comment is too long.
    """
    require_reviewer(user)
    comment = _comment(comment)
    row = _locked(session, hypothesis_id, version)
    before = _decide_row(row, user, action, comment)
    _flush(session, hypothesis_id, version)
    after = {"status": row.status, "comment": comment, "version": row.version}
    _audit(session, user, action.value, row.id, before=before, after=after, comment=comment)
    return row


def edit_text(
    session: Session, user: User, hypothesis_id: str, text: str, version: int
) -> HypothesisRow:
    """Replace the hypothesis's displayed text (the machine's text is kept)."""
    require_reviewer(user)
    text = " ".join(check_text("text", text).split())
    if not text or len(text) > MAX_TEXT:
        raise InvalidInput(f"`text` must be 1-{MAX_TEXT} characters, got {len(text)}")
    row = _locked(session, hypothesis_id, version)
    before = {"text": row.text, "version": row.version}
    row.text = text
    row.search_text = search_text(
        text, row.machine_text, row.subject_id, row.object_id, row.rationale
    )
    row.updated_at = utcnow()
    _flush(session, hypothesis_id, version)
    _audit(
        session, user, "edit", row.id, before=before, after={"text": text, "version": row.version}
    )
    return row


def record_outcome(
    session: Session,
    user: User,
    hypothesis_id: str,
    confirmed: bool | None,
    lab: str,
    cost: float,
    detail: str,
    version: int,
) -> OutcomeRow:
    """Record what the lab found; rl's human lab reads the latest one."""
    require_reviewer(user)
    lab = check_text("lab", lab).strip() or "human"
    check_text("detail", detail)
    if len(lab) > 100 or len(detail) > MAX_COMMENT:
        raise InvalidInput(f"`lab` must be at most 100 and `detail` {MAX_COMMENT} characters")
    if not 0 <= cost < 1e9:
        raise InvalidInput(f"`cost` must be between 0 and 1e9, got {cost}")
    row = _locked(session, hypothesis_id, version)
    row.updated_at = utcnow()  # bumps the version: outcomes take part in the locking
    _flush(session, hypothesis_id, version)
    outcome = OutcomeRow(
        hypothesis_id=row.id,
        confirmed=confirmed,
        lab=lab,
        cost=cost,
        detail=detail.strip(),
        recorded_by=user.id,
    )
    session.add(outcome)
    after = {
        "confirmed": confirmed,
        "lab": lab,
        "cost": cost,
        "detail": outcome.detail,
        "version": row.version,
    }
    _audit(session, user, "outcome", row.id, before=None, after=after)
    return outcome


@dataclass(frozen=True)
class BulkItem:
    id: str
    version: int


def bulk_decide(
    session: Session, user: User, items: list[BulkItem], action: Action, comment: str | None
) -> list[HypothesisRow]:
    """Apply one decision to many hypotheses, all or none.

    Raises:
        Conflict: any hypothesis changed since it was listed; nothing is applied and the
            message names every conflicting id.
        NotFound: some ids do not exist (all are named).
    """
    require_reviewer(user)
    comment = _comment(comment)
    if not items:
        raise InvalidInput("no hypotheses selected; tick at least one")
    wanted = {item.id: item.version for item in items}
    rows: dict[str, HypothesisRow] = {}
    well_formed = [hid for hid in wanted if is_hypothesis_id(hid)]
    for part in chunks(well_formed):  # IN lists stay small whatever the selection size
        rows.update(
            (r.id, r)
            for r in session.scalars(select(HypothesisRow).where(HypothesisRow.id.in_(part)))
        )
    missing = sorted(set(wanted) - set(rows))
    if missing:
        raise NotFound(f"no hypotheses with ids {', '.join(missing[:20])}")
    stale = sorted(hid for hid, row in rows.items() if row.version != wanted[hid])
    if stale:
        raise Conflict(
            f"{len(stale)} of the selected hypotheses changed since you listed them "
            f"({', '.join(stale[:20])}); nothing was applied; reload the queue and try again"
        )
    befores = {hid: _decide_row(row, user, action, comment) for hid, row in rows.items()}
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict("the selection changed while saving; nothing was applied; reload") from exc
    for hid, row in rows.items():
        after = {"status": row.status, "comment": comment, "version": row.version}
        _audit(session, user, action.value, hid, before=befores[hid], after=after, comment=comment)
    return list(rows.values())
