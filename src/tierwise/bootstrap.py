"""The one composition root: settings, engine and units of work for the CLI, API, pages and jobs."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tierwise.analytics.service import Recomputes, SnapshotStep
from tierwise.config import Settings
from tierwise.db.session import UnitOfWork, make_engine, session_factory
from tierwise.identity.access import SYSTEM, Principal
from tierwise.jobs.runner import JobRunner


@dataclass
class App:
    """Everything a use case needs, wired once."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session] = field(init=False)
    # Who acts when nobody signed in: the system for jobs, the CLI root sets the operator.
    operator: Principal = SYSTEM
    jobs: JobRunner = field(init=False)
    recomputes: Recomputes = field(init=False)

    def __post_init__(self) -> None:
        self.sessions = session_factory(self.engine)
        self.jobs = JobRunner(self.uow)
        self.recomputes = Recomputes(self.engine, recompute_steps, self.jobs)

    def uow(self, reads: bool = False) -> UnitOfWork:
        """A fresh unit of work; nothing it does lasts unless it commits. One that mostly `reads`
        never waits for SQLite's writers."""
        return UnitOfWork(self.sessions, reads)


def bootstrap(settings: Settings | None = None, engine: Engine | None = None) -> App:
    """Wire the application from settings; tests hand in their own engine."""
    settings = settings or Settings()
    engine = engine or make_engine(settings.database_url, settings.busy_timeout)
    return App(settings=settings, engine=engine)


# Recompute: the steps every recompute runs after the indicators, listed once for the CLI, the
# API, the console and the demo.


def recompute_steps() -> tuple[SnapshotStep, ...]:
    """Fresh steps for one run (each keeps what it computed, for the closing summary)."""
    from tierwise.tiering.service import TierStep  # the tier engine sits above analytics

    return (TierStep(),)
