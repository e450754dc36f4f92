"""Fixtures for the review app: real BC5CDR hypotheses, databases on SQLite and PostgreSQL.

Every store and web test runs on both databases. PostgreSQL tests need
``SCIDISCO_TEST_PG_URL`` (``eval "$(.ci/postgres.sh)"`` provides one) and skip without it,
or fail when ``SCIDISCO_REQUIRE_SERVICES=1`` (``make test``).
Each test gets a fresh database copied from a migrated template, so tests stay fast.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from agent.types import Hypothesis
from hitl import db, service
from retrieval.pubtator import Document, read_pubtator
from tests.conftest import first_documents
from tests.hitl.hitl_helpers import hypotheses_from, make_user, missing_service

PG_ENV = "SCIDISCO_TEST_PG_URL"


@pytest.fixture(scope="session")
def cdr_slice(bc5cdr_train: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Document]:
    """The first 12 BC5CDR training abstracts."""
    path = first_documents(bc5cdr_train, 12, tmp_path_factory.mktemp("cdr") / "slice.txt")
    return list(read_pubtator(path))


@pytest.fixture(scope="session")
def hyps(cdr_slice: list[Document]) -> list[Hypothesis]:
    return hypotheses_from(cdr_slice)


USERS = [("alice", "reviewer"), ("bob", "reviewer"), ("vera", "viewer"), ("ada", "admin")]


def _load(url: str, hyps: list[Hypothesis]) -> None:
    service.record_run(url, "run-1", hyps)
    for name, role in USERS:
        make_user(url, name, role)


class _Templates:
    """Migrated (and loaded) template databases, built once per session and copied per test:
    migrations and argon2 hashing then run once, not in every test."""

    def __init__(self, root: Path, hyps: list[Hypothesis]) -> None:
        self.root, self.hyps = root, hyps
        self.made: dict[tuple[str, bool], str] = {}
        self.pg_names: list[str] = []

    def sqlite(self, loaded: bool) -> str:
        key = ("sqlite", loaded)
        if key not in self.made:
            path = self.root / f"template-{int(loaded)}.db"
            url = f"sqlite:///{path}"
            db.migrate(url)
            if loaded:
                _load(url, self.hyps)
            _forget(url)
            self.made[key] = str(path)
        return self.made[key]

    def postgres(self, loaded: bool) -> str:
        key = ("postgres", loaded)
        if key not in self.made:
            name = f"hitl_tmpl_{uuid.uuid4().hex[:8]}"
            _pg_admin(f'CREATE DATABASE "{name}"')
            self.pg_names.append(name)
            url = _pg_url(name)
            db.migrate(url)
            if loaded:
                _load(url, self.hyps)
            _forget(url)
            self.made[key] = name
        return self.made[key]


def _pg_admin(statement: str) -> None:
    engine = create_engine(os.environ[PG_ENV], isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(statement))
    finally:
        engine.dispose()


def _pg_url(name: str) -> str:
    return make_url(os.environ[PG_ENV]).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def _templates(
    tmp_path_factory: pytest.TempPathFactory, hyps: list[Hypothesis]
) -> Iterator[_Templates]:
    templates = _Templates(tmp_path_factory.mktemp("templates"), hyps)
    yield templates
    for name in templates.pg_names:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _fresh(backend: str, loaded: bool, templates: _Templates, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        dest = tmp_path / "hitl.db"
        shutil.copy(templates.sqlite(loaded), dest)
        url = f"sqlite:///{dest}"
        yield url
        _forget(url)
        return
    if not os.environ.get(PG_ENV):
        missing_service(f'{PG_ENV} is not set; run `eval "$(.ci/postgres.sh)"` to test PostgreSQL')
    template = templates.postgres(loaded)
    name = f"hitl_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    url = _pg_url(name)
    yield url
    _forget(url)
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, _templates: _Templates, tmp_path: Path) -> Iterator[str]:
    """A fresh, migrated, empty database: a SQLite file, or a PostgreSQL database."""
    yield from _fresh(request.param, False, _templates, tmp_path)


@pytest.fixture(params=BACKENDS)
def loaded(request: pytest.FixtureRequest, _templates: _Templates, tmp_path: Path) -> Iterator[str]:
    """A fresh database holding the 18-hypothesis slice as run ``run-1`` and the users
    alice and bob (reviewers), vera (viewer) and ada (admin)."""
    yield from _fresh(request.param, True, _templates, tmp_path)


def _forget(url: str) -> None:
    db.database(url).dispose()
    db.database.cache_clear()
    service.ensure_schema.cache_clear()
