"""Bulk-loading bench/recompute_data.py's tables: COPY into PostgreSQL, executemany into SQLite.

Not timed by the benchmark; as fast as a load can be, so that a 20M-line run starts in minutes.
"""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from recompute_data import TABLES, Data


def _csv_chunks(table: pa.Table, rows: int = 500_000):
    """A table as CSV in chunks, so COPY streams it without one huge buffer."""
    options = pacsv.WriteOptions(include_header=False)
    for start in range(0, table.num_rows, rows):
        buffer = io.BytesIO()
        pacsv.write_csv(table.slice(start, rows), buffer, options)
        yield buffer.getbuffer()


CONSTRAINTS_SQL = """
SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype
FROM pg_constraint c
WHERE c.contype IN ('p', 'u', 'f')
  AND (c.conrelid = ANY(%(tables)s::regclass[]) OR c.confrelid = ANY(%(tables)s::regclass[]))
"""
INDEXES_SQL = """
SELECT indexname, indexdef FROM pg_indexes
WHERE schemaname = 'public' AND tablename = ANY(%(names)s)
  AND indexname NOT IN (SELECT conname FROM pg_constraint)
"""


def load_postgres(libpq_url: str, data: Data) -> dict[str, float]:
    """COPY the tables into a freshly migrated database. The constraints and indexes of orders and
    order_lines are dropped first and recreated after (same names and definitions, validated in
    bulk), then everything is ANALYZEd and the id sequences are moved past the loaded ids."""
    import time

    import psycopg

    seconds: dict[str, float] = {}
    big = ["orders", "order_lines"]
    with psycopg.connect(libpq_url) as conn:
        constraints = conn.execute(CONSTRAINTS_SQL, {"tables": big}).fetchall()
        indexes = conn.execute(INDEXES_SQL, {"names": big}).fetchall()
        for table, name, _definition, _kind in sorted(constraints, key=lambda c: c[3] != "f"):
            conn.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        for name in TABLES:
            table = getattr(data, name)
            started = time.perf_counter()
            columns = ", ".join(table.column_names)
            with (
                conn.cursor() as cursor,
                cursor.copy(f"COPY {name} ({columns}) FROM STDIN WITH (FORMAT csv)") as copy,
            ):
                for chunk in _csv_chunks(table):
                    copy.write(chunk)
            seconds[f"copy_{name}"] = time.perf_counter() - started
        started = time.perf_counter()
        for table, name, definition, _kind in sorted(constraints, key=lambda c: c[3] == "f"):
            conn.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for _name, definition in indexes:
            conn.execute(definition)
        seconds["constraints_indexes"] = time.perf_counter() - started
        for name in TABLES:
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {name}))"
            )
        conn.commit()
    with psycopg.connect(libpq_url, autocommit=True) as conn:
        started = time.perf_counter()
        conn.execute("VACUUM ANALYZE")
        seconds["vacuum_analyze"] = time.perf_counter() - started
    return seconds


def _python_rows(table: pa.Table):
    """A table as Python rows, dates and timestamps as SQLAlchemy's SQLite format stores them."""
    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_date(column.type):
            column = pc.cast(column, pa.string())
        if name in ("created_at", "updated_at", "occurred_at"):  # SQLAlchemy's SQLite format
            column = pc.replace_substring(column, "+00", ".000000")
        columns.append(column.to_pylist())
    return zip(*columns, strict=True)


def load_sqlite(path: str, data: Data) -> dict[str, float]:
    """executemany in chunks into a freshly migrated SQLite file (journal off while loading)."""
    import sqlite3
    import time

    seconds: dict[str, float] = {}
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    for name in TABLES:
        table = getattr(data, name)
        started = time.perf_counter()
        marks = ", ".join("?" * table.num_columns)
        statement = f"INSERT INTO {name} ({', '.join(table.column_names)}) VALUES ({marks})"
        for start in range(0, table.num_rows, 500_000):
            conn.executemany(statement, _python_rows(table.slice(start, 500_000)))
        seconds[f"insert_{name}"] = time.perf_counter() - started
    conn.execute("COMMIT")
    started = time.perf_counter()
    conn.execute("ANALYZE")
    conn.execute("PRAGMA journal_mode=WAL")
    seconds["analyze"] = time.perf_counter() - started
    conn.close()
    return seconds
