"""The review store's public functions for other packages (by database URL).

The discovery runner calls :func:`record_run`; rl's human lab calls
:func:`recorded_outcome`. Neither touches hitl's tables directly. Each function brings the
database schema up to date the first time a process uses a URL.
"""

from __future__ import annotations

from functools import cache

from agent.types import (
    Entity,
    EntityType,
    Evidence,
    EvidenceMention,
    Hypothesis,
    Outcome,
    Provenance,
    Relation,
    Verdict,
)
from hitl import ingest, queries
from hitl.db import database, is_current, migrate
from hitl.models import HypothesisRow, OutcomeRow
from hitl.queries import Filters, Page, SortKey

__all__ = [
    "Filters",
    "Page",
    "SortKey",
    "ensure_schema",
    "get_hypothesis",
    "list_hypotheses",
    "record_run",
    "recorded_outcome",
]


@cache
def ensure_schema(db_url: str) -> None:
    """Migrate ``db_url`` to the newest schema, once per process (cheap when current)."""
    if not is_current(db_url):
        migrate(db_url)


def record_run(db_url: str, run_id: str, hypotheses: list[Hypothesis]) -> int:
    """Upsert a run's hypotheses with evidence, verdicts, scores and provenance.

    Idempotent per run: recording the same list again changes nothing. Reviewer state
    (status, edited text, decisions, outcomes) is never overwritten.

    Args:
        db_url: SQLAlchemy URL of the review database.
        run_id: the run's id, 1-128 characters.
        hypotheses: the run's hypotheses; a triple listed twice keeps its last entry.

    Returns:
        The number of distinct hypotheses recorded.
    """
    ensure_schema(db_url)
    with database(db_url).write() as session:
        return ingest.record(session, run_id, hypotheses)


def _outcome(row: OutcomeRow) -> Outcome:
    return Outcome(confirmed=row.confirmed, lab=row.lab, cost=row.cost, detail=row.detail)


def recorded_outcome(db_url: str, hypothesis_id: str) -> Outcome | None:
    """The newest lab outcome a reviewer recorded for the hypothesis, or None if none yet."""
    ensure_schema(db_url)
    with database(db_url).read() as session:
        row = queries.latest_outcome(session, hypothesis_id)
        return _outcome(row) if row is not None else None


def list_hypotheses(
    db_url: str,
    filters: Filters | None = None,
    sort: SortKey = SortKey.SCORE_DESC,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """One page of the review queue (see :class:`hitl.queries.Filters`)."""
    ensure_schema(db_url)
    with database(db_url).read() as session:
        return queries.list_queue(session, filters or Filters(), sort, page, per_page)


def to_hypothesis(row: HypothesisRow, outcome: OutcomeRow | None = None) -> Hypothesis:
    """Rebuild the shared domain object from a stored row."""
    return Hypothesis(
        subject=Entity(id=row.subject_id, name=row.subject_name, type=EntityType(row.subject_type)),
        relation=Relation(row.relation),
        object=Entity(id=row.object_id, name=row.object_name, type=EntityType(row.object_type)),
        rationale=row.rationale,
        cited_pmids=list(row.cited_pmids),
        scores=dict(row.scores),
        provenance=Provenance.model_validate(row.provenance),
        evidence=[
            Evidence(
                pmid=e.pmid,
                text=e.text,
                score=e.score,
                retriever=e.retriever,
                mentions=[EvidenceMention.model_validate(m) for m in e.mentions],
            )
            for e in row.evidence
        ],
        verdicts=[
            Verdict(check=v.check, passed=v.passed, reason=v.reason, proof=list(v.proof))
            for v in row.verdicts
        ],
        outcome=_outcome(outcome) if outcome is not None else None,
    )


def get_hypothesis(db_url: str, hypothesis_id: str) -> Hypothesis:
    """The stored hypothesis with its newest human outcome.

    Raises:
        hitl.errors.NotFound: no hypothesis has this id.
    """
    ensure_schema(db_url)
    with database(db_url).read() as session:
        row = queries.get_row(session, hypothesis_id)
        return to_hypothesis(row, queries.latest_outcome(session, hypothesis_id))
