"""The PostgreSQL server the tests use: where it is, and getting an empty database on it."""

from __future__ import annotations

import os

import psycopg
from sqlalchemy import make_url

PG_URL = os.environ.get(
    "TIERWISE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/tierwise_test"
)
IN_CI = os.environ.get("CI", "").lower() == "true"


def prepare_postgres(url: str) -> str | None:
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


def own_database(name: str) -> str:
    """URL of database `name` renamed after TIERWISE_TEST_PG_URL's, so test runs never share one."""
    base = make_url(PG_URL)
    own = name.replace("tierwise_test", base.database or "tierwise_test", 1)
    return base.set(database=own).render_as_string(hide_password=False)


def database_for(kind: str, name: str, folder: str) -> str:
    """URL of an empty database of its own for tests that must commit (e.g. ADBC reads)."""
    if kind == "sqlite":
        return f"sqlite:///{folder}/{name}.db"
    url = own_database(name)
    reason = prepare_postgres(url)
    if reason:
        import pytest

        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI: {reason}")
        pytest.skip(reason)
    return url
