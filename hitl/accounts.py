"""Account lifecycle: create users and API tokens, revoke tokens, deactivate, change roles.

Every change appends an entry to the audit log (no hypothesis; ``before`` and ``after`` name
the user and what changed) in the same transaction as the change. The actor is the admin
calling the API, or ``cli:<operating-system user>`` for the ``admin`` commands. Token values
never reach the log, only their ids and names. A deactivated user's tokens stay stored but
are refused, and come back with :func:`set_active`.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hitl import auth
from hitl.db import utcnow
from hitl.errors import InvalidInput, NotFound
from hitl.models import ApiToken, AuditEntry, Role, User


@dataclass(frozen=True)
class Actor:
    """Who made an account change, as the audit log records it."""

    name: str
    id: int | None = None

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(user.username, user.id)

    @classmethod
    def cli(cls) -> Actor:
        try:
            who = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry (some containers)
            who = "unknown"
        return cls(f"cli:{who}"[:64])


def _audit(session: Session, actor: Actor, action: str, before: Any, after: Any) -> None:
    session.add(
        AuditEntry(actor_id=actor.id, actor=actor.name, action=action, before=before, after=after)
    )


def _account(user: User) -> dict[str, Any]:
    return {"user": user.username, "user_id": user.id, "role": user.role, "active": user.active}


def _token(row: ApiToken, user: User) -> dict[str, Any]:
    revoked = row.revoked_at.isoformat() if row.revoked_at else None
    return {"user": user.username, "token_id": row.id, "name": row.name, "revoked_at": revoked}


def create_user(session: Session, actor: Actor, username: str, password: str, role: str) -> User:
    """:func:`hitl.auth.create_user`, audited as ``create_user``."""
    user = auth.create_user(session, username, password, role)
    _audit(session, actor, "create_user", None, _account(user))
    return user


def create_token(session: Session, actor: Actor, username: str, name: str) -> str:
    """A new API token for ``username`` (returned once), audited as ``create_token``."""
    user = auth.user_by_name(session, username)
    token, row = auth.issue_token(session, user, name)
    _audit(session, actor, "create_token", None, _token(row, user))
    return token


def tokens(session: Session, username: str) -> list[ApiToken]:
    """The user's tokens, oldest first, revoked ones included."""
    user = auth.user_by_name(session, username)
    stmt = select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    return list(session.scalars(stmt))


def revoke_tokens(
    session: Session, actor: Actor, username: str, name: str | None = None
) -> list[ApiToken]:
    """Revoke the user's unrevoked tokens called ``name`` (every one when ``name`` is None);
    each is audited as ``revoke_token``.

    Raises:
        NotFound: no such user, or no unrevoked token matches.
    """
    user = auth.user_by_name(session, username)
    stmt = select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
    if name is not None:
        stmt = stmt.where(ApiToken.name == name)
    rows = list(session.scalars(stmt.order_by(ApiToken.id)))
    if not rows:
        which = f"named {name!r}" if name is not None else "at all"
        raise NotFound(
            f"user {username!r} has no unrevoked API token {which}; "
            f"`admin list-tokens --username {username}` lists them"
        )
    now = utcnow()
    for row in rows:
        before = _token(row, user)
        row.revoked_at = now
        _audit(session, actor, "revoke_token", before, _token(row, user))
    session.flush()
    return rows


def set_active(session: Session, actor: Actor, username: str, active: bool) -> bool:
    """(De)activate a user; audited as ``activate_user`` or ``deactivate_user``.

    A deactivated user cannot log in, open sessions stop working at their next request, and
    their API tokens are refused. Returns False (and changes nothing) when already so.
    """
    user = auth.user_by_name(session, username)
    if user.active == active:
        return False
    before = _account(user)
    user.active = active
    session.flush()
    _audit(session, actor, "activate_user" if active else "deactivate_user", before, _account(user))
    return True


def set_role(session: Session, actor: Actor, username: str, role: str) -> bool:
    """Give a user another role, effective at their next request; audited as ``set_role``.

    Returns False (and changes nothing) when the user has that role already.

    Raises:
        InvalidInput: ``role`` is not one of admin, reviewer, viewer.
    """
    try:
        new = Role(role)
    except ValueError:
        raise InvalidInput(
            f"role {role!r} is unknown; use one of {', '.join(r.value for r in Role)}"
        ) from None
    user = auth.user_by_name(session, username)
    if user.role == new.value:
        return False
    before = _account(user)
    user.role = new.value
    session.flush()
    _audit(session, actor, "set_role", before, _account(user))
    return True
