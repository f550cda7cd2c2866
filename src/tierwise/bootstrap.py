"""The one composition root: settings, engine and units of work for the CLI, API, pages and jobs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from tierwise.analytics.service import Recomputes, SnapshotStep
from tierwise.config import Settings
from tierwise.db.session import UnitOfWork, make_engine, session_factory
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


def wire_reactions(settings: Settings) -> Reactions:
    """Every reaction of the house, in one place: contact → tasks done; order → regrade;
    tier change → owner by the rules, re-queued contacts, re-targeted tickets."""
    # The root imports the capabilities; none of them imports the root for this.
    from tierwise.accountability.service import owner_for_new_tier
    from tierwise.accountability.tasks import done_by_contact
    from tierwise.customers.service import ContactLogged
    from tierwise.desk.usecases import follows_new_tier
    from tierwise.sales.service import OrderRecorded
    from tierwise.tiering.regrade import TierChanged, regrade_after_order

    reactions = Reactions()
    reactions.on(ContactLogged, done_by_contact)
    reactions.on(OrderRecorded, regrade_after_order)
    reactions.on(TierChanged, owner_for_new_tier, follows_new_tier(settings.timezone))
    return reactions


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
    recomputes: Recomputes = field(init=False)
    _reactions: Reactions | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.sessions = session_factory(self.engine)
        self.jobs = JobRunner(self.uow)
        self.recomputes = Recomputes(self.engine, recompute_steps, self.jobs)

    @property
    def reactions(self) -> Reactions:
        """The reactions, wired when the first fact is stated (a command that states none never
        imports what they need)."""
        if self._reactions is None:
            self._reactions = wire_reactions(self.settings)
        return self._reactions

    def react(self, uow: UnitOfWork, fact: object) -> dict[str, Any]:
        """Run what follows from `fact` in `uow` (the units of work call this)."""
        return self.reactions(uow, fact)

    def uow(self, reads: bool = False) -> UnitOfWork:
        """A fresh unit of work; nothing it does lasts unless it commits. One that mostly `reads`
        never waits for SQLite's writers."""
        return UnitOfWork(self.sessions, reads, self.react)


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
