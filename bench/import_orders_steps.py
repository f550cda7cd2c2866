"""The steps of bench/import_orders.py, each run in a fresh process so its peak RSS is its own.

setup (a fresh database holding the customers and products), the measured import, the raw floor
and the schema floor, and the variants: experiments that change one thing through SQLAlchemy's
engine events (never the import's own code) to measure what that one thing is worth.
"""

from __future__ import annotations

import csv
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

import harness
from import_orders_data import write_reference_files

RAW_TABLE_PG = """
CREATE TABLE order_lines_raw (
    order_code varchar(130), customer_code varchar(64), order_date date,
    product_code varchar(64), quantity numeric(18, 3), amount numeric(18, 2),
    cost numeric(18, 2), channel varchar(50), department varchar(100)
)"""
RAW_TABLE_SQLITE = """
CREATE TABLE order_lines_raw (
    order_code VARCHAR(130), customer_code VARCHAR(64), order_date DATE,
    product_code VARCHAR(64), quantity NUMERIC(18, 3), amount NUMERIC(18, 2),
    cost NUMERIC(18, 2), channel VARCHAR(50), department VARCHAR(100)
)"""


def _entity(name: str) -> Any:
    """The import of one kind of file, imported only inside the step's process."""
    from tierwise.customers.importing import CustomersImport
    from tierwise.sales.importing import OrdersImport, ProductsImport

    return {"customers": CustomersImport, "products": ProductsImport, "orders": OrdersImport}[
        name
    ]()


def step_setup(kind: str, url: str) -> dict[str, Any]:
    """Fresh, migrated database holding the customers and products the orders name."""
    from tierwise.db.session import make_engine
    from tierwise.ingest.pipeline import ImportOptions, run_import

    customers, products = write_reference_files()
    started = time.perf_counter()
    harness.fresh_database(url)
    migrated = time.perf_counter() - started
    engine = make_engine(url)
    out: dict[str, Any] = {"migrate_s": migrated}
    for name, path in (("customers", customers), ("products", products)):
        started = time.perf_counter()
        with engine.begin() as conn:
            result = run_import(conn, _entity(name), path, ImportOptions())
        out[f"{name}_s"] = time.perf_counter() - started
        out[f"{name}_rows"] = result.rows
    engine.dispose()
    return out


# The same deletion as OrdersImport.write's, driven by a join; plain SQL both databases accept.
FAST_DELETE = """
DELETE FROM order_lines WHERE id IN (
    SELECT order_lines.id FROM order_lines
    JOIN orders ON orders.id = order_lines.order_id
    JOIN (SELECT order_code, count(*) AS n FROM tw_stage_orders GROUP BY order_code) AS staged
      ON staged.order_code = orders.code
    WHERE order_lines.line_no > staged.n)"""


VARIANTS = {
    "stock": "Tierwise as it is",
    "fast-delete": "OrdersImport's stale-line DELETE written as a join (FAST_DELETE)",
    "analyze": "PG: ANALYZE the staging table once loaded, before the checks (every import now does)",
    "work-mem": "PG: SET LOCAL work_mem = '256MB' and jit = off in the import transaction",
    "temp-file": "SQLite: PRAGMA temp_store=FILE instead of MEMORY",
    "rowid": "SQLite: staging row_no as INTEGER PRIMARY KEY (the rowid), not BIGINT",
}
STAGE_ROW_NO = re.compile(r"^(\s*CREATE TEMPORARY TABLE tw_stage_\w+ \(\s*row_no) BIGINT")


def parse_variant(text: str) -> str:
    """A comma-separated list of known variants, as --variant takes it."""
    import argparse

    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown variant {unknown}; known: {', '.join(VARIANTS)}")
    return ",".join(names)


def install_variant(engine: Any, variant: str) -> None:
    """Experiments, not Tierwise's code: each rewrites one statement or setting on the engine.

    Combine them with commas. The stale-line DELETE removes lines an order no longer has (line_no
    above the file's line count); FAST_DELETE is the same deletion as a join. `analyze` changes
    nothing any more: the import itself analyses its staging table before the checks.
    """
    from sqlalchemy import event

    chosen = set(variant.split(","))
    dialect = engine.dialect.name
    rewrites = []
    if "fast-delete" in chosen:
        rewrites.append(
            lambda s: FAST_DELETE if s.lstrip().startswith("DELETE FROM order_lines") else s
        )
    if "rowid" in chosen and dialect == "sqlite":
        rewrites.append(lambda s: STAGE_ROW_NO.sub(r"\1 INTEGER", s))
    if rewrites:

        def rewrite(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> Any:
            for change in rewrites:
                statement = change(statement)
            return statement, parameters

        event.listen(engine, "before_cursor_execute", rewrite, retval=True)
    if "work-mem" in chosen and dialect == "postgresql":

        def settings(conn: Any) -> None:
            conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
            conn.exec_driver_sql("SET LOCAL jit = off")

        event.listen(engine, "begin", settings)
    if "temp-file" in chosen and dialect == "sqlite":

        def temp_file(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA temp_store=FILE")

        event.listen(engine, "connect", temp_file)


def step_import(url: str, path: str, variant: str = "stock") -> dict[str, Any]:
    """The measured Tierwise import of one orders file, end to end including commit."""
    from tierwise.db.session import make_engine
    from tierwise.ingest.pipeline import ImportOptions, run_import
    from tierwise.sales.importing import OrdersImport

    engine = make_engine(url)
    install_variant(engine, variant)
    with engine.connect() as conn:  # connected (SQLite pragmas run) before the clock starts
        backend = None
        if conn.dialect.name == "postgresql":
            backend = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        conn.commit()
        before = harness.rss_mb()
        cpu, server = harness.cpu_s(), harness.backend_cpu_s(backend)
        started = time.perf_counter()
        with conn.begin():  # what engine.begin() does, on the connection whose backend we watch
            result = run_import(conn, OrdersImport(), Path(path), ImportOptions())
        seconds = time.perf_counter() - started
        cpu, server = harness.cpu_s() - cpu, harness.backend_cpu_s(backend) - server
    engine.dispose()
    counts = result.counts
    return {
        "seconds": seconds,
        "client_cpu_s": cpu,
        "server_cpu_s": server,
        "rows": result.rows,
        "inserted": counts.inserted,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "rss_before_mb": before,
        "rss_mb": harness.rss_mb(),
    }


def step_floor(kind: str, url: str, path: str) -> dict[str, Any]:
    """The raw floor: the same rows into a plain, index-free table, as fast as the driver goes."""
    return _floor_sqlite(url, path) if kind == "sqlite" else _floor_postgres(url, path)


def _floor_sqlite(url: str, path: str) -> dict[str, Any]:
    """SQLite's floor: executemany of rows parsed before the clock starts."""
    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "temp_store=MEMORY"):
        conn.execute(f"PRAGMA {pragma}")  # what tierwise.db.session sets on every connection
    conn.execute("DROP TABLE IF EXISTS order_lines_raw")
    conn.execute(RAW_TABLE_SQLITE)
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        rows = [tuple(None if v == "" else v for v in row) for row in reader]
    before = harness.rss_mb()
    cpu = harness.cpu_s()
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO order_lines_raw VALUES ({', '.join('?' * 9)})", rows)
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    cpu = harness.cpu_s() - cpu
    count = conn.execute("SELECT count(*) FROM order_lines_raw").fetchone()[0]
    conn.close()
    return {
        "seconds": seconds,
        "client_cpu_s": cpu,
        "server_cpu_s": 0.0,
        "rows": count,
        "rss_before_mb": before,
        "rss_mb": harness.rss_mb(),
    }


def _floor_postgres(url: str, path: str) -> dict[str, Any]:
    """PostgreSQL's floor: COPY of the same CSV file."""
    import psycopg

    with psycopg.connect(harness.libpq(url)) as conn:
        conn.execute("DROP TABLE IF EXISTS order_lines_raw")
        conn.execute(RAW_TABLE_PG)
        conn.commit()
        before = harness.rss_mb()
        cpu, server = harness.cpu_s(), harness.backend_cpu_s(conn.info.backend_pid)
        started = time.perf_counter()
        with (
            conn.cursor() as cursor,
            cursor.copy("COPY order_lines_raw FROM STDIN (FORMAT csv, HEADER)") as copy,
            open(path, "rb") as f,
        ):
            while chunk := f.read(1 << 20):
                copy.write(chunk)
        conn.commit()
        seconds = time.perf_counter() - started
        cpu, server = harness.cpu_s() - cpu, harness.backend_cpu_s(conn.info.backend_pid) - server
        found = conn.execute("SELECT count(*) FROM order_lines_raw").fetchone()
        count = found[0] if found else 0
    return {
        "seconds": seconds,
        "client_cpu_s": cpu,
        "server_cpu_s": server,
        "rows": count,
        "rss_before_mb": before,
        "rss_mb": harness.rss_mb(),
    }


def step_schema_floor(kind: str, url: str, path: str) -> dict[str, Any]:
    """A second floor: the same orders and lines, ids resolved beforehand, bulk-loaded into the
    real `orders` and `order_lines` tables with their indexes and foreign keys (of a fresh database
    holding only customers and products). What any import into this schema pays at least.
    """
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.connect() as conn:
        customer_ids: dict[str, int] = dict(
            conn.exec_driver_sql("SELECT code, id FROM customers").all()
        )
        product_ids: dict[str, int] = dict(
            conn.exec_driver_sql("SELECT code, id FROM products").all()
        )
    engine.dispose()
    orders: list[tuple[Any, ...]] = []
    lines: list[tuple[Any, ...]] = []
    order_ids: dict[str, int] = {}
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        for code, customer, day, product, quantity, amount, cost, channel, dept in reader:
            order_id = order_ids.get(code)
            if order_id is None:
                order_id = order_ids[code] = len(order_ids) + 1
                orders.append((order_id, code, customer_ids[customer], day, channel, dept or None))
                line_no = 0
            line_no += 1
            lines.append(
                (len(lines) + 1, order_id, line_no, product_ids[product], quantity, amount, cost)
            )
    order_columns = "id, code, customer_id, order_date, channel, department"
    line_columns = "id, order_id, line_no, product_id, quantity, amount, cost"
    if kind == "sqlite":
        db = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL"):
            db.execute(f"PRAGMA {pragma}")
        before = harness.rss_mb()
        cpu, server, backend = harness.cpu_s(), 0.0, None
        started = time.perf_counter()
        db.execute("BEGIN")
        db.executemany(f"INSERT INTO orders ({order_columns}) VALUES (?,?,?,?,?,?)", orders)
        db.executemany(f"INSERT INTO order_lines ({line_columns}) VALUES (?,?,?,?,?,?,?)", lines)
        db.execute("COMMIT")
        seconds = time.perf_counter() - started
        db.close()
    else:
        import io

        import psycopg

        buffers = []
        for rows in (orders, lines):
            text = io.StringIO()
            csv.writer(text).writerows(rows)
            buffers.append(text.getvalue().encode())
        del orders[:], lines[:]
        with psycopg.connect(harness.libpq(url)) as pg:
            before = harness.rss_mb()
            backend = pg.info.backend_pid
            cpu, server = harness.cpu_s(), harness.backend_cpu_s(backend)
            started = time.perf_counter()
            with pg.cursor() as cursor:
                for table, columns, data in (
                    ("orders", order_columns, buffers[0]),
                    ("order_lines", line_columns, buffers[1]),
                ):
                    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy:
                        for offset in range(0, len(data), 1 << 20):
                            copy.write(data[offset : offset + (1 << 20)])
            pg.commit()
            seconds = time.perf_counter() - started
            server = harness.backend_cpu_s(backend) - server
    return {
        "seconds": seconds,
        "client_cpu_s": harness.cpu_s() - cpu,
        "server_cpu_s": server,
        "rows": len(order_ids),
        "rss_before_mb": before,
        "rss_mb": harness.rss_mb(),
    }


STEPS = {
    "setup": step_setup,
    "import": step_import,
    "floor": step_floor,
    "schema_floor": step_schema_floor,
}

if __name__ == "__main__":
    harness.entry(STEPS)
