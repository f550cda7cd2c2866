"""Writes a snapshot back in the caller's transaction, replacing any run of the same as-of date."""

from __future__ import annotations

import dataclasses

import pyarrow as pa
from sqlalchemy import Connection, delete, insert, select

from tierwise.analytics.models import AnalyticsRun, CategoryProfit, CustomerIndicator, FittedModel
from tierwise.analytics.snapshot import Snapshot
from tierwise.db.base import Base, utcnow
from tierwise.db.bulk import insert_arrow


def replace_run(conn: Connection, snapshot: Snapshot) -> int:
    """Store the snapshot as the run for its as-of date and return the run's id."""
    runs = AnalyticsRun.__table__
    old = conn.execute(select(runs.c.id).where(runs.c.as_of == snapshot.as_of)).scalar()
    if old is not None:
        for child in (CustomerIndicator, FittedModel, CategoryProfit):
            conn.execute(delete(child.__table__).where(child.__table__.c.run_id == old))
        conn.execute(delete(runs).where(runs.c.id == old))
    run_id = conn.execute(
        insert(runs)
        .values(
            as_of=snapshot.as_of,
            engine=snapshot.engine,
            time_unit=snapshot.params.time_unit,
            customers=snapshot.indicators.num_rows,
            parameters=snapshot.params.as_json(),
            headline=snapshot.headline,
            computed_at=utcnow(),
        )
        .returning(runs.c.id)
    ).scalar_one()
    insert_arrow(
        conn,
        CustomerIndicator.__tablename__,
        _with_run(snapshot.indicators, run_id, CustomerIndicator),
    )
    insert_arrow(
        conn,
        CategoryProfit.__tablename__,
        _with_run(snapshot.category_profits, run_id, CategoryProfit),
    )
    for fit in snapshot.fits:
        values = dataclasses.asdict(fit) | {
            "standard_errors": snapshot.standard_errors.get(fit.model)
        }
        conn.execute(insert(FittedModel.__table__).values(run_id=run_id, **values))
    return int(run_id)


def _with_run(table: pa.Table, run_id: int, model: type[Base]) -> pa.Table:
    """Keep the columns the target table has, and add the run id."""
    wanted = [c.name for c in model.__table__.columns if c.name in table.column_names]
    kept = table.select(wanted)
    return kept.append_column("run_id", pa.array([run_id] * kept.num_rows, pa.int64()))
