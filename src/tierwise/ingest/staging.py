"""A temporary table per import: rows land there in bulk, are checked in SQL, then upserted."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
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

from tierwise.ingest.columns import Column as Spec
from tierwise.ingest.columns import Kind


def _sql_type(spec: Spec) -> TypeEngine[object]:
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
    conn.execute(text(f"DROP TABLE IF EXISTS {stage.name}"))
    stage.create(conn)
    return stage


def drop_stage(conn: Connection, stage: Table) -> None:
    """Drop the staging table before commit, so nothing of the import's scaffolding remains."""
    stage.drop(conn)


def load(conn: Connection, stage: Table, rows: pa.Table) -> None:
    """Append rows in bulk: COPY on PostgreSQL, executemany on SQLite."""
    if rows.num_rows == 0:
        return
    rows = rows.select([c.name for c in stage.columns if c.name in rows.column_names])
    names = ", ".join(rows.column_names)
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    if conn.dialect.name == "postgresql":
        buffer = io.BytesIO()
        pacsv.write_csv(rows, buffer, pacsv.WriteOptions(include_header=False))
        with (
            dbapi.cursor() as cursor,
            cursor.copy(  # type: ignore[attr-defined]
                f"COPY {stage.name} ({names}) FROM STDIN WITH (FORMAT csv)"
            ) as copy,
        ):
            copy.write(buffer.getbuffer())
        return
    columns = [_sqlite_values(rows.column(i)) for i in range(rows.num_columns)]
    marks = ", ".join("?" * rows.num_columns)
    cursor = dbapi.cursor()
    cursor.executemany(
        f"INSERT INTO {stage.name} ({names}) VALUES ({marks})", zip(*columns, strict=True)
    )
    cursor.close()


def _sqlite_values(column: pa.ChunkedArray) -> list[object]:
    """SQLite takes text for dates and decimals, which it stores as SQLAlchemy expects."""
    if pa.types.is_decimal(column.type) or pa.types.is_date(column.type):
        return pc.cast(column, pa.string()).to_pylist()
    return column.to_pylist()
