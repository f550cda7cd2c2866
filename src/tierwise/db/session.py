"""Engines and the unit of work: one transaction per use case, rolled back unless committed."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the per-connection settings Tierwise relies on (SQLite FKs, WAL)."""
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_begin(conn: Connection) -> None:
    """Begin explicitly, since pysqlite's own transaction handling breaks SAVEPOINTs."""
    conn.exec_driver_sql("BEGIN")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite leaves foreign keys off by default; WAL lets readers work during an import."""
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class UnitOfWork:
    """A session whose work is discarded unless `commit()` is called before leaving the block."""

    session: Session

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._session_factory = session_factory

    def __enter__(self) -> Self:
        self.session = self._session_factory()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # close() rolls back what was not committed, yet keeps loaded objects readable.
        self.session.close()

    @property
    def connection(self) -> Connection:
        """The Core connection of this unit's transaction, for set-based bulk SQL."""
        return self.session.connection()

    def commit(self) -> None:
        """Make the unit's work durable."""
        self.session.commit()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (the CLI renders them afterwards)."""
    return sessionmaker(engine, expire_on_commit=False)
