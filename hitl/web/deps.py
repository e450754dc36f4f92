"""Dependencies shared by routes: settings, database, the current user, CSRF."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hitl.auth import token_owner
from hitl.db import Database
from hitl.errors import InvalidCredentials
from hitl.models import User
from hitl.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="An API token from `admin create-token`.")


class LoginRequired(Exception):
    """A page needs a signed-in user; the app redirects to the login page."""

    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Database:
    return request.app.state.db


DB = Annotated[Database, Depends(get_db)]


def _token_user(db: Database, token: str) -> User:
    try:
        with db.read() as session:
            return token_owner(session, token)
    except InvalidCredentials as exc:
        raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from exc


def api_user(
    db: DB, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> User:
    """The user owning the request's bearer token; 401 when missing, unknown or revoked, or
    when its user is deactivated."""
    if credentials is None:
        raise HTTPException(
            401,
            "missing API token; send `Authorization: Bearer <token>` "
            "(create one with `python -m hitl admin create-token`)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return _token_user(db, credentials.credentials)


ApiUser = Annotated[User, Depends(api_user)]

DEACTIVATED = "Your account has been deactivated; ask an admin to reactivate it."


def page_user(request: Request, db: DB) -> User:
    """The signed-in user of a page request; redirects to the login page otherwise.

    A GET may instead carry an API token (scripts, the benchmark); a form POST always needs
    the session and its CSRF token. The user is read on every request, so a deactivation or
    a role change applies at once to sessions already open.
    """
    auth = request.headers.get("authorization", "")
    if request.method == "GET" and auth.lower().startswith("bearer "):
        return _token_user(db, auth[7:].strip())
    user_id = request.session.get("user_id")
    user = None
    if isinstance(user_id, int):
        with db.read() as session:
            user = session.get(User, user_id)
    if user is None or not user.active:
        request.session.pop("user_id", None)
        if user is not None:
            request.session["flash"] = DEACTIVATED
        raise LoginRequired(
            str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")
        )
    return user


PageUser = Annotated[User, Depends(page_user)]


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use; every form carries it."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    expected = request.session.get("csrf")
    if (
        not isinstance(expected, str)
        or not submitted
        or not secrets.compare_digest(expected, submitted)
    ):
        raise HTTPException(
            403,
            "the form's security token is missing or expired (CSRF check); reload the "
            "page and submit again",
        )
