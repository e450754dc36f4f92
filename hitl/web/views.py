"""Builds the response models shared by the API and the pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import Field
from sqlalchemy.orm import Session

from hitl import queries
from hitl.db import Database
from hitl.highlight import pubmed_url
from hitl.models import AuditEntry, HypothesisRow
from hitl.queries import MAX_PER_PAGE, Filters, Page, SortKey
from hitl.web.schemas import (
    AuditOut,
    EvidenceOut,
    HypothesisOut,
    MentionOut,
    OutcomeOut,
    QueueItemOut,
    QueueOut,
    VerdictOut,
)


class QueueParams(Filters):
    sort: SortKey = Field(default=SortKey.SCORE_DESC, description="Sort key; '-' is descending.")
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=50, ge=1, le=MAX_PER_PAGE)

    def filters(self) -> Filters:
        return Filters.model_validate(self.model_dump(include=set(Filters.model_fields)))


class ExportParams(Filters):
    sort: SortKey = SortKey.SCORE_DESC
    format: Literal["csv", "json"] = "csv"

    def filters(self) -> Filters:
        return Filters.model_validate(self.model_dump(include=set(Filters.model_fields)))


QueueQuery = Annotated[QueueParams, Query()]
ExportQuery = Annotated[ExportParams, Query()]


def queue_out(page: Page) -> QueueOut:
    return QueueOut(
        items=[QueueItemOut.model_validate(item, from_attributes=True) for item in page.items],
        total=page.total,
        page=page.page,
        per_page=page.per_page,
        pages=page.pages,
    )


def audit_out(entry: AuditEntry) -> AuditOut:
    return AuditOut.model_validate(entry, from_attributes=True)


def hypothesis_out(session: Session, row: HypothesisRow) -> HypothesisOut:
    return HypothesisOut(
        id=row.id,
        text=row.text,
        machine_text=row.machine_text,
        subject={"id": row.subject_id, "name": row.subject_name, "type": row.subject_type},
        relation=row.relation,
        object={"id": row.object_id, "name": row.object_name, "type": row.object_type},
        rationale=row.rationale,
        cited_pmids=list(row.cited_pmids),
        scores=dict(row.scores),
        score=row.score,
        verdict=row.verdict,
        provenance=dict(row.provenance),
        status=row.status,
        reviewer=row.reviewer.username if row.reviewer else None,
        decision_comment=row.decision_comment,
        decided_at=row.decided_at,
        version=row.version,
        runs=queries.runs_of(session, row.id),
        evidence=[
            EvidenceOut(
                pmid=e.pmid,
                text=e.text,
                score=e.score,
                retriever=e.retriever,
                url=pubmed_url(e.pmid),
                mentions=[MentionOut.model_validate(m) for m in e.mentions],
            )
            for e in row.evidence
        ],
        verdicts=[VerdictOut.model_validate(v, from_attributes=True) for v in row.verdicts],
        outcomes=[
            OutcomeOut(
                confirmed=o.confirmed,
                lab=o.lab,
                cost=o.cost,
                detail=o.detail,
                recorded_by=name,
                recorded_at=o.recorded_at,
            )
            for o, name in queries.outcomes(session, row.id)
        ],
        history=[audit_out(a) for a in queries.history(session, row.id)],
    )


def load_detail(db: Database, hypothesis_id: str) -> HypothesisOut:
    with db.read() as session:
        return hypothesis_out(session, queries.get_row(session, hypothesis_id))


def stream_export(db: Database, params: ExportParams) -> Iterator[dict[str, Any]]:
    """Export rows, read inside one transaction that lives as long as the stream."""
    with db.read() as session:
        yield from queries.export_rows(session, params.filters(), params.sort)
