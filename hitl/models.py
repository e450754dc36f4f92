"""SQLAlchemy 2 tables of the review app.

A hypothesis row holds the machine's proposal (refreshed by each run that records it) and
the reviewers' state (status, edited text, decision). ``version`` is the optimistic lock:
every reviewer write names the version it saw and bumps it.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy import text as sql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from hitl.db import UTCDateTime, utcnow


class Role(StrEnum):
    ADMIN = "admin"
    REVIEWER = "reviewer"
    VIEWER = "viewer"


class Status(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    NEEDS_EVIDENCE = "needs_evidence"


class VerdictSummary(StrEnum):
    """All checks passed, any failed, or none decided."""

    PASS = "pass"
    FAIL = "fail"
    ABSTAIN = "abstain"


_HYPOTHESIS_ID = re.compile(r"[0-9a-f]{16}")


def is_hypothesis_id(value: str) -> bool:
    """Whether ``value`` has the form of a hypothesis id (16 lower-case hex digits,
    :func:`agent.types.triple_id`); anything else names no hypothesis."""
    return _HYPOTHESIS_ID.fullmatch(value) is not None


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    __table_args__ = (CheckConstraint("role IN ('admin', 'reviewer', 'viewer')", "ck_users_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    user: Mapped[User] = relationship(lazy="joined")


class LoginAttempt(Base):
    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_ip_at", "ip", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    success: Mapped[bool] = mapped_column(Boolean)


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RunHypothesis(Base):
    __tablename__ = "run_hypotheses"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    hypothesis_id: Mapped[str] = mapped_column(
        ForeignKey("hypotheses.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    # Never loaded by the app: they tell the unit of work to insert the run and the hypothesis
    # before a link to them, whatever else the same flush holds.
    run: Mapped[Run] = relationship()
    hypothesis: Mapped[HypothesisRow] = relationship()


class HypothesisRow(Base):
    __tablename__ = "hypotheses"
    __table_args__ = (
        Index("ix_hypotheses_status_score", "status", "score"),
        Index("ix_hypotheses_verdict", "verdict"),
        Index("ix_hypotheses_score", "score"),
        Index("ix_hypotheses_updated_at", "updated_at"),
        Index("ix_hypotheses_reviewer_id", "reviewer_id"),
        Index("ix_hypotheses_subject_id", "subject_id"),
        Index("ix_hypotheses_object_id", "object_id"),
        CheckConstraint(
            "status IN ('pending', 'accepted', 'rejected', 'needs_evidence')",
            "ck_hypotheses_status",
        ),
        CheckConstraint("version >= 1", "ck_hypotheses_version"),
    )

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    subject_id: Mapped[str] = mapped_column(String(64))
    subject_name: Mapped[str] = mapped_column(String(255))
    subject_type: Mapped[str] = mapped_column(String(16))
    relation: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    object_name: Mapped[str] = mapped_column(String(255))
    object_type: Mapped[str] = mapped_column(String(16))
    machine_text: Mapped[str] = mapped_column(Text)
    text: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str] = mapped_column(Text, default="")
    cited_pmids: Mapped[list[str]] = mapped_column(JSON, default=list)
    scores: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    provenance: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    generator: Mapped[str] = mapped_column(String(32))
    verdict: Mapped[str] = mapped_column(String(16))
    machine_outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    latest_run_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # Lower-cased in Python so search is case-insensitive the same way on SQLite (whose
    # lower() and LIKE fold ASCII only) and PostgreSQL.
    search_text: Mapped[str] = mapped_column(Text)
    entity_text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=Status.PENDING.value)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decision_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    reviewer: Mapped[User | None] = relationship(lazy="joined")
    evidence: Mapped[list[EvidenceRow]] = relationship(
        order_by="EvidenceRow.position", cascade="all, delete-orphan", lazy="selectin"
    )
    verdicts: Mapped[list[VerdictRow]] = relationship(
        order_by="VerdictRow.position", cascade="all, delete-orphan", lazy="selectin"
    )

    # The ORM adds ``AND version = :old`` to every UPDATE and raises StaleDataError when
    # another transaction changed the row first.
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class EvidenceRow(Base):
    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hypothesis_id: Mapped[str] = mapped_column(
        ForeignKey("hypotheses.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    pmid: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    retriever: Mapped[str] = mapped_column(String(32))
    # [{start, end, entity_ids, type}], offsets into ``text`` (agent.types.EvidenceMention);
    # [] for rows recorded before migration 0005 and for passages without annotations.
    mentions: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list, server_default=sql("'[]'")
    )


class VerdictRow(Base):
    __tablename__ = "verdicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hypothesis_id: Mapped[str] = mapped_column(
        ForeignKey("hypotheses.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    check: Mapped[str] = mapped_column(String(64))
    passed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    reason: Mapped[str] = mapped_column(Text)
    proof: Mapped[list[str]] = mapped_column(JSON, default=list)


class OutcomeRow(Base):
    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hypothesis_id: Mapped[str] = mapped_column(
        ForeignKey("hypotheses.id", ondelete="CASCADE"), index=True
    )
    confirmed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    lab: Mapped[str] = mapped_column(String(100))
    cost: Mapped[float] = mapped_column(Float, default=1.0)
    detail: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """Append-only: database triggers (migration 0002) refuse UPDATE and DELETE."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_hypothesis_id_at", "hypothesis_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    hypothesis_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
