"""The FastAPI application: pages, API, sessions, security headers and error mapping."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from hitl.db import Database
from hitl.errors import Conflict, RateLimited, ServiceError
from hitl.settings import Settings
from hitl.web import api, pages
from hitl.web.deps import LoginRequired
from hitl.web.render import STATIC_DIR, render
from hitl.web.schemas import ErrorOut, FieldProblem

logger = logging.getLogger(__name__)

SESSION_COOKIE = "scidisco_session"
_SECURITY_HEADERS = {
    # Abstracts are untrusted: even if markup slipped through escaping, no script may run.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (default: from the environment).

    Raises:
        hitl.settings.SettingsError: outside development, the secret is missing or weak.
    """
    settings = settings or Settings()
    secret = settings.resolved_secret()
    app = FastAPI(
        title="scidisco review",
        # Swagger UI and ReDoc load scripts from a CDN, which the offline deployment and the
        # Content-Security-Policy both refuse: the schema itself is served at /openapi.json.
        docs_url=None,
        redoc_url=None,
        version="1.0",
        description="Review machine-made hypotheses: queue, evidence, decisions, outcomes. "
        "API calls authenticate with `Authorization: Bearer <token>`.",
    )
    app.state.settings = settings
    app.state.db = Database(settings.db_url)
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret,
        session_cookie=SESSION_COOKIE,
        max_age=settings.session_max_age_s,
        same_site="lax",
        https_only=not settings.development,
    )

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        for name, value in _SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _error_handlers(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    logger.info("review app ready (env=%s)", settings.env.value)
    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


# FastAPI answers 400 with this when a body cannot be decoded at all (not UTF-8, say).
_FASTAPI_UNREADABLE = "There was an error parsing the body"
UNREADABLE_BODY = (
    "the request body could not be read; send a JSON object encoded in UTF-8 "
    "with `Content-Type: application/json`"
)


def _error(status: int, error: ErrorOut, headers: dict[str, str] | None = None) -> JSONResponse:
    # Only the keys that were set: `current_version` on 409, `errors` on malformed requests.
    return JSONResponse(error.model_dump(mode="json", exclude_unset=True), status, headers=headers)


def _problems(exc: RequestValidationError) -> list[FieldProblem]:
    # loc, msg and type only: pydantic's `input` would echo the request back (a password).
    return [FieldProblem(loc=list(e["loc"]), msg=e["msg"], type=e["type"]) for e in exc.errors()]


def _summary(problem: FieldProblem) -> str:
    """One problem in words: the field in backticks, pydantic's message without its prefix."""
    if problem.type == "json_invalid":
        return f"the request body is not valid JSON (error at character {problem.loc[-1]})"
    where = ".".join(str(part) for part in problem.loc[1:])
    message = problem.msg.removeprefix("Value error, ")
    return f"`{where}`: {message}" if where else message


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> Response:
        headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, RateLimited) else {}
        if not _is_api(request):
            return render(request, "error.html", {"message": str(exc)}, exc.status_code)
        if isinstance(exc, Conflict) and exc.current_version is not None:
            error = ErrorOut(detail=str(exc), current_version=exc.current_version)
        else:
            error = ErrorOut(detail=str(exc))
        return _error(exc.status_code, error, headers)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/login?" + urlencode({"next": exc.next_url}), status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            headers = getattr(exc, "headers", None)
            detail = UNREADABLE_BODY if exc.detail == _FASTAPI_UNREADABLE else str(exc.detail)
            return _error(exc.status_code, ErrorOut(detail=detail), headers)
        return render(request, "error.html", {"message": str(exc.detail)}, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = _problems(exc)
        summary = "; ".join(_summary(p) for p in problems)
        if _is_api(request):
            return _error(422, ErrorOut(detail=f"invalid input: {summary}", errors=problems))
        return render(request, "error.html", {"message": f"invalid input: {summary}"}, 422)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The schema without FastAPI's automatic 422 (a list-form body this app never sends).

    Routes that can answer 422 declare it with :class:`ErrorOut`; FastAPI adds its own only
    to routes with parameters that declare none, and those (a free-form path id) cannot.
    """
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        default = "#/components/schemas/HTTPValidationError"
        for operations in schema["paths"].values():
            for operation in operations.values():
                invalid = operation.get("responses", {}).get("422", {})
                if (
                    invalid.get("content", {})
                    .get("application/json", {})
                    .get("schema", {})
                    .get("$ref")
                    == default
                ):
                    del operation["responses"]["422"]
        for name in ("HTTPValidationError", "ValidationError"):
            schema.get("components", {}).get("schemas", {}).pop(name, None)
        app.openapi_schema = schema
    return app.openapi_schema


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory``: settings from ``SCIDISCO_*`` variables."""
    return create_app(Settings())
