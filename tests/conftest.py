"""Fixtures: every test runs on SQLite and on PostgreSQL, isolated in a rolled-back transaction;
the API tests share a committed demo world per database kind."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import sessionmaker

from tierwise.bootstrap import App
from tierwise.config import Settings
from tierwise.db import migrate
from tierwise.db.session import make_engine
from tierwise.i18n import set_language

from .support.api_world import World, build_world
from .support.postgres import IN_CI, PG_URL, database_for, prepare_postgres

# The console in a real browser (server, Chromium, pages), for the tests that ask for it.
pytest_plugins = ("tests.support.browser",)


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
        reason = prepare_postgres(url)
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


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """A committed demo world; tests change it only through rolled-back clients."""
    url = database_for(request.param, "tierwise_test_api", str(tmp_path_factory.mktemp("api")))
    built = build_world(url)
    yield built
    built.app.engine.dispose()
