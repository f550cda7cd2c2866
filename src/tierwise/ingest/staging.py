"""A temporary table per import: rows land there in bulk, are checked in SQL, then upserted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Date,
    MetaData,
    Numeric,
    String,
    Table,
    text,
)
from sqlalchemy.types import TypeEngine

from tierwise.db.bulk import insert_arrow
from tierwise.ingest.columns import Column as Spec
from tierwise.ingest.columns import Kind


def _sql_type(spec: Spec) -> TypeEngine[Any]:
    if spec.kind is Kind.DATE:
        return Date()
    if spec.kind is Kind.DECIMAL:
        return Numeric(18 + spec.scale, spec.scale)
    if spec.kind is Kind.INTEGER:
        return BigInteger()
    if spec.kind is Kind.BOOL:
        return Boolean()
    return String(spec.max_length)


def create_stage(
    conn: Connection, name: str, specs: Sequence[Spec], extra: Sequence[Column]
) -> Table:
    """Create the temporary table for one import; it vanishes with the transaction's end."""
    columns = [Column("row_no", BigInteger, primary_key=True)]
    columns += [Column(s.name, _sql_type(s)) for s in specs]
    columns += [Column(c.name, c.type) for c in extra if c.name not in {s.name for s in specs}]
    stage = Table(f"tw_stage_{name}", MetaData(), *columns, prefixes=["TEMPORARY"])
    # Named in the temporary schema: a bare name would make SQLite read the main database here,
    # pinning this transaction to a snapshot another import may commit past before we write.
    temporary = "temp" if conn.dialect.name == "sqlite" else "pg_temp"
    conn.execute(text(f"DROP TABLE IF EXISTS {temporary}.{stage.name}"))
    stage.create(conn)
    return stage


def drop_stage(conn: Connection, stage: Table) -> None:
    """Drop the staging table before commit, so nothing of the import's scaffolding remains."""
    stage.drop(conn)


def load(conn: Connection, stage: Table, rows: pa.Table) -> None:
    """Append rows in bulk: COPY on PostgreSQL, executemany on SQLite."""
    insert_arrow(
        conn,
        stage.name,
        rows.select([c.name for c in stage.columns if c.name in rows.column_names]),
    )


def ready(conn: Connection, stage: Table, grouped_by: str | None) -> None:
    """After loading: index the grouping key, and give PostgreSQL statistics for its plans.

    A temporary table has no statistics until analysed, and the planner's guesses for the
    upsert joins are then off by orders of magnitude.
    """
    if grouped_by:
        conn.execute(text(f"CREATE INDEX ix_{stage.name}_group ON {stage.name} ({grouped_by})"))
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ANALYZE {stage.name}"))
