"""Users, password hashing (argon2id), API tokens and rate-limited login.

Tokens are shown once and stored as SHA-256 digests: a leaked database does not leak
usable tokens. Failed logins are stored in the database, so the limit holds across all
server workers and restarts.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hitl.db import utcnow
from hitl.errors import (
    AlreadyExists,
    InvalidCredentials,
    InvalidInput,
    NotFound,
    RateLimited,
    check_text,
)
from hitl.models import ApiToken, LoginAttempt, Role, User

TOKEN_PREFIX = "sdk_"
MIN_PASSWORD = 10
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")
_hasher = PasswordHasher()
# Verified against when the username is unknown, so both paths cost one argon2 check.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(session: Session, username: str, password: str, role: Role | str) -> User:
    """Create a user.

    Raises:
        InvalidInput: bad username, short password or unknown role (the message says which).
        AlreadyExists: the username is taken.
    """
    if not _USERNAME.match(username):
        raise InvalidInput(f"username {username!r} must be 3-64 letters, digits, '.', '_' or '-'")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"password has {len(password)} characters; use at least {MIN_PASSWORD}")
    try:
        role = Role(role)
    except ValueError:
        raise InvalidInput(
            f"role {role!r} is unknown; use one of {', '.join(r.value for r in Role)}"
        ) from None
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise AlreadyExists(f"user {username!r} already exists")
    user = User(username=username, password_hash=hash_password(password), role=role.value)
    session.add(user)
    session.flush()
    return user


def _as_stored(username: str) -> str:
    # Login names are only compared and logged, never shown as markup: a NUL (which
    # PostgreSQL cannot store) becomes U+FFFD so the attempt still counts against the limit.
    return username[:64].replace("\x00", "\ufffd")


def user_by_name(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == _as_stored(username)))
    if user is None:
        raise NotFound(f"no user named {username!r}; create one with `admin create-user`")
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, username: str, name: str) -> str:
    """Create an API token for ``username`` and return it; only its digest is stored."""
    return issue_token(session, user_by_name(session, username), name)[0]


def issue_token(session: Session, user: User, name: str) -> tuple[str, ApiToken]:
    """A new token for ``user`` (shown once) and its stored row."""
    if not 1 <= len(check_text("name", name)) <= 100:
        raise InvalidInput(f"token name must be 1-100 characters, got {len(name)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=_digest(token))
    session.add(row)
    session.flush()
    return token, row


def token_owner(session: Session, token: str) -> User:
    """The active user owning ``token``.

    Raises:
        InvalidCredentials: the token is unknown or revoked, or its user is deactivated
            (the message says which and what to do).
    """
    row = None
    if token.startswith(TOKEN_PREFIX):
        row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None:
        raise InvalidCredentials(
            "invalid API token: this server issued no such token; "
            "create one with `python -m hitl admin create-token`"
        )
    if row.revoked_at is not None:
        raise InvalidCredentials(
            f"API token {row.name!r} was revoked at {row.revoked_at:%Y-%m-%d %H:%M:%S} UTC; "
            "ask an admin for a new one (`admin create-token`)"
        )
    if not row.user.active:
        raise InvalidCredentials(
            f"user {row.user.username!r} is deactivated; ask an admin to reactivate the "
            "account (`admin activate-user`)"
        )
    return row.user


def _recent_failures(session: Session, column: Any, value: str, window_s: int) -> int:
    since = utcnow() - timedelta(seconds=window_s)
    stmt = select(func.count()).where(
        column == value, LoginAttempt.at >= since, LoginAttempt.success.is_(False)
    )
    return session.scalar(stmt) or 0


def check_rate(session: Session, username: str, ip: str, max_failures: int, window_s: int) -> None:
    """Raise :class:`RateLimited` after too many recent failures for this name or address.

    An address gets four times the per-name budget (several users may share a proxy).
    """
    by_name = _recent_failures(session, LoginAttempt.username, _as_stored(username), window_s)
    by_ip = _recent_failures(session, LoginAttempt.ip, ip[:64], window_s)
    if by_name >= max_failures or by_ip >= 4 * max_failures:
        minutes = max(1, window_s // 60)
        raise RateLimited(
            f"too many failed logins; wait {minutes} minute(s) and try again", window_s
        )


def authenticate(session: Session, username: str, password: str, ip: str) -> User | None:
    """Check a password and record the attempt (call :func:`check_rate` first).

    Returns None for an unknown user, an inactive user or a wrong password alike, and does
    not raise: the failed attempt must commit to count against the rate limit.
    """
    name = _as_stored(username)
    user = session.scalar(select(User).where(User.username == name))
    ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    ok = ok and user is not None and user.active
    session.add(LoginAttempt(username=name, ip=ip[:64], success=ok))
    return user if ok else None
