"""Read side: the filtered, sorted, paginated queue, a hypothesis's detail, and exports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session, aliased, lazyload

from hitl.errors import NotFound, check_text
from hitl.models import (
    AuditEntry,
    HypothesisRow,
    OutcomeRow,
    RunHypothesis,
    Status,
    User,
    VerdictSummary,
    is_hypothesis_id,
)

MAX_PER_PAGE = 200


class SortKey(StrEnum):
    SCORE_DESC = "-score"
    SCORE_ASC = "score"
    UPDATED_DESC = "-updated"
    UPDATED_ASC = "updated"
    SUBJECT = "subject"
    OBJECT = "object"
    STATUS = "status"

    @property
    def label(self) -> str:
        """How the sort reads in the queue page's menu."""
        return _SORT_LABELS[self]


_SORT_LABELS = {
    SortKey.SCORE_DESC: "score, highest first",
    SortKey.SCORE_ASC: "score, lowest first",
    SortKey.UPDATED_DESC: "last change, newest first",
    SortKey.UPDATED_ASC: "last change, oldest first",
    SortKey.SUBJECT: "subject, A-Z",
    SortKey.OBJECT: "object, A-Z",
    SortKey.STATUS: "status, then score",
}


class Filters(BaseModel):
    """Queue filters; every field is optional and they combine with AND."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = Field(default=None, description="Review status.")
    verdict: VerdictSummary | None = Field(default=None, description="Symbolic checks summary.")
    score_min: float | None = Field(default=None, description="Lowest primary score, inclusive.")
    score_max: float | None = Field(default=None, description="Highest primary score, inclusive.")
    entity: str | None = Field(
        default=None, max_length=200, description="Entity id or part of a name (either side)."
    )
    run: str | None = Field(default=None, max_length=128, description="Run id that recorded it.")
    reviewer: str | None = Field(default=None, max_length=64, description="Last deciding user.")
    q: str | None = Field(
        default=None, max_length=200, description="Words that must all appear (any case)."
    )

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any, info: ValidationInfo) -> Any:
        # An HTML filter form sends empty fields as "": treat them as "no filter".
        if isinstance(value, str):
            check_text(str(info.field_name), value)
            return value if value.strip() else None
        return value

    @model_validator(mode="after")
    def _range(self) -> Filters:
        low, high = self.score_min, self.score_max
        if low is not None and high is not None and low > high:
            raise ValueError(f"`score_min` ({low}) is greater than `score_max` ({high})")
        return self

    def active(self) -> dict[str, str]:
        """Non-empty filters as query-string values (for links that keep the filter)."""
        return {k: str(v) for k, v in self.model_dump(mode="json").items() if v not in (None, "")}


@dataclass(frozen=True)
class QueueItem:
    id: str
    text: str
    subject_name: str
    relation: str
    object_name: str
    status: str
    verdict: str
    score: float | None
    reviewer: str | None
    updated_at: datetime
    version: int


@dataclass(frozen=True)
class Page:
    items: list[QueueItem]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _filtered(stmt: Select[Any], filters: Filters, reviewer: Any) -> Select[Any]:
    h = HypothesisRow
    if filters.status is not None:
        stmt = stmt.where(h.status == filters.status.value)
    if filters.verdict is not None:
        stmt = stmt.where(h.verdict == filters.verdict.value)
    if filters.score_min is not None:
        stmt = stmt.where(h.score >= filters.score_min)
    if filters.score_max is not None:
        stmt = stmt.where(h.score <= filters.score_max)
    if filters.entity:
        stmt = stmt.where(h.entity_text.contains(filters.entity.strip().lower(), autoescape=True))
    if filters.run:
        linked = exists().where(
            RunHypothesis.hypothesis_id == h.id, RunHypothesis.run_id == filters.run
        )
        stmt = stmt.where(linked)
    if filters.reviewer:
        stmt = stmt.where(reviewer.username == filters.reviewer)
    for word in (filters.q or "").lower().split():
        stmt = stmt.where(h.search_text.contains(word, autoescape=True))
    return stmt


def _ordered(stmt: Select[Any], sort: SortKey) -> Select[Any]:
    h = HypothesisRow
    # NULLS LAST spelled out: SQLite and PostgreSQL put NULL at opposite ends by default.
    orders: dict[SortKey, list[Any]] = {
        SortKey.SCORE_DESC: [h.score.desc().nulls_last()],
        SortKey.SCORE_ASC: [h.score.asc().nulls_last()],
        SortKey.UPDATED_DESC: [h.updated_at.desc()],
        SortKey.UPDATED_ASC: [h.updated_at.asc()],
        SortKey.SUBJECT: [h.subject_name.asc(), h.object_name.asc()],
        SortKey.OBJECT: [h.object_name.asc(), h.subject_name.asc()],
        SortKey.STATUS: [h.status.asc(), h.score.desc().nulls_last()],
    }
    return stmt.order_by(*orders[sort], h.id.asc())  # the id makes pages stable


def list_queue(
    session: Session,
    filters: Filters,
    sort: SortKey = SortKey.SCORE_DESC,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """One page of the queue, with the total count of matching hypotheses."""
    page, per_page = max(1, page), min(max(1, per_page), MAX_PER_PAGE)
    h, reviewer = HypothesisRow, aliased(User)
    count = select(func.count()).select_from(h)
    if filters.reviewer:
        count = count.join(reviewer, h.reviewer_id == reviewer.id)
    total = session.scalar(_filtered(count, filters, reviewer)) or 0

    # Deferred join: pick the page's ids first (from the index when the order allows), then
    # fetch those rows only, so deep pages do not read every row before them.
    inner = aliased(User)
    ids = select(h.id)
    if filters.reviewer:
        ids = ids.join(inner, h.reviewer_id == inner.id)
    page_ids = (
        _ordered(_filtered(ids, filters, inner), sort)
        .limit(per_page)
        .offset((page - 1) * per_page)
        .subquery()
    )
    columns = select(
        h.id,
        h.text,
        h.subject_name,
        h.relation,
        h.object_name,
        h.status,
        h.verdict,
        h.score,
        reviewer.username,
        h.updated_at,
        h.version,
    ).join(page_ids, h.id == page_ids.c.id)
    columns = columns.outerjoin(reviewer, h.reviewer_id == reviewer.id)
    rows = session.execute(_ordered(cast("Select[Any]", columns), sort)).all()
    return Page([QueueItem(*row) for row in rows], int(total), page, per_page)


def get_row(session: Session, hypothesis_id: str) -> HypothesisRow:
    """The hypothesis with its evidence and verdicts.

    Raises:
        NotFound: no hypothesis has this id.
    """
    row = session.get(HypothesisRow, hypothesis_id) if is_hypothesis_id(hypothesis_id) else None
    if row is None:
        raise NotFound(f"no hypothesis with id {hypothesis_id!r}")
    return row


def outcomes(session: Session, hypothesis_id: str) -> list[tuple[OutcomeRow, str]]:
    """Recorded lab outcomes, newest first, with the recording user's name."""
    stmt = (
        select(OutcomeRow, User.username)
        .join(User, OutcomeRow.recorded_by == User.id)
        .where(OutcomeRow.hypothesis_id == hypothesis_id)
        .order_by(OutcomeRow.recorded_at.desc(), OutcomeRow.id.desc())
    )
    return [(row, name) for row, name in session.execute(stmt).all()]


def latest_outcome(session: Session, hypothesis_id: str) -> OutcomeRow | None:
    stmt = (
        select(OutcomeRow)
        .where(OutcomeRow.hypothesis_id == hypothesis_id)
        .order_by(OutcomeRow.recorded_at.desc(), OutcomeRow.id.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def history(
    session: Session, hypothesis_id: str | None = None, limit: int = 200
) -> list[AuditEntry]:
    """Audit entries, newest first; for one hypothesis when ``hypothesis_id`` is given."""
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit)
    if hypothesis_id is not None:
        stmt = stmt.where(AuditEntry.hypothesis_id == hypothesis_id)
    return list(session.scalars(stmt))


def runs_of(session: Session, hypothesis_id: str) -> list[str]:
    stmt = select(RunHypothesis.run_id).where(RunHypothesis.hypothesis_id == hypothesis_id)
    return sorted(session.scalars(stmt))


def export_rows(
    session: Session, filters: Filters, sort: SortKey = SortKey.SCORE_DESC
) -> Iterator[dict[str, Any]]:
    """Every matching hypothesis as a flat record, streamed in batches.

    No IN list grows with the selection (the "too many SQL variables" failure of other
    tools): rows come from the filter query, evidence through batched select-in loads.
    """
    h, reviewer = HypothesisRow, aliased(User)
    latest = (
        select(OutcomeRow.confirmed)
        .where(OutcomeRow.hypothesis_id == h.id)
        .order_by(OutcomeRow.recorded_at.desc(), OutcomeRow.id.desc())
        .limit(1)
        .correlate(h)
        .scalar_subquery()
    )
    has_outcome = exists().where(OutcomeRow.hypothesis_id == h.id).correlate(h)
    stmt = (
        select(h, reviewer.username, latest, has_outcome)
        .outerjoin(reviewer, h.reviewer_id == reviewer.id)
        .options(lazyload(h.reviewer))
    )
    stmt = _ordered(_filtered(stmt, filters, reviewer), sort).execution_options(yield_per=500)
    for row, reviewer_name, confirmed, tested in session.execute(stmt):
        yield {
            "id": row.id,
            "text": row.text,
            "subject_id": row.subject_id,
            "subject": row.subject_name,
            "relation": row.relation,
            "object_id": row.object_id,
            "object": row.object_name,
            "status": row.status,
            "verdict": row.verdict,
            "score": row.score,
            "scores": row.scores,
            "reviewer": reviewer_name,
            "decision_comment": row.decision_comment,
            "decided_at": row.decided_at.isoformat() if row.decided_at else None,
            "cited_pmids": row.cited_pmids,
            "evidence_pmids": [e.pmid for e in row.evidence],
            "outcome": ("unknown" if confirmed is None else str(bool(confirmed)).lower())
            if tested
            else None,
            "run": row.latest_run_id,
            "version": row.version,
        }
