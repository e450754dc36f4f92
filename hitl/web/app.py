"""The FastAPI application: pages, API, sessions, security headers and error mapping."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
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
    logger.info("review app ready (env=%s)", settings.env.value)
    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> Response:
        headers = {"Retry-After": str(exc.retry_after_s)} if isinstance(exc, RateLimited) else {}
        if not _is_api(request):
            return render(request, "error.html", {"message": str(exc)}, exc.status_code)
        body: dict[str, Any] = {"detail": str(exc)}
        if isinstance(exc, Conflict):
            body["current_version"] = exc.current_version
        return JSONResponse(body, exc.status_code, headers=headers)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/login?" + urlencode({"next": exc.next_url}), status_code=303)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            return JSONResponse(
                {"detail": exc.detail}, exc.status_code, headers=getattr(exc, "headers", None)
            )
        return render(request, "error.html", {"message": str(exc.detail)}, exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}"
            for e in exc.errors()
        )
        if _is_api(request):
            return JSONResponse(
                {"detail": jsonable_encoder(exc.errors()), "message": problems}, 422
            )
        return render(request, "error.html", {"message": f"invalid input: {problems}"}, 422)


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory``: settings from ``SCIDISCO_*`` variables."""
    return create_app(Settings())
