"""Server-rendered pages: login, queue, detail, actions and export.

Every POST form carries the session's CSRF token. Actions redirect back (post/redirect/
get) with a one-time message; a conflict re-renders the page with HTTP 409 and the message.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hitl import actions, auth, queries
from hitl.actions import Action, BulkItem
from hitl.errors import Conflict, InvalidInput, RateLimited, ServiceError
from hitl.models import Role, Status, User, VerdictSummary
from hitl.queries import SortKey
from hitl.web.api import export_response
from hitl.web.deps import DB, PageUser, check_csrf, get_settings
from hitl.web.render import render
from hitl.web.views import ExportQuery, QueueQuery, load_detail

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str | None, Form(alias="csrf_token")]


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _flash(request: Request, message: str) -> None:
    request.session["flash"] = message


def _safe_next(target: str | None) -> str:
    # Only same-site paths: "//evil.example" or "https://..." would be an open redirect.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/hypotheses"


@router.get("/", response_class=HTMLResponse)
def home() -> Response:
    return _redirect("/hypotheses")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next)})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    db: DB,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    csrf: Csrf = None,
    next: Annotated[str | None, Form()] = None,
) -> Response:
    check_csrf(request, csrf)
    settings = get_settings(request)
    ip = request.client.host if request.client else "unknown"
    context: dict[str, Any] = {"next": _safe_next(next), "username": username}
    try:
        with db.write() as session:
            auth.check_rate(
                session, username, ip, settings.login_max_failures, settings.login_window_s
            )
            user = auth.authenticate(session, username, password, ip)
            user_id = user.id if user else None
    except RateLimited as exc:
        response = render(request, "login.html", {**context, "error": str(exc)}, 429)
        response.headers["Retry-After"] = str(exc.retry_after_s)
        return response
    if user_id is None:
        return render(
            request, "login.html", {**context, "error": "wrong username or password"}, 401
        )
    request.session.clear()  # a fresh session (and CSRF token) after login: no fixation
    request.session["user_id"] = user_id
    return _redirect(context["next"])


@router.post("/logout")
def logout(request: Request, csrf: Csrf = None) -> Response:
    check_csrf(request, csrf)
    request.session.clear()
    return _redirect("/login")


@router.get("/hypotheses", response_class=HTMLResponse)
def queue(request: Request, user: PageUser, db: DB, params: QueueQuery) -> Response:
    return _queue(request, user, db, params)


def _queue(
    request: Request, user: User, db: DB, params: Any, error: str | None = None, status: int = 200
) -> Response:
    filters = params.filters()
    with db.read() as session:
        page = queries.list_queue(session, filters, params.sort, params.page, params.per_page)
    keep = {**filters.active(), "sort": params.sort.value, "per_page": str(params.per_page)}
    context = {
        "user": user,
        "page": page,
        "filters": filters,
        "params": params,
        "error": error,
        "statuses": list(Status),
        "verdicts": list(VerdictSummary),
        "sorts": list(SortKey),
        "actions": list(Action),
        "query": urlencode(keep),
        "export_query": urlencode(filters.active() | {"sort": params.sort.value}),
        "can_review": user.role != Role.VIEWER.value,
        "page_url": lambda n: "/hypotheses?" + urlencode({**keep, "page": str(n)}),
    }
    return render(request, "queue.html", context, status)


@router.get("/hypotheses/{hypothesis_id}", response_class=HTMLResponse)
def detail(request: Request, hypothesis_id: str, user: PageUser, db: DB) -> Response:
    return _detail(request, user, db, hypothesis_id)


def _detail(
    request: Request,
    user: User,
    db: DB,
    hypothesis_id: str,
    error: str | None = None,
    status: int = 200,
) -> Response:
    h = load_detail(db, hypothesis_id)
    context = {
        "user": user,
        "h": h,
        "names": [h.subject["name"], h.object["name"]],
        "focus_ids": [h.subject["id"], h.object["id"]],
        "kinds": sorted({str(m.type) for e in h.evidence for m in e.mentions}),
        "error": error,
        "actions": list(Action),
        "can_review": user.role != Role.VIEWER.value,
    }
    return render(request, "detail.html", context, status)


def _act(
    request: Request, user: User, db: DB, hypothesis_id: str, work: Any, done: str
) -> Response:
    try:
        with db.write() as session:
            work(session)
    except (Conflict, InvalidInput) as exc:
        return _detail(request, user, db, hypothesis_id, str(exc), exc.status_code)
    _flash(request, done)
    return _redirect(f"/hypotheses/{hypothesis_id}")


@router.post("/hypotheses/{hypothesis_id}/decision", response_class=HTMLResponse)
def decide(
    request: Request,
    hypothesis_id: str,
    user: PageUser,
    db: DB,
    action: Annotated[Action, Form()],
    version: Annotated[int, Form()],
    comment: Annotated[str, Form(max_length=4000)] = "",
    csrf: Csrf = None,
) -> Response:
    check_csrf(request, csrf)
    return _act(
        request,
        user,
        db,
        hypothesis_id,
        lambda s: actions.decide(s, user, hypothesis_id, action, comment, version),
        f"Recorded: {action.value.replace('_', ' ')}.",
    )


@router.post("/hypotheses/{hypothesis_id}/edit", response_class=HTMLResponse)
def edit(
    request: Request,
    hypothesis_id: str,
    user: PageUser,
    db: DB,
    text: Annotated[str, Form(max_length=1000)],
    version: Annotated[int, Form()],
    csrf: Csrf = None,
) -> Response:
    check_csrf(request, csrf)
    return _act(
        request,
        user,
        db,
        hypothesis_id,
        lambda s: actions.edit_text(s, user, hypothesis_id, text, version),
        "Text saved.",
    )


_CONFIRMED = {"confirmed": True, "refuted": False, "inconclusive": None}


@router.post("/hypotheses/{hypothesis_id}/outcome", response_class=HTMLResponse)
def outcome(
    request: Request,
    hypothesis_id: str,
    user: PageUser,
    db: DB,
    result: Annotated[str, Form(pattern="^(confirmed|refuted|inconclusive)$")],
    version: Annotated[int, Form()],
    lab: Annotated[str, Form(max_length=100)] = "human",
    cost: Annotated[float, Form(ge=0, lt=1e9)] = 1.0,
    detail: Annotated[str, Form(max_length=4000)] = "",
    csrf: Csrf = None,
) -> Response:
    check_csrf(request, csrf)
    return _act(
        request,
        user,
        db,
        hypothesis_id,
        lambda s: actions.record_outcome(
            s, user, hypothesis_id, _CONFIRMED[result], lab, cost, detail, version
        ),
        f"Outcome recorded: {result}.",
    )


@router.post("/hypotheses/bulk", response_class=HTMLResponse)
def bulk(
    request: Request,
    user: PageUser,
    db: DB,
    params: QueueQuery,
    action: Annotated[Action, Form()],
    item: Annotated[list[str], Form()] = [],  # noqa: B006  (FastAPI copies defaults)
    comment: Annotated[str, Form(max_length=4000)] = "",
    csrf: Csrf = None,
) -> Response:
    check_csrf(request, csrf)
    try:
        items = [BulkItem(i.rsplit(":", 1)[0], int(i.rsplit(":", 1)[1])) for i in item]
    except (IndexError, ValueError):
        return _queue(request, user, db, params, "malformed selection; reload the queue", 422)
    try:
        with db.write() as session:
            rows = actions.bulk_decide(session, user, items, action, comment)
    except ServiceError as exc:
        return _queue(request, user, db, params, str(exc), exc.status_code)
    _flash(request, f"{action.value.replace('_', ' ')}: {len(rows)} hypotheses updated.")
    return _redirect("/hypotheses?" + request.url.query)


@router.get("/export")
def export(user: PageUser, db: DB, params: ExportQuery) -> Response:
    return export_response(db, params)
