"""Two imports of the same file at once, each on its own connection to a committed database."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event

from tierwise.customers.importing import CustomersImport
from tierwise.db import migrate
from tierwise.db.session import make_engine
from tierwise.ingest.pipeline import ImportOptions, WriteCounts, run_import

from ..support.postgres import database_for

ROWS = 500


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def committed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated database of its own, since the two imports must see each other's commits."""
    url = database_for(request.param, "tierwise_test_ingest_concurrent", str(tmp_path))
    migrate.upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def test_the_second_of_two_concurrent_imports_counts_what_it_found(
    committed: Engine, tmp_path: Path
) -> None:
    """The first commits while the second is writing or waiting to write: the second finds every
    row already there."""
    path = tmp_path / "customers.csv"
    path.write_text("code,name\n" + "".join(f"C{i},Name {i}\n" for i in range(ROWS)))
    writing = threading.Event()
    outcome: dict[str, Any] = {}

    def on_write(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
        # PostgreSQL lets the second reach its INSERT and wait there on the first one's rows;
        # SQLite's writers queue for the one write lock (BEGIN IMMEDIATE) before they start.
        if statement.startswith(("INSERT INTO customers", "BEGIN IMMEDIATE")):
            writing.set()

    def second() -> None:
        try:
            with committed.connect() as conn:
                event.listen(conn, "before_cursor_execute", on_write)
                with conn.begin():
                    outcome["result"] = run_import(conn, CustomersImport(), path, ImportOptions())
        except Exception as exc:  # the assertion below shows it
            outcome["error"] = exc
            writing.set()

    with committed.connect() as conn, conn.begin() as first:
        counts = run_import(conn, CustomersImport(), path, ImportOptions()).counts
        thread = threading.Thread(target=second)
        thread.start()
        assert writing.wait(120), "the second import never reached its write"
        first.commit()
    thread.join()

    assert counts == WriteCounts(inserted=ROWS, updated=0, unchanged=0)
    assert "error" not in outcome, outcome.get("error")
    assert outcome["result"].counts == WriteCounts(inserted=0, updated=0, unchanged=ROWS)
