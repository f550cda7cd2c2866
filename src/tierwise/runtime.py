"""What every capability is handed to do its work: the settings, units of work, the acting
operator, the job runner, and the reactions and recompute steps the composition root wires."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import pyarrow as pa
from sqlalchemy import Connection, Engine, Select
from sqlalchemy.orm import Session, sessionmaker

from tierwise.config import Settings
from tierwise.db.session import UnitOfWork, session_factory
from tierwise.identity.access import SYSTEM, Principal
from tierwise.jobs.runner import JobRunner

# ── Reactions: what follows from a fact, declared once for every entry point ────────────────

Reaction = Callable[[UnitOfWork, Any], dict[str, Any] | None]


@dataclass
class Reactions:
    """Facts mapped to the handlers that follow from them, run in the unit that stated the fact,
    so a contact logged from the CLI, the API or the console has the same consequences."""

    handlers: dict[type, list[Reaction]] = field(default_factory=lambda: defaultdict(list))

    def on(self, fact: type, *handlers: Reaction) -> None:
        """Declare that `handlers` follow, in this order, whenever `fact` happens."""
        self.handlers[fact].extend(handlers)

    def __call__(self, uow: UnitOfWork, fact: object) -> dict[str, Any]:
        """Run the fact's handlers; what they report, merged."""
        outcome: dict[str, Any] = {}
        for handler in self.handlers.get(type(fact), []):
            outcome.update(handler(uow, fact) or {})
        return outcome


class SnapshotStep(Protocol):
    """A later capability's step in the recompute transaction (the tier engine grades here)."""

    @property
    def name(self) -> str:
        """What its summary is filed under."""

    def prepare(self, conn: Connection, table: pa.Table, as_of: dt.date) -> pa.Table:
        """Read what it needs and return the snapshot table with its columns added."""

    def finish(self, conn: Connection, run_id: int) -> None:
        """Write its own tables once the run is stored."""

    def summary(self) -> dict[str, Any] | None:
        """What it did, for the closing message and the job's row; None when it did nothing."""


# An upper capability's service events as of a date (and the instant that day ends in the
# company's zone), for cost-to-serve: a SELECT of rows (customer_id, kind, quantity, value), read
# in the recompute's own read transaction.
EventSource = Callable[[dt.date, dt.datetime], Select[Any]]


# ── The application ───────────────────────────────────────────────────────────────────────────


@dataclass
class App:
    """Everything a use case needs, wired once."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session] = field(init=False)
    # Who acts when nobody signed in: the system for jobs, the CLI root sets the operator.
    operator: Principal = SYSTEM
    jobs: JobRunner = field(init=False)
    # What the composition root wires: the reactions of the house and the recompute's steps.
    wiring: Callable[[Settings], Reactions] = field(default=lambda settings: Reactions())
    recompute_steps: Callable[[], tuple[SnapshotStep, ...]] = field(default=tuple)
    service_events: Callable[[], tuple[EventSource, ...]] = field(default=tuple)
    _reactions: Reactions | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.sessions = session_factory(self.engine)
        self.jobs = JobRunner(self.uow)

    @property
    def reactions(self) -> Reactions:
        """The reactions, wired when the first fact is stated (a command that states none never
        imports what they need)."""
        if self._reactions is None:
            self._reactions = self.wiring(self.settings)
        return self._reactions

    def react(self, uow: UnitOfWork, fact: object) -> dict[str, Any]:
        """Run what follows from `fact` in `uow` (the units of work call this)."""
        return self.reactions(uow, fact)

    def uow(self, reads: bool = False) -> UnitOfWork:
        """A fresh unit of work; nothing it does lasts unless it commits. One that mostly `reads`
        never waits for SQLite's writers."""
        return UnitOfWork(self.sessions, reads, self.react)
