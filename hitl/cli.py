"""Command line: ``serve`` the review app and ``admin`` users and tokens.

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

from hitl.errors import ServiceError
from hitl.settings import Settings, SettingsError

PASSWORD_ENV = "SCIDISCO_NEW_PASSWORD"


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


def create_user(args: argparse.Namespace) -> int:
    """Create a user with a role; prints its id."""
    from hitl import auth
    from hitl.db import database, migrate

    url = _db_url(args)
    password = _read_password(args)
    migrate(url)
    with database(url).write() as session:
        user = auth.create_user(session, args.username, password, args.role)
        print(f"created {user.role} {user.username!r} (id {user.id})")
    return 0


def create_token(args: argparse.Namespace) -> int:
    """Create an API token and print it once (only its digest is stored)."""
    from hitl import auth
    from hitl.db import database, migrate

    url = _db_url(args)
    migrate(url)
    with database(url).write() as session:
        token = auth.create_token(session, args.username, args.name)
    print(token)
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
    """Add ``serve`` and ``admin`` (``create-user``, ``create-token``) to a CLI."""
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
    u.add_argument("--role", required=True, choices=["admin", "reviewer", "viewer"])
    u.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    u.set_defaults(func=_guarded(create_user))
    t = commands.add_parser("create-token", help="create an API token for scripts")
    t.add_argument("--db", help=db_help)
    t.add_argument("--username", required=True)
    t.add_argument("--name", default="script", help="a label for the token")
    t.set_defaults(func=_guarded(create_token))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hitl", description=__doc__.splitlines()[0])
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))
