"""Use cases of the read side: recompute a snapshot, and read what the latest one says."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from tierwise.analytics.engines import EngineName
from tierwise.analytics.models import AnalyticsRun, CustomerIndicator, FittedModel
from tierwise.analytics.params import AnalyticsParams
from tierwise.analytics.verdict import Verdict, when_tiering_pays
from tierwise.customers.scopes import visible_customer
from tierwise.customers.service import get_customer
from tierwise.db.session import UnitOfWork
from tierwise.i18n import _
from tierwise.identity.access import Principal
from tierwise.identity.audit import record_job
from tierwise.jobs.runner import JobRunner, Progress
from tierwise.runtime import App, EventSource, SnapshotStep

RECOMPUTE = "recompute"  # the job kind: one recompute at a time, whoever starts it


class NoSnapshot(LookupError):
    """Nothing has been computed yet."""

    def __init__(self) -> None:
        super().__init__(_("no analytics yet; run: tierwise recompute"))


@dataclass(frozen=True)
class RecomputeResult:
    """What a recompute did, for the closing summary."""

    run_id: int
    as_of: dt.date
    customers: int
    headline: dict[str, Any]
    seconds: dict[str, float]
    steps: dict[str, Any]
    verdict: Verdict | None = None

    def summary(self) -> dict[str, Any]:
        """The job's result as stored on its row."""
        return {
            "run_id": self.run_id,
            "customers": self.customers,
            "seconds": self.seconds,
            "steps": self.steps,
        }


def recompute(
    uow: UnitOfWork,
    source: Engine,
    as_of: dt.date,
    params: AnalyticsParams,
    engine: EngineName = "duckdb",
    stage: Callable[[str], None] | None = None,
    steps: tuple[SnapshotStep, ...] = (),
    requested_by: str | None = None,
    events: tuple[EventSource, ...] = (),
    zone: str = "UTC",
) -> RecomputeResult:
    """Extract from `source` in bulk, compute, and store one snapshot in the unit of work with each
    step; the caller commits, so a failure leaves the previous snapshot in place."""
    # The engines load slowly; only a recompute needs them.
    from tierwise.analytics.extract import extract
    from tierwise.analytics.snapshot import compute
    from tierwise.analytics.store import replace_run

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    current = ["extract"]

    def timed(name: str) -> None:
        now = time.perf_counter()
        seconds[current[0]] = now - started - sum(seconds.values())
        current[0] = name
        if stage:
            stage(name)

    if stage:
        stage("extract")
    facts = extract(source, as_of, events, zone)
    snapshot = compute(facts, params, engine, stage=timed)
    if steps:
        timed("tiers")
        table = snapshot.indicators
        for step in steps:
            table = step.prepare(uow.connection, table, as_of)
        snapshot = replace(snapshot, indicators=table)
    timed("store")
    run_id = replace_run(uow.connection, snapshot)
    for step in steps:
        step.finish(uow.connection, run_id)
    note = f"{snapshot.indicators.num_rows} customers, engine {engine}"
    record_job(uow.session, RECOMPUTE, requested_by, str(as_of), note)
    timed("done")
    summaries = {step.name: step.summary() for step in steps}
    verdict = when_tiering_pays(uow.session, snapshot.headline)
    return RecomputeResult(
        run_id, as_of, snapshot.indicators.num_rows, snapshot.headline, seconds, summaries, verdict
    )


@dataclass(frozen=True)
class Recomputes:
    """The recompute job as every entry point (CLI, API, console, demo) starts it, with the steps
    and the job runner the composition root wired: one at a time, its stages on the job's row."""

    source: Engine
    steps: Callable[[], tuple[SnapshotStep, ...]]
    jobs: JobRunner
    events: Callable[[], tuple[EventSource, ...]] = tuple
    zone: str = "UTC"  # the company's: a day's contacts and tickets end at its midnight

    @classmethod
    def of(cls, app: App) -> Recomputes:
        """The recompute of this application, with the steps and runner its root wired."""
        return cls(
            app.engine, app.recompute_steps, app.jobs, app.service_events, app.settings.timezone
        )

    def run(
        self,
        as_of: dt.date,
        requested_by: str | None,
        params: AnalyticsParams | None = None,
        engine: EngineName = "duckdb",
        stage: Progress | None = None,
    ) -> RecomputeResult:
        """Recompute now, in this thread, and commit (JobRefused while another one runs)."""
        params = params or AnalyticsParams()
        work = self._work(as_of, params, engine, requested_by)
        return self.jobs.run(RECOMPUTE, requested_by, _arguments(as_of, engine), work, stage)

    def start(self, as_of: dt.date, requested_by: str | None) -> int:
        """Recompute in the background; returns the job's id (JobRefused while one runs)."""
        work = self._work(as_of, AnalyticsParams(), "duckdb", requested_by)
        return self.jobs.start(RECOMPUTE, requested_by, _arguments(as_of, "duckdb"), work)

    def _work(
        self, as_of: dt.date, params: AnalyticsParams, engine: EngineName, who: str | None
    ) -> Callable[[UnitOfWork, Progress], RecomputeResult]:
        """The recompute as the runner calls it, with steps built afresh for this run."""

        def work(uow: UnitOfWork, progress: Progress) -> RecomputeResult:
            steps = self.steps()
            events = self.events()
            return recompute(
                uow, self.source, as_of, params, engine, progress, steps, who, events, self.zone
            )

        return work


def _arguments(as_of: dt.date, engine: EngineName) -> dict[str, Any]:
    """What the job's row says it computes."""
    return {"as_of": as_of.isoformat(), "engine": engine}


def latest_run(session: Session) -> AnalyticsRun:
    """The run with the latest as-of date."""
    run = session.scalar(select(AnalyticsRun).order_by(AnalyticsRun.as_of.desc()).limit(1))
    if run is None:
        raise NoSnapshot()
    return run


def customer_indicators(session: Session, code: str) -> tuple[AnalyticsRun, CustomerIndicator]:
    """One customer's row of the latest snapshot."""
    run = latest_run(session)
    customer = get_customer(session, code)
    row = session.get(CustomerIndicator, (run.id, customer.id))
    if row is None:
        raise LookupError(
            _("customer {code} is not in the snapshot of {as_of}; run: tierwise recompute").format(
                code=code, as_of=run.as_of
            )
        )
    return run, row


def fitted_models(session: Session) -> tuple[AnalyticsRun, list[FittedModel]]:
    """The models fitted in the latest run."""
    run = latest_run(session)
    fits = session.scalars(select(FittedModel).where(FittedModel.run_id == run.id)).all()
    return run, list(fits)


def indicators_of(
    session: Session, principal: Principal, code: str
) -> tuple[AnalyticsRun, CustomerIndicator]:
    """The latest indicators of a customer the principal may open."""
    return customer_indicators(session, visible_customer(session, principal, code).code)
