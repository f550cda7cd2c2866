"""Migrations build the schema the models describe, and can be undone, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect

from tierwise.db import migrate
from tierwise.db.session import make_engine
from tierwise.schema import Base

from ..support.postgres import IN_CI, own_database, prepare_postgres


def test_no_drift_between_models_and_migrations(engine: Engine) -> None:
    migrate.check(str(engine.url.render_as_string(hide_password=False)))


def test_every_table_is_created(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables


def _round_trip(url: str) -> None:
    migrate.upgrade(url)
    assert migrate.current(url) is not None
    migrate.downgrade(url, "base")
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    migrate.upgrade(url)
    migrate.check(url)


def test_downgrade_to_base_and_back_on_sqlite(tmp_path: Path) -> None:
    _round_trip(f"sqlite:///{tmp_path / 'round.db'}")


@pytest.mark.postgres
def test_downgrade_to_base_and_back_on_postgres() -> None:
    rendered = own_database("tierwise_test_migrations")
    reason = prepare_postgres(rendered)
    if reason:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI: {reason}")
        pytest.skip(reason)
    _round_trip(rendered)
