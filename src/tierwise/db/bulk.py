"""Bulk reads and inserts of Arrow tables inside the caller's transaction: COPY on PostgreSQL,
the plain cursor on SQLite."""

from __future__ import annotations

import io
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from sqlalchemy import Connection, Select


def insert_arrow(conn: Connection, table_name: str, rows: pa.Table) -> None:
    """Append `rows` to `table_name` inside the connection's transaction; columns match by name."""
    if rows.num_rows == 0:
        return
    names = ", ".join(rows.column_names)
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    if conn.dialect.name == "postgresql":
        buffer = io.BytesIO()
        pacsv.write_csv(rows, buffer, pacsv.WriteOptions(include_header=False))
        statement = f"COPY {table_name} ({names}) FROM STDIN WITH (FORMAT csv)"
        with dbapi.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
            copy.write(buffer.getbuffer())
        return
    columns = [_sqlite_values(rows.column(i)) for i in range(rows.num_columns)]
    marks = ", ".join("?" * rows.num_columns)
    cursor = dbapi.cursor()
    insert = f"INSERT INTO {table_name} ({names}) VALUES ({marks})"
    # sqlite3 takes any iterable of rows (no list of millions built); SQLAlchemy's DBAPI protocol
    # narrows the parameters to a Sequence.
    cursor.executemany(insert, zip(*columns, strict=True))  # type: ignore[arg-type]
    cursor.close()


def _sqlite_values(column: pa.ChunkedArray) -> list[object]:
    """SQLite takes text for dates, timestamps and decimals, stored the way SQLAlchemy reads them
    back (timestamps as naive UTC, which UTCDateTime tags on the way out)."""
    if pa.types.is_decimal(column.type) or pa.types.is_date(column.type):
        return pc.cast(column, pa.string()).to_pylist()
    if pa.types.is_timestamp(column.type):
        utc = pc.cast(column, pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us"))
        return pc.strftime(utc, "%Y-%m-%d %H:%M:%S").to_pylist()
    return column.to_pylist()


def select_arrow(conn: Connection, query: Select[Any], schema: pa.Schema) -> pa.Table:
    """The rows of `query`, typed by `schema` (one field per selected column, in order)."""
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    sql = str(query.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name == "postgresql":
        buffer = io.BytesIO()
        statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)"
        with dbapi.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
            for block in copy:
                buffer.write(block)
        if buffer.tell() == 0:
            return schema.empty_table()
        buffer.seek(0)
        return pacsv.read_csv(
            buffer,
            read_options=pacsv.ReadOptions(column_names=schema.names),
            convert_options=pacsv.ConvertOptions(
                column_types=schema, strings_can_be_null=True, null_values=[""]
            ),
        )
    cursor = dbapi.cursor()
    try:
        rows = cursor.execute(sql).fetchall()
    finally:
        cursor.close()
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    arrays = [
        pa.array(list(values), pa.string()).cast(field.type)
        if pa.types.is_date(field.type)
        else pa.array(list(values), field.type)
        for values, field in zip(columns, schema, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=schema)
