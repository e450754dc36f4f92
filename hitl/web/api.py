"""The JSON API: every review action, authenticated by bearer token.

Status codes: 400 a request body that cannot be read at all, 401 missing, unknown or revoked
token or a deactivated user, 403 role may not do this, 404 unknown hypothesis, 409 changed
since you read it (body has ``current_version``), 422 invalid input. Every error body is
:class:`ErrorOut`; each route documents exactly the codes it can return (see :func:`_errors`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from hitl import accounts, actions, queries
from hitl.actions import BulkItem
from hitl.errors import Forbidden
from hitl.export import to_csv, to_json
from hitl.models import Role
from hitl.web.deps import DB, ApiUser
from hitl.web.schemas import (
    AuditOut,
    BulkDecisionIn,
    BulkOut,
    DecisionIn,
    EditIn,
    ErrorOut,
    HypothesisOut,
    OutcomeIn,
    QueueOut,
    UserIn,
    UserOut,
)
from hitl.web.views import ExportQuery, QueueQuery, audit_out, load_detail, queue_out, stream_export

_WHY = {
    400: "The request body could not be read at all (not UTF-8 text, say).",
    401: "Missing, unknown or revoked API token, or its user is deactivated.",
    403: "Your role may not change hypotheses.",
    404: "No hypothesis with this id.",
    409: "Changed by someone else since you read it; `current_version` is its version now.",
    422: "Invalid input: `detail` says what and what to do (`errors` lists the fields of a "
    "malformed request).",
}


def _errors(*codes: int, **why: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error ``codes``, each with the :class:`ErrorOut` body; a
    keyword such as ``c409="..."`` replaces that code's description."""
    return {
        code: {"model": ErrorOut, "description": why.get(f"c{code}", _WHY[code])} for code in codes
    }


_WRITE = _errors(400, 401, 403, 404, 409, 422)

router = APIRouter(prefix="/api", tags=["api"])


@router.get("/health", tags=["meta"])
def health() -> dict[str, str]:
    """Liveness check; touches no database (also the benchmark's trivial endpoint)."""
    return {"status": "ok"}


@router.get("/me", responses=_errors(401))
def me(user: ApiUser) -> UserOut:
    """The user owning the token."""
    return UserOut(id=user.id, username=user.username, role=Role(user.role))


@router.get("/hypotheses", responses=_errors(401, 422))
def list_hypotheses(user: ApiUser, db: DB, params: QueueQuery) -> QueueOut:
    """The review queue, filtered, sorted and paginated."""
    with db.read() as session:
        page = queries.list_queue(
            session, params.filters(), params.sort, params.page, params.per_page
        )
    return queue_out(page)


@router.get("/hypotheses/{hypothesis_id}", responses=_errors(401, 404))
def get_hypothesis(hypothesis_id: str, user: ApiUser, db: DB) -> HypothesisOut:
    """One hypothesis with evidence, verdicts and proofs, scores, outcomes and history."""
    return load_detail(db, hypothesis_id)


@router.post("/hypotheses/{hypothesis_id}/decision", responses=_WRITE)
def decide(hypothesis_id: str, body: DecisionIn, user: ApiUser, db: DB) -> HypothesisOut:
    """Accept, reject or ask for more evidence, with an optional comment."""
    with db.write() as session:
        actions.decide(session, user, hypothesis_id, body.action, body.comment, body.version)
    return load_detail(db, hypothesis_id)


@router.patch("/hypotheses/{hypothesis_id}", responses=_WRITE)
def edit(hypothesis_id: str, body: EditIn, user: ApiUser, db: DB) -> HypothesisOut:
    """Replace the hypothesis's text (the machine's original is kept)."""
    with db.write() as session:
        actions.edit_text(session, user, hypothesis_id, body.text, body.version)
    return load_detail(db, hypothesis_id)


@router.post("/hypotheses/{hypothesis_id}/outcome", responses=_WRITE)
def record_outcome(hypothesis_id: str, body: OutcomeIn, user: ApiUser, db: DB) -> HypothesisOut:
    """Record a lab experiment's outcome (what rl's human lab reads)."""
    with db.write() as session:
        actions.record_outcome(
            session,
            user,
            hypothesis_id,
            body.confirmed,
            body.lab,
            body.cost,
            body.detail,
            body.version,
        )
    return load_detail(db, hypothesis_id)


@router.post(
    "/hypotheses/bulk-decision",
    responses=_errors(
        400,
        401,
        403,
        404,
        409,
        422,
        c404="Some ids name no hypothesis (all are listed); nothing was applied.",
        c409="Some hypotheses changed since you listed them (all are listed); nothing was applied.",
    ),
)
def bulk_decide(body: BulkDecisionIn, user: ApiUser, db: DB) -> BulkOut:
    """One decision for many hypotheses; all or none (409 names the changed ones)."""
    items = [BulkItem(i.id, i.version) for i in body.items]
    with db.write() as session:
        rows = actions.bulk_decide(session, user, items, body.action, body.comment)
    return BulkOut(updated=len(rows), ids=sorted(r.id for r in rows))


@router.get("/hypotheses/{hypothesis_id}/history", responses=_errors(401, 404))
def hypothesis_history(hypothesis_id: str, user: ApiUser, db: DB) -> list[AuditOut]:
    """The hypothesis's audit entries, newest first."""
    with db.read() as session:
        queries.get_row(session, hypothesis_id)
        return [audit_out(a) for a in queries.history(session, hypothesis_id)]


@router.get("/audit", responses=_errors(401, 422))
def audit_log(
    user: ApiUser, db: DB, limit: int = Query(default=100, ge=1, le=1000)
) -> list[AuditOut]:
    """The newest audit entries: reviews of every hypothesis and account changes (users,
    tokens, roles; these have no `hypothesis_id`)."""
    with db.read() as session:
        return [audit_out(a) for a in queries.history(session, None, limit)]


@router.get(
    "/export",
    responses={
        **_errors(401, 422),
        200: {"content": {"text/csv": {}, "application/json": {}}},
    },
    response_class=StreamingResponse,
)
def export(user: ApiUser, db: DB, params: ExportQuery) -> StreamingResponse:
    """Every hypothesis matching the filters, as CSV or JSON (streamed)."""
    return export_response(db, params)


def export_response(db: DB, params: ExportQuery) -> StreamingResponse:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    rows = stream_export(db, params)
    if params.format == "json":
        body, media = to_json(rows), "application/json"
    else:
        body, media = to_csv(rows), "text/csv; charset=utf-8"
    disposition = f'attachment; filename="hypotheses-{stamp}.{params.format}"'
    return StreamingResponse(body, media_type=media, headers={"Content-Disposition": disposition})


@router.post(
    "/users",
    status_code=201,
    responses=_errors(
        400,
        401,
        403,
        409,
        422,
        c403="Only admins create users.",
        c409="A user with this name exists already.",
    ),
)
def create_user(body: UserIn, user: ApiUser, db: DB) -> UserOut:
    """Create a user (admins only)."""
    if user.role != Role.ADMIN.value:
        raise Forbidden(f"only admins create users; {user.username!r} is a {user.role}")
    with db.write() as session:
        new = accounts.create_user(
            session, accounts.Actor.of(user), body.username, body.password, body.role
        )
        return UserOut(id=new.id, username=new.username, role=Role(new.role))
