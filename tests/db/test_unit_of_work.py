"""SQLite units of work beside other writers: readers never wait, writers queue, nothing is lost."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from tierwise.bootstrap import App, bootstrap
from tierwise.config import Settings
from tierwise.db import migrate
from tierwise.db.failures import Trouble, trouble_of
from tierwise.identity.models import AuditEntry


@pytest.fixture
def app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[App]:
    """A migrated SQLite file; a test marked `impatient` gives up waiting for writers at once."""
    url = f"sqlite:///{tmp_path / 'uow.db'}"
    migrate.upgrade(url)
    patience = 0.2 if request.node.get_closest_marker("impatient") else 60.0
    tierwise = bootstrap(Settings(database_url=url, busy_timeout=patience))
    yield tierwise
    tierwise.engine.dispose()


@pytest.fixture
def other_writer(app: App) -> Iterator[sqlite3.Connection]:
    """Another process's connection, as the CLI would hold it."""
    connection = sqlite3.connect(
        app.engine.url.database or "", isolation_level=None, check_same_thread=False
    )
    yield connection
    connection.close()


def _entry(note: str) -> AuditEntry:
    return AuditEntry(actor_kind="system", actor="test", action="read", resource="x", note=note)


def _notes(app: App) -> list[str | None]:
    with app.uow(reads=True) as uow:
        return list(uow.session.scalars(select(AuditEntry.note).order_by(AuditEntry.id)))


def test_a_reading_unit_reads_while_another_connection_holds_the_write_lock(
    app: App, other_writer: sqlite3.Connection
) -> None:
    other_writer.execute("BEGIN IMMEDIATE")
    with app.uow(reads=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(AuditEntry)) == 0
    other_writer.execute("ROLLBACK")


@pytest.mark.impatient
def test_a_writing_unit_says_busy_after_the_timeout_instead_of_writing_half(
    app: App, other_writer: sqlite3.Connection
) -> None:
    other_writer.execute("BEGIN IMMEDIATE")
    with pytest.raises(OperationalError) as refused, app.uow() as uow:
        uow.session.add(_entry("never"))
        uow.commit()
    assert trouble_of(refused.value) is Trouble.BUSY
    other_writer.execute("ROLLBACK")
    assert _notes(app) == []


def test_a_reading_unit_whose_snapshot_went_stale_still_writes_its_audit_entry(
    app: App, other_writer: sqlite3.Connection
) -> None:
    with app.uow(reads=True) as uow:
        assert uow.session.scalar(select(func.count()).select_from(AuditEntry)) == 0
        other_writer.execute(
            "INSERT INTO audit_log (at, actor_kind, actor, action, resource, note) "
            "VALUES (CURRENT_TIMESTAMP, 'system', 'cli', 'import', 'x', 'meanwhile')"
        )
        uow.session.add(_entry("the read"))
        uow.commit()
    assert _notes(app) == ["meanwhile", "the read"]


def test_a_reading_unit_waits_for_a_writer_to_finish_before_writing_its_audit_entry(
    app: App, other_writer: sqlite3.Connection
) -> None:
    other_writer.execute("BEGIN IMMEDIATE")
    releaser = threading.Timer(0.3, lambda: other_writer.execute("COMMIT"))
    with app.uow(reads=True) as uow:
        uow.session.scalar(select(func.count()).select_from(AuditEntry))
        uow.session.add(_entry("after the writer"))
        releaser.start()
        uow.commit()
    releaser.join()
    assert _notes(app) == ["after the writer"]
