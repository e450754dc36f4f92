"""Command line: ``serve`` the review app and ``admin`` users and tokens.

``admin`` creates users and tokens, lists and revokes tokens, (de)activates users and
changes roles; each change is written to the audit log with the actor ``cli:<OS user>``.

Wired into the ``scidisco`` CLI by :func:`register`; ``python -m hitl`` offers the same.
Passwords never come from argv (it shows in ``ps`` and shell history): they come from a
prompt, the ``SCIDISCO_NEW_PASSWORD`` variable, or standard input with ``--password-stdin``.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from hitl.errors import ServiceError
from hitl.settings import Settings, SettingsError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

PASSWORD_ENV = "SCIDISCO_NEW_PASSWORD"
ROLES = ["admin", "reviewer", "viewer"]


def _db_url(args: argparse.Namespace) -> str:
    return args.db or Settings().db_url


def serve(args: argparse.Namespace) -> int:
    """Migrate the database, then run the app under uvicorn."""
    import uvicorn

    from hitl.db import migrate

    if args.db:
        os.environ["SCIDISCO_DB_URL"] = args.db
    if args.dev:
        os.environ["SCIDISCO_ENV"] = "development"
    settings = Settings()
    try:
        settings.resolved_secret()
    except SettingsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    migrate(settings.db_url)
    uvicorn.run(
        "hitl.web.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        access_log=args.dev,
    )
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if os.environ.get(PASSWORD_ENV):
        return os.environ[PASSWORD_ENV]
    if not sys.stdin.isatty():
        raise ServiceError(
            f"no password: set {PASSWORD_ENV}, pass --password-stdin, or run in a terminal"
        )
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise ServiceError("the two passwords differ; run the command again")
    return first


def _session(args: argparse.Namespace) -> AbstractContextManager[Session]:
    """A write transaction on the migrated database of ``--db``."""
    from hitl.db import database, migrate

    url = _db_url(args)
    migrate(url)
    return database(url).write()


def create_user(args: argparse.Namespace) -> int:
    """Create a user with a role; prints its id."""
    from hitl import accounts

    password = _read_password(args)
    with _session(args) as session:
        user = accounts.create_user(
            session, accounts.Actor.cli(), args.username, password, args.role
        )
    print(f"created {user.role} {user.username!r} (id {user.id})")
    return 0


def create_token(args: argparse.Namespace) -> int:
    """Create an API token and print it once (only its digest is stored)."""
    from hitl import accounts

    with _session(args) as session:
        token = accounts.create_token(session, accounts.Actor.cli(), args.username, args.name)
    print(token)
    return 0


def list_tokens(args: argparse.Namespace) -> int:
    """One line per token of the user: id, name, created, revoked (never the token)."""
    from hitl import accounts

    with _session(args) as session:
        rows = accounts.tokens(session, args.username)
        for row in rows:
            revoked = (
                f"revoked {row.revoked_at:%Y-%m-%d %H:%M:%S} UTC" if row.revoked_at else "active"
            )
            print(
                f"{row.id}\t{row.name}\tcreated {row.created_at:%Y-%m-%d %H:%M:%S} UTC\t{revoked}"
            )
    if not rows:
        print(f"user {args.username!r} has no API tokens", file=sys.stderr)
    return 0


def revoke_token(args: argparse.Namespace) -> int:
    """Revoke the user's tokens with a name, or all of them; they stop working at once."""
    from hitl import accounts

    with _session(args) as session:
        name = None if args.all else args.name
        rows = accounts.revoke_tokens(session, accounts.Actor.cli(), args.username, name)
        listed = ", ".join(f"{r.name!r} (id {r.id})" for r in rows)
    print(f"revoked {len(rows)} token(s) of {args.username!r}: {listed}")
    return 0


def set_active(args: argparse.Namespace) -> int:
    """Deactivate (or reactivate) a user: logins, open sessions and tokens are refused."""
    from hitl import accounts

    with _session(args) as session:
        changed = accounts.set_active(session, accounts.Actor.cli(), args.username, args.active)
    state = "active" if args.active else "deactivated"
    print(f"user {args.username!r} is {'now' if changed else 'already'} {state}")
    return 0


def set_role(args: argparse.Namespace) -> int:
    """Give a user another role, effective at their next request."""
    from hitl import accounts

    with _session(args) as session:
        changed = accounts.set_role(session, accounts.Actor.cli(), args.username, args.role)
    print(f"user {args.username!r} {'is now' if changed else 'already is'} a {args.role}")
    return 0


def _guarded(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            return func(args)
        except ServiceError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2

    return run


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``serve`` and ``admin`` (users, tokens, roles) to a CLI."""
    db_help = "SQLAlchemy database URL (default: SCIDISCO_DB_URL or sqlite:///scidisco.db)"
    p = subparsers.add_parser("serve", help="run the review web app")
    p.add_argument("--db", help=db_help)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--dev", action="store_true", help="development: plain-HTTP cookies, dev secret")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--log-level", default="warning", help="uvicorn log level (default warning)")
    p.set_defaults(func=serve)

    admin = subparsers.add_parser("admin", help="manage review-app users and API tokens")
    commands = admin.add_subparsers(dest="admin_command", required=True)
    # No abbreviations: "--password secret" must fail, not match --password-stdin.
    u = commands.add_parser(
        "create-user", help="create a user (password from prompt/env/stdin)", allow_abbrev=False
    )
    u.add_argument("--db", help=db_help)
    u.add_argument("--username", required=True)
    u.add_argument("--role", required=True, choices=ROLES)
    u.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    u.set_defaults(func=_guarded(create_user))
    t = commands.add_parser("create-token", help="create an API token for scripts")
    t.add_argument("--db", help=db_help)
    t.add_argument("--username", required=True)
    t.add_argument("--name", default="script", help="a label for the token")
    t.set_defaults(func=_guarded(create_token))
    t = commands.add_parser("list-tokens", help="list a user's API tokens (ids, names, state)")
    t.add_argument("--db", help=db_help)
    t.add_argument("--username", required=True)
    t.set_defaults(func=_guarded(list_tokens))
    t = commands.add_parser("revoke-token", help="revoke a user's API tokens by name, or all")
    t.add_argument("--db", help=db_help)
    t.add_argument("--username", required=True)
    which = t.add_mutually_exclusive_group(required=True)
    which.add_argument("--name", help="revoke the unrevoked tokens with this label")
    which.add_argument("--all", action="store_true", help="revoke every unrevoked token")
    t.set_defaults(func=_guarded(revoke_token))
    for command, active, text in (
        ("deactivate-user", False, "refuse the user's logins, sessions and tokens"),
        ("activate-user", True, "let a deactivated user in again"),
    ):
        a = commands.add_parser(command, help=text)
        a.add_argument("--db", help=db_help)
        a.add_argument("--username", required=True)
        a.set_defaults(func=_guarded(set_active), active=active)
    r = commands.add_parser("set-role", help="change a user's role")
    r.add_argument("--db", help=db_help)
    r.add_argument("--username", required=True)
    r.add_argument("--role", required=True, choices=ROLES)
    r.set_defaults(func=_guarded(set_role))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hitl", description=__doc__.splitlines()[0])
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))
