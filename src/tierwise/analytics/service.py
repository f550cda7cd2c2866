"""Use cases of the read side: recompute a snapshot, and read what the latest one says."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

import pyarrow as pa
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from tierwise.analytics.engines import EngineName
from tierwise.analytics.models import AnalyticsRun, CustomerIndicator, FittedModel
from tierwise.analytics.params import AnalyticsParams
from tierwise.bootstrap import App
from tierwise.customers.service import get_customer
from tierwise.i18n import _
from tierwise.identity.audit import record_job


class NoSnapshot(LookupError):
    """Nothing has been computed yet."""

    def __init__(self) -> None:
        super().__init__(_("no analytics yet; run: tierwise recompute"))


class SnapshotStep(Protocol):
    """A later capability's step in the recompute transaction (the tier engine grades here)."""

    def prepare(self, conn: Connection, table: pa.Table, as_of: dt.date) -> pa.Table:
        """Read what it needs and return the snapshot table with its columns added."""

    def finish(self, conn: Connection, run_id: int) -> None:
        """Write its own tables once the run is stored."""


@dataclass(frozen=True)
class RecomputeResult:
    """What a recompute did, for the closing summary."""

    run_id: int
    as_of: dt.date
    customers: int
    headline: dict[str, Any]
    seconds: dict[str, float]


def recompute(
    app: App,
    as_of: dt.date,
    params: AnalyticsParams,
    engine: EngineName = "duckdb",
    stage: Callable[[str], None] | None = None,
    steps: tuple[SnapshotStep, ...] = (),
    requested_by: str | None = None,
) -> RecomputeResult:
    """Extract, compute and store one snapshot, with each step in the same transaction; a failure
    leaves the previous snapshot in place."""
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
    facts = extract(app.engine, as_of)
    snapshot = compute(facts, params, engine, stage=timed)
    with app.uow() as uow:
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
        record_job(uow.session, "recompute", requested_by, str(as_of), note)
        uow.commit()
    timed("done")
    return RecomputeResult(run_id, as_of, snapshot.indicators.num_rows, snapshot.headline, seconds)


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
