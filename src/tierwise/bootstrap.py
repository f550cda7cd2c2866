"""The one composition root: settings, engine and units of work for the CLI, API, pages and jobs."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tierwise.config import Settings
from tierwise.db.session import UnitOfWork, make_engine, session_factory
from tierwise.identity.access import SYSTEM, Principal


@dataclass
class App:
    """Everything a use case needs, wired once."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session] = field(init=False)
    # Who acts when nobody signed in: the system for jobs, the CLI root sets the operator.
    operator: Principal = SYSTEM

    def __post_init__(self) -> None:
        self.sessions = session_factory(self.engine)

    def uow(self, reads: bool = False) -> UnitOfWork:
        """A fresh unit of work; nothing it does lasts unless it commits. One that mostly `reads`
        never waits for SQLite's writers."""
        return UnitOfWork(self.sessions, reads)


def bootstrap(settings: Settings | None = None, engine: Engine | None = None) -> App:
    """Wire the application from settings; tests hand in their own engine."""
    settings = settings or Settings()
    engine = engine or make_engine(settings.database_url, settings.busy_timeout)
    return App(settings=settings, engine=engine)
