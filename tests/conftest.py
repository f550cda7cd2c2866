"""Fixtures: every test runs on SQLite and on PostgreSQL, isolated in a rolled-back transaction."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Connection, Engine, make_url
from sqlalchemy.orm import sessionmaker

from tierwise.bootstrap import App
from tierwise.config import Settings
from tierwise.db import migrate
from tierwise.db.session import make_engine
from tierwise.i18n import set_language

PG_URL = os.environ.get(
    "TIERWISE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/tierwise_test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"


def _prepare_postgres(url: str) -> str | None:
    """Create the test database if missing and empty it; None if it is ready, else why not."""
    parsed = make_url(url)
    admin = parsed.set(database="postgres").render_as_string(hide_password=False)
    admin = admin.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (parsed.database,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{parsed.database}"')
    except psycopg.OperationalError as exc:
        return f"no PostgreSQL answers at {parsed.host}:{parsed.port} ({exc.__class__.__name__})"
    target = parsed.render_as_string(hide_password=False).replace("+psycopg", "")
    with psycopg.connect(target, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return None


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated database of each kind, shared by the session's tests."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        url = PG_URL
        reason = _prepare_postgres(url)
        if reason:
            if IN_CI:
                pytest.fail(f"PostgreSQL is required in CI: {reason}")
            pytest.skip(reason)
    migrate.upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as conn:
        transaction = conn.begin()
        yield conn
        transaction.rollback()


@pytest.fixture
def app(engine: Engine, connection: Connection) -> App:
    """The application wired onto the test's transaction; its commits become savepoints."""
    tierwise = App(settings=Settings(database_url=str(engine.url)), engine=engine)
    tierwise.sessions = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    return tierwise


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Tests read messages in English unless they ask for Chinese."""
    set_language("en")
    yield
    set_language("en")


@pytest.fixture
def write_csv(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write text to a CSV file in the test's folder, in the given encoding."""

    def write(name: str, text: str, encoding: str = "utf-8") -> Path:
        path = tmp_path / name
        path.write_bytes(text.encode(encoding))
        return path

    return write
