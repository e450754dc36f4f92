"""Request and response bodies of the JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent.types import EntityType
from hitl.actions import MAX_COMMENT, MAX_TEXT, Action
from hitl.models import Role


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DecisionIn(_In):
    action: Action
    comment: str | None = Field(default=None, max_length=MAX_COMMENT)
    version: int = Field(ge=1, description="The version you saw; a newer one gives 409.")


class EditIn(_In):
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    version: int = Field(ge=1)


class OutcomeIn(_In):
    confirmed: bool | None = Field(description="true, false, or null when inconclusive.")
    lab: str = Field(default="human", max_length=100)
    cost: float = Field(default=1.0, ge=0, lt=1e9)
    detail: str = Field(default="", max_length=MAX_COMMENT)
    version: int = Field(ge=1)


class BulkItemIn(_In):
    id: str = Field(min_length=1, max_length=16)
    version: int = Field(ge=1)


class BulkDecisionIn(_In):
    items: list[BulkItemIn] = Field(min_length=1, max_length=20000)
    action: Action
    comment: str | None = Field(default=None, max_length=MAX_COMMENT)


class UserIn(_In):
    username: str = Field(pattern=r"^[A-Za-z0-9_.-]{3,64}$")
    password: str = Field(min_length=10, max_length=200)
    role: Role


class UserOut(BaseModel):
    id: int
    username: str
    role: Role


class QueueItemOut(BaseModel):
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


class QueueOut(BaseModel):
    items: list[QueueItemOut]
    total: int
    page: int
    per_page: int
    pages: int


class MentionOut(BaseModel):
    start: int = Field(description="Offset of the mention in the passage's `text`.")
    end: int = Field(description="End offset (exclusive).")
    entity_ids: list[str] = Field(description="Namespaced ids; empty when the corpus links none.")
    type: EntityType


class EvidenceOut(BaseModel):
    pmid: str
    text: str
    score: float
    retriever: str
    url: str | None
    mentions: list[MentionOut] = Field(
        description="Annotated entity mentions in `text`, sorted by offset; empty for passages "
        "recorded without them."
    )


class VerdictOut(BaseModel):
    check: str
    passed: bool | None
    reason: str
    proof: list[str]


class OutcomeOut(BaseModel):
    confirmed: bool | None
    lab: str
    cost: float
    detail: str
    recorded_by: str
    recorded_at: datetime


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    hypothesis_id: str | None
    before: Any
    after: Any
    comment: str | None


class HypothesisOut(BaseModel):
    id: str
    text: str
    machine_text: str
    subject: dict[str, str]
    relation: str
    object: dict[str, str]
    rationale: str
    cited_pmids: list[str]
    scores: dict[str, float]
    score: float | None
    verdict: str
    provenance: dict[str, Any]
    status: str
    reviewer: str | None
    decision_comment: str | None
    decided_at: datetime | None
    version: int
    runs: list[str]
    evidence: list[EvidenceOut]
    verdicts: list[VerdictOut]
    outcomes: list[OutcomeOut]
    history: list[AuditOut]


class BulkOut(BaseModel):
    updated: int
    ids: list[str]


class FieldProblem(BaseModel):
    loc: list[str | int] = Field(description="Where: `body`, `query` or `path`, then the field.")
    msg: str = Field(description="What is wrong with it.")
    type: str = Field(description="Pydantic's error type, e.g. `missing`, `enum`.")


class ErrorOut(BaseModel):
    """The body of every error response of the API (400, 401, 403, 404, 409, 422)."""

    detail: str = Field(description="What was wrong and what to do; fit to show the user.")
    current_version: int | None = Field(
        default=None,
        description="409 on one hypothesis only: its version now (reload it and try again).",
    )
    errors: list[FieldProblem] | None = Field(
        default=None,
        description="422 for a malformed request only (a missing field, a wrong type or "
        "value): one entry per problem. 422 from the service's own checks has only `detail`.",
    )
