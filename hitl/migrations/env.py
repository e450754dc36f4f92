"""Alembic environment: runs migrations on the URL set by :func:`hitl.db.migrate`.

Batch mode is on because SQLite cannot alter most of a table in place (constraints, column
types): Alembic then copies the table, which needs foreign-key checks off while it runs.
"""

from __future__ import annotations

from alembic import context

from hitl.db import make_engine
from hitl.models import Base

config = context.config


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("alembic needs sqlalchemy.url; run migrations through hitl.db.migrate")
    engine = make_engine(url, foreign_keys=False)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=True,
                compare_type=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported; run them online")
run_migrations_online()
