"""Recording a discovery run's hypotheses: upsert machine fields, keep reviewer state.

Idempotent per run: recording the same hypotheses again changes nothing and writes no
audit entry. A hypothesis whose machine content changed (new evidence, scores, verdicts)
is updated, its version bumped (an open review form then gets a conflict) and audited.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from agent.types import Evidence, Hypothesis
from hitl.db import utcnow
from hitl.models import (
    AuditEntry,
    EvidenceRow,
    HypothesisRow,
    Run,
    RunHypothesis,
    VerdictRow,
    VerdictSummary,
)

logger = logging.getLogger(__name__)

SYSTEM_ACTOR = "system"
# Stay far below SQLite's bound-parameter limit (32,766; 999 before 3.32) in IN lists.
CHUNK = 500
PRIMARY_SCORE_KEYS = ("final", "score", "rank")


def chunks(items: list[str], size: int = CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def primary_score(scores: dict[str, float]) -> float | None:
    """The score the queue sorts and filters by: ``final``, ``score`` or ``rank`` when
    present, else the mean of all scores, else None."""
    for key in PRIMARY_SCORE_KEYS:
        if key in scores:
            return float(scores[key])
    return sum(scores.values()) / len(scores) if scores else None


def verdict_summary(h: Hypothesis) -> VerdictSummary:
    passed = [v.passed for v in h.verdicts]
    if any(p is False for p in passed):
        return VerdictSummary.FAIL
    if passed and all(p is True for p in passed):
        return VerdictSummary.PASS
    return VerdictSummary.ABSTAIN


def search_text(*parts: str) -> str:
    return " ".join(p for p in parts if p).lower()


def entity_text(row: HypothesisRow) -> str:
    return "|".join(
        ["", row.subject_id, row.subject_name, row.object_id, row.object_name, ""]
    ).lower()


def _machine_fields(h: Hypothesis) -> dict[str, Any]:
    return {
        "subject_id": h.subject.id,
        "subject_name": h.subject.name,
        "subject_type": h.subject.type.value,
        "relation": h.relation.value,
        "object_id": h.object.id,
        "object_name": h.object.name,
        "object_type": h.object.type.value,
        "machine_text": h.text(),
        "rationale": h.rationale,
        "cited_pmids": list(h.cited_pmids),
        "scores": {k: float(v) for k, v in h.scores.items()},
        "score": primary_score(h.scores),
        "provenance": h.provenance.model_dump(mode="json"),
        "generator": h.provenance.generator,
        "verdict": verdict_summary(h).value,
        "machine_outcome": h.outcome.model_dump(mode="json") if h.outcome else None,
    }


def _content_hash(h: Hypothesis) -> str:
    payload = h.model_dump(mode="json")
    payload["provenance"].pop("run_id", None)  # the same content from another run is no change
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def stored_mentions(evidence: Evidence) -> list[dict[str, Any]]:
    """The passage's mentions as stored JSON; a span outside the text is dropped (warned)."""
    kept = []
    for m in evidence.mentions:
        if m.start < m.end <= len(evidence.text):
            kept.append(m.model_dump(mode="json"))
        else:
            logger.warning(
                "PMID %s: mention %d-%d lies outside the %d-character passage; not stored",
                evidence.pmid,
                m.start,
                m.end,
                len(evidence.text),
            )
    return kept


def _apply(row: HypothesisRow, h: Hypothesis, digest: str, run_id: str) -> None:
    fields = _machine_fields(h)
    if row.text is None or row.text == row.machine_text:
        row.text = fields["machine_text"]  # follow the machine until a reviewer edits it
    for name, value in fields.items():
        setattr(row, name, value)
    row.content_hash = digest
    row.latest_run_id = run_id
    row.evidence = [
        EvidenceRow(
            position=i,
            pmid=e.pmid,
            text=e.text,
            score=e.score,
            retriever=e.retriever,
            mentions=stored_mentions(e),
        )
        for i, e in enumerate(h.evidence)
    ]
    row.verdicts = [
        VerdictRow(position=i, check=v.check, passed=v.passed, reason=v.reason, proof=v.proof)
        for i, v in enumerate(h.verdicts)
    ]
    row.search_text = search_text(
        row.text, row.machine_text, row.subject_id, row.object_id, row.rationale
    )
    row.entity_text = entity_text(row)
    row.updated_at = utcnow()


def _summary(row: HypothesisRow) -> dict[str, Any]:
    return {
        "text": row.machine_text,
        "score": row.score,
        "verdict": row.verdict,
        "evidence": len(row.evidence),
        "content_hash": row.content_hash,
    }


def record(session: Session, run_id: str, hypotheses: Iterable[Hypothesis]) -> int:
    """Upsert ``hypotheses`` for ``run_id`` in ``session``; return how many were recorded."""
    if not run_id or len(run_id) > 128:
        raise ValueError(f"`run_id` must be 1-128 characters, got {run_id!r}")
    unique = {h.id: h for h in hypotheses}  # a run listing a triple twice keeps the last
    if session.get(Run, run_id) is None:
        session.add(Run(id=run_id))
    ids = list(unique)
    existing: dict[str, HypothesisRow] = {}
    linked: set[str] = set()
    for part in chunks(ids):
        rows = session.scalars(select(HypothesisRow).where(HypothesisRow.id.in_(part)))
        existing.update({row.id: row for row in rows})
        linked.update(
            session.scalars(
                select(RunHypothesis.hypothesis_id).where(
                    RunHypothesis.run_id == run_id, RunHypothesis.hypothesis_id.in_(part)
                )
            )
        )

    for hid, h in unique.items():
        digest = _content_hash(h)
        row = existing.get(hid)
        if row is None:
            row = HypothesisRow(id=hid, text=None)
            _apply(row, h, digest, run_id)
            session.add(row)
            _audit(session, "record", hid, None, _summary(row), run_id)
        elif row.content_hash != digest:
            before = _summary(row)
            _apply(row, h, digest, run_id)
            _audit(session, "machine_update", hid, before, _summary(row), run_id)
        if hid not in linked:
            session.add(RunHypothesis(run_id=run_id, hypothesis_id=hid))
    logger.info("recorded %d hypotheses for run %s", len(unique), run_id)
    return len(unique)


def _audit(session: Session, action: str, hid: str, before: Any, after: Any, run_id: str) -> None:
    session.add(
        AuditEntry(
            actor=SYSTEM_ACTOR,
            action=action,
            hypothesis_id=hid,
            before=before,
            after=after,
            comment=f"run {run_id}",
        )
    )
