"""Engines and the unit of work: one transaction per use case, rolled back unless committed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self

from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from tierwise.db.failures import Trouble, trouble_of

if TYPE_CHECKING:
    from tierwise.config import Settings

BUSY_TIMEOUT = 30.0  # seconds a write waits for another writer before the answer is "busy"


def make_engine(url: str, busy_timeout: float = BUSY_TIMEOUT, **kwargs: Any) -> Engine:
    """An engine with the per-connection settings Tierwise relies on (SQLite FKs, WAL, writers that
    queue for the lock instead of failing; on PostgreSQL the same wait for a row or table lock)."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    connect_args = dict(kwargs.pop("connect_args", {}))
    if backend == "sqlite":
        if "timeout" not in parsed.query:  # a timeout in the URL is the operator's own choice
            connect_args.setdefault("timeout", busy_timeout)
        if parsed.database not in (None, "", ":memory:"):
            # A unit holding the write lock may open a second connection (a bulk read); it must
            # never queue for a pooled connection behind units that are queuing for its lock.
            kwargs.setdefault("max_overflow", -1)
    elif backend == "postgresql":
        # As many connections as a worker's request threads can want at once (40 by default), so
        # requests never queue for the pool; two workers stay inside PostgreSQL's 100 connections.
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 30)
        given = str(parsed.query.get("options", ""))
        if "lock_timeout" not in given:
            wait = f"-c lock_timeout={round(busy_timeout * 1000)}"
            connect_args.setdefault("options", f"{given} {wait}".strip())
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    if backend == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


READS = "tierwise_reads"  # execution option of a unit that reads: it begins without the lock


def _sqlite_begin(conn: Connection) -> None:
    """A writing unit takes the write lock when it starts (BEGIN IMMEDIATE), queuing up to the busy
    timeout: a deferred transaction that reads and then writes fails at once with "database is
    locked" when another writer got there first, and no wait can save it. A reading unit begins
    deferred, so it never waits for writers. Pysqlite's own transaction handling is off because
    it breaks SAVEPOINTs."""
    reads = conn.get_execution_options().get(READS, False)
    conn.exec_driver_sql("BEGIN" if reads else "BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """SQLite leaves foreign keys off by default; WAL lets readers work during an import."""
    dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _sqlite_begin)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class UnitOfWork:
    """A session whose work is discarded unless `commit()` is called before leaving the block.

    A unit opened with `reads=True` (a GET request) reads SQLite without holding the write lock;
    what it writes on the side (the audit entry of a read, a token's last use) is committed at the
    end, in a write transaction of its own if another writer got in first."""

    session: Session

    def __init__(
        self,
        session_factory: Callable[[], Session],
        reads: bool = False,
        react: Callable[[UnitOfWork, object], dict[str, Any]] | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._reads = reads
        self._writes_bind: Engine | None = None
        self._react = react

    def __enter__(self) -> Self:
        self.session = self._session_factory()
        bind = self.session.bind
        if self._reads and isinstance(bind, Engine) and bind.dialect.name == "sqlite":
            self._writes_bind = bind
            self.session.bind = bind.execution_options(**{READS: True})
            self.session.autoflush = False  # side writes wait for commit(), never upgrade a read
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

    def happened(self, fact: object) -> dict[str, Any]:
        """State a fact: what the composition root declared follows from it runs now, in this
        unit; returns what the reactions report (e.g. the tier after an order)."""
        self.session.flush()
        return self._react(self, fact) if self._react is not None else {}

    def commit(self) -> None:
        """Make the unit's work durable."""
        if self._writes_bind is None:
            self.session.commit()
            return
        redo = _Pending.of(self.session)
        try:
            self.session.commit()
        except OperationalError as exc:
            if trouble_of(exc) is not Trouble.BUSY:
                raise
            self.session.rollback()
            reading_bind, self.session.bind = self.session.bind, self._writes_bind
            try:
                redo.apply(self.session)
                self.session.commit()
            finally:
                self.session.bind = reading_bind


@dataclass
class _Pending:
    """What a reading unit was about to write, so it can be written again after a refusal."""

    new: list[Any]
    changed: list[tuple[type[Any], Any, dict[str, Any]]]
    deleted: list[tuple[type[Any], Any]]

    @classmethod
    def of(cls, session: Session) -> _Pending:
        """The session's pending inserts, attribute changes and deletions."""
        changed = []
        for obj in session.dirty:
            state = inspect(obj)
            values = {a.key: a.value for a in state.attrs if a.history.has_changes()}
            if values:
                changed.append((type(obj), state.identity, values))
        deleted = [(type(obj), inspect(obj).identity) for obj in session.deleted]
        return cls(list(session.new), changed, deleted)

    def apply(self, session: Session) -> None:
        """Make the same changes again in the session's new transaction."""
        session.add_all(self.new)
        for kind, identity, values in self.changed:
            target = session.get(kind, identity)
            for key, value in values.items() if target is not None else ():
                setattr(target, key, value)
        for kind, identity in self.deleted:
            target = session.get(kind, identity)
            if target is not None:
                session.delete(target)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (the CLI renders them afterwards)."""
    return sessionmaker(engine, expire_on_commit=False)


class Units(Protocol):
    """What a job that opens its own units of work needs from the application: the units and
    the settings (the composition root's App is one), so capabilities never import the root."""

    @property
    def settings(self) -> Settings: ...

    def uow(self, reads: bool = False) -> UnitOfWork: ...
