"""Import order lines into SQLite and PostgreSQL and compare with the raw floor of each database.

    .venv/bin/python bench/import_orders.py [--rows 1000000] [--db sqlite|postgresql|both]
                                            [--pg-url URL] [--small-rows N] [--timeout S]
    .venv/bin/python bench/import_orders.py --profile [--rows 250000] [--db ...] [--cprofile]

The Tierwise figure is `run_import(conn, OrdersImport(), path, ImportOptions())` inside
`engine.begin()`, end to end (reading, parsing, staging, checks, upsert, commit), into a freshly
migrated database that already holds the customers and products the orders name. The floor is what
the database does with the same data and no checks at all, into a plain table without indexes:
PostgreSQL `COPY … FROM STDIN (FORMAT csv, HEADER)` of the same CSV file; SQLite `executemany` of
the same rows, parsed by the csv module before the clock starts (only executemany + commit timed).

Every measured step runs in a fresh Python process (this script re-invoked with `_step`), so its
peak RSS (`ru_maxrss`) is its own. The import also runs at a second, smaller size (`--small-rows`,
default a quarter of `--rows`) into its own fresh database: does memory grow with the file?

`--pg-url` names the database to use (default postgresql://postgres@127.0.0.1:5432/tierwise_bench);
it is DROPPED and created again, so its name must contain "bench".
`--profile` times the stages of one import (read, parse, stage, each SQL check, each write
statement, commit) instead of running the comparison; `--cprofile` adds the top Python functions.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
DATA = BENCH / "data"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/tierwise_bench"
CUSTOMERS = 50_000
PRODUCTS = 60
ORDER_HEADER = [
    "order_code",
    "customer_code",
    "order_date",
    "product_code",
    "quantity",
    "amount",
    "cost",
    "channel",
    "department",
]
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


# ---------------------------------------------------------------------------------------------
# Data


def write_reference_files() -> tuple[Path, Path]:
    """50,000 customers and 60 products, the same on every run."""
    DATA.mkdir(exist_ok=True)
    customers, products = DATA / "customers.csv", DATA / "products.csv"
    if not customers.exists():
        regions = ("华东", "华南", "华北", "西南", "东北")
        with customers.open("w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(["code", "name", "kind", "region"])
            for i in range(1, CUSTOMERS + 1):
                kind = "个人" if i % 3 == 0 else "企业"
                out.writerow([f"C{i:07d}", f"客户{i}", kind, regions[i % len(regions)]])
    if not products.exists():
        with products.open("w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(["code", "name", "category", "list_price", "standard_cost"])
            for i in range(1, PRODUCTS + 1):
                out.writerow(
                    [f"P{i:03d}", f"产品{i}", f"类别{i % 8}", f"{10 + i}.00", f"{6 + i}.00"]
                )
    return customers, products


def write_orders(rows: int) -> Path:
    """`rows` order lines, 1–5 lines an order, deterministic for a given `rows` (seeded)."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"orders_{rows}.csv"
    if path.exists():
        return path
    rng = random.Random(20261123)
    start = dt.date(2022, 1, 1).toordinal()
    channels = ("线上", "门店", "电话", "代理")
    departments = ("采购部", "行政部", "工程部", "", "")
    partial = path.with_suffix(".partial")
    with partial.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(ORDER_HEADER)
        written = order = 0
        while written < rows:
            order += 1
            customer = f"C{rng.randint(1, CUSTOMERS):07d}"
            day = dt.date.fromordinal(start + rng.randrange(1400)).isoformat()
            channel, department = rng.choice(channels), rng.choice(departments)
            for _ in range(min(rng.randint(1, 5), rows - written)):
                product = rng.randint(1, PRODUCTS)
                quantity = rng.randint(1, 20)
                amount = quantity * (10 + product) * rng.randint(80, 100) / 100
                out.writerow(
                    [
                        f"SO{order:09d}",
                        customer,
                        day,
                        f"P{product:03d}",
                        quantity,
                        f"{amount:.2f}",
                        f"{quantity * (6 + product):.2f}",
                        channel,
                        department,
                    ]
                )
                written += 1
    partial.rename(path)
    return path


# ---------------------------------------------------------------------------------------------
# Databases


def sqlalchemy_url(kind: str, pg_url: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{DATA / 'tierwise_bench.db'}"
    from sqlalchemy.engine import make_url

    return make_url(pg_url).set(drivername="postgresql+psycopg").render_as_string(False)


def _libpq(url: str, database: str | None = None) -> str:
    """A psycopg conninfo URL from a SQLAlchemy one (optionally for another database)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(False)


def stop_pg_backends(url: str) -> None:
    """After a step was killed, its server backend may still be running the query: end it."""
    import psycopg
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    with psycopg.connect(_libpq(url, "postgres"), autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )


def fresh_database(kind: str, url: str) -> None:
    """An empty database at the schema head."""
    from tierwise.db import migrate

    if kind == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        import psycopg
        from psycopg import sql
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        assert name and "bench" in name, f"refusing to drop database {name!r}: not a bench database"
        with psycopg.connect(_libpq(url, "postgres"), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    migrate.upgrade(url)


# ---------------------------------------------------------------------------------------------
# Steps, each run in its own process


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _server_cpu_s(pid: int | None) -> float:
    """CPU seconds a local PostgreSQL backend has used so far (0 if it is not on this machine)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _entity(name: str) -> Any:
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
    fresh_database(kind, url)
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
    "analyze": "PG: ANALYZE the staging table once loaded, before the checks",
    "work-mem": "PG: SET LOCAL work_mem = '256MB' and jit = off in the import transaction",
    "temp-file": "SQLite: PRAGMA temp_store=FILE instead of MEMORY",
    "rowid": "SQLite: staging row_no as INTEGER PRIMARY KEY (the rowid), not BIGINT",
}


def parse_variant(text: str) -> str:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in VARIANTS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown variant {unknown}; known: {', '.join(VARIANTS)}")
    return ",".join(names)


def install_variant(engine: Any, variant: str) -> None:
    """Experiments, not Tierwise's code: each changes one thing to measure what it is worth.

    Combine them with commas. The stale-line DELETE removes lines an order no longer has (line_no
    above the file's line count); as shipped it filters every order line through a correlated
    subquery that aggregates the whole staging table. FAST_DELETE is the same deletion as a join.
    """
    from sqlalchemy import Integer, event, text

    from tierwise.ingest import pipeline, staging

    chosen = set(variant.split(","))
    dialect = engine.dialect.name
    if "fast-delete" in chosen:

        def rewrite(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> Any:
            if statement.lstrip().startswith("DELETE FROM order_lines"):
                statement = FAST_DELETE
            return statement, parameters

        event.listen(engine, "before_cursor_execute", rewrite, retval=True)
    if "analyze" in chosen and dialect == "postgresql":
        checks = pipeline._run_checks

        def analyze_first(conn: Any, entity: Any, stage: Any, *args: Any) -> Any:
            conn.execute(text(f"ANALYZE {stage.name}"))
            return checks(conn, entity, stage, *args)

        pipeline._run_checks = analyze_first
    if "work-mem" in chosen and dialect == "postgresql":

        def settings(conn: Any) -> None:
            conn.exec_driver_sql("SET LOCAL work_mem = '256MB'")
            conn.exec_driver_sql("SET LOCAL jit = off")

        event.listen(engine, "begin", settings)
    if "temp-file" in chosen and dialect == "sqlite":

        def temp_file(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA temp_store=FILE")

        event.listen(engine, "connect", temp_file)
    if "rowid" in chosen and dialect == "sqlite":
        staging.BigInteger = Integer


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
        before = _rss_mb()
        cpu, server = _cpu_s(), _server_cpu_s(backend)
        started = time.perf_counter()
        with conn.begin():  # what engine.begin() does, on the connection whose backend we watch
            result = run_import(conn, OrdersImport(), Path(path), ImportOptions())
        seconds = time.perf_counter() - started
        cpu, server = _cpu_s() - cpu, _server_cpu_s(backend) - server
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
        "rss_mb": _rss_mb(),
    }


def step_floor(kind: str, url: str, path: str) -> dict[str, Any]:
    """The raw floor: the same rows into a plain, index-free table, as fast as the driver goes."""
    return _floor_sqlite(url, path) if kind == "sqlite" else _floor_postgres(url, path)


def _floor_sqlite(url: str, path: str) -> dict[str, Any]:
    conn = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "temp_store=MEMORY"):
        conn.execute(f"PRAGMA {pragma}")  # what tierwise.db.session sets on every connection
    conn.execute("DROP TABLE IF EXISTS order_lines_raw")
    conn.execute(RAW_TABLE_SQLITE)
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        next(reader)
        rows = [tuple(None if v == "" else v for v in row) for row in reader]
    before = _rss_mb()
    cpu = _cpu_s()
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO order_lines_raw VALUES ({', '.join('?' * 9)})", rows)
    conn.execute("COMMIT")
    seconds = time.perf_counter() - started
    cpu = _cpu_s() - cpu
    count = conn.execute("SELECT count(*) FROM order_lines_raw").fetchone()[0]
    conn.close()
    return {
        "seconds": seconds,
        "client_cpu_s": cpu,
        "server_cpu_s": 0.0,
        "rows": count,
        "rss_before_mb": before,
        "rss_mb": _rss_mb(),
    }


def _floor_postgres(url: str, path: str) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(_libpq(url)) as conn:
        conn.execute("DROP TABLE IF EXISTS order_lines_raw")
        conn.execute(RAW_TABLE_PG)
        conn.commit()
        before = _rss_mb()
        cpu, server = _cpu_s(), _server_cpu_s(conn.info.backend_pid)
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
        cpu, server = _cpu_s() - cpu, _server_cpu_s(conn.info.backend_pid) - server
        found = conn.execute("SELECT count(*) FROM order_lines_raw").fetchone()
        count = found[0] if found else 0
    return {
        "seconds": seconds,
        "client_cpu_s": cpu,
        "server_cpu_s": server,
        "rows": count,
        "rss_before_mb": before,
        "rss_mb": _rss_mb(),
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
        before = _rss_mb()
        cpu, server, backend = _cpu_s(), 0.0, None
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
        with psycopg.connect(_libpq(url)) as pg:
            before = _rss_mb()
            backend = pg.info.backend_pid
            cpu, server = _cpu_s(), _server_cpu_s(backend)
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
            server = _server_cpu_s(backend) - server
    return {
        "seconds": seconds,
        "client_cpu_s": _cpu_s() - cpu,
        "server_cpu_s": server,
        "rows": len(order_ids),
        "rss_before_mb": before,
        "rss_mb": _rss_mb(),
    }


# ---------------------------------------------------------------------------------------------
# Profile: where the time of one import goes


EXPLAINED = ("SELECT", "INSERT", "DELETE", "UPDATE")


def _label(statement: str) -> str:
    s = " ".join(statement.split())
    return s if len(s) <= 110 else s[:107] + "..."


def step_profile(
    url: str, path: str, variant: str, cprofile: bool, explain: bool = False
) -> dict[str, Any]:
    """Run one import with every stage timed; SQL statements timed one by one.

    With `explain` (PostgreSQL), the checks and writes run under EXPLAIN (ANALYZE, BUFFERS): they
    still do their work, and their plans (with trigger and JIT times) are kept. The counts the
    import reports are then meaningless, and EXPLAIN adds its own overhead to the timings.
    """
    from sqlalchemy import event

    from tierwise.db.session import make_engine
    from tierwise.ingest import pipeline, staging
    from tierwise.ingest.parse import BatchParser
    from tierwise.ingest.pipeline import ImportOptions, run_import
    from tierwise.sales.importing import OrdersImport

    totals: dict[str, float] = {}
    statements: list[tuple[str, str, float]] = []
    phase = ["prepare"]

    def add(name: str, seconds: float) -> None:
        totals[name] = totals.get(name, 0.0) + seconds

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            outer, phase[0] = phase[0], name
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                add(name, time.perf_counter() - started)
                phase[0] = outer

        return wrapper

    def timed_batches(batches: Iterator[Any]) -> Iterator[Any]:
        while True:
            started = time.perf_counter()
            try:
                item = next(batches)
            except StopIteration:
                add("read CSV -> Arrow batches", time.perf_counter() - started)
                return
            add("read CSV -> Arrow batches", time.perf_counter() - started)
            yield item

    original_open = pipeline.open_table

    def open_table(*args: Any, **kwargs: Any) -> Any:
        table = original_open(*args, **kwargs)
        table.batches = timed_batches(table.batches)
        return table

    pipeline.open_table = open_table
    BatchParser.parse = timed("parse + validate (Arrow)", BatchParser.parse)
    OrdersImport.derive = timed("derive keys", OrdersImport.derive)
    staging.create_stage = timed("create stage table", staging.create_stage)
    staging.load = timed("load stage (COPY / executemany)", staging.load)
    staging.drop_stage = timed("drop stage table", staging.drop_stage)
    checks = pipeline._run_checks  # a generator, consumed by list() in run_import: run it here
    pipeline._run_checks = timed("SQL checks", lambda *a: list(checks(*a)))
    OrdersImport.write = timed("write (upsert orders + lines, delete)", OrdersImport.write)

    engine = make_engine(url)
    clock: dict[int, float] = {}

    install_variant(engine, variant)
    plans: list[str] = []
    explaining = explain and engine.dialect.name == "postgresql"

    @event.listens_for(engine, "before_cursor_execute", retval=True)
    def before(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> Any:
        head = statement.lstrip()
        if explaining and head[:6] in EXPLAINED and not head.startswith("SELECT count("):
            statement = "EXPLAIN (ANALYZE, BUFFERS) " + statement
        clock[id(cursor)] = time.perf_counter()
        return statement, parameters

    @event.listens_for(engine, "after_cursor_execute")
    def after(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        seconds = time.perf_counter() - clock.pop(id(cursor))
        statements.append((phase[0], _label(statement), seconds))
        if statement.startswith("EXPLAIN"):
            plan = "\n".join(row[0] for row in cursor.fetchall())
            plans.append(f"-- {seconds:.2f} s\n{' '.join(statement.split())}\n{plan}")

    with engine.connect():
        pass
    profiler = None
    if cprofile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    conn = engine.connect()
    transaction = conn.begin()
    result = run_import(conn, OrdersImport(), Path(path), ImportOptions())
    body = time.perf_counter() - started
    commit_started = time.perf_counter()
    transaction.commit()
    add("commit", time.perf_counter() - commit_started)
    total = time.perf_counter() - started
    conn.close()
    if profiler is not None:
        import io
        import pstats

        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(20)
        stats.dump_stats(str(DATA / "profile.prof"))
        top = out.getvalue()
    else:
        top = ""
    engine.dispose()
    add(
        "other (headers, row numbers, loop)",
        body - sum(v for k, v in totals.items() if k != "commit"),
    )
    return {
        "rows": result.rows,
        "seconds": total,
        "stages": totals,
        "statements": [s for s in statements if s[2] >= 0.005 or s[0] != "prepare"],
        "cprofile": top,
        "plans": plans,
        "rss_mb": _rss_mb(),
    }


# ---------------------------------------------------------------------------------------------
# Orchestration


class StepTimeout(Exception):
    pass


def run_step(name: str, *args: Any, timeout: float | None = None) -> dict[str, Any]:
    """Run step `name` in a fresh interpreter; its result is the JSON on its last stdout line."""
    command = [sys.executable, str(Path(__file__).resolve()), "_step", name, json.dumps(args)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise StepTimeout(f"{name} did not finish in {timeout:.0f} s") from exc
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise RuntimeError(f"step {name} failed with exit code {done.returncode}")
    return json.loads(done.stdout.strip().splitlines()[-1])


STEPS: dict[str, Callable[..., dict[str, Any]]] = {
    "setup": step_setup,
    "import": step_import,
    "floor": step_floor,
    "schema_floor": step_schema_floor,
    "profile": step_profile,
}


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The fastest of repeated runs (others were slowed by whatever else ran), with all times."""
    if any("timeout" in r for r in runs):
        return next(r for r in runs if "timeout" in r)
    best = dict(min(runs, key=lambda r: r["seconds"]))
    best["all_seconds"] = [round(r["seconds"], 2) for r in runs]
    best["peak_rss_mb"] = max(r["rss_mb"] for r in runs)
    return best


def measure(
    kind: str, url: str, rows: int, timeout: float, reimport: bool, variant: str, repeat: int = 1
) -> dict[str, Any]:
    """Fresh database, the import (and again, unchanged), then the floors on the same file.

    With `repeat`, each is done that many times (the import each time into a fresh database)
    and the fastest run is kept: on a shared machine the slower runs measure the neighbours.
    """
    orders = str(write_orders(rows))
    out: dict[str, Any] = {"db": kind, "rows": rows, "variant": variant}
    runs: dict[str, list[dict[str, Any]]] = {"import": [], "reimport": []}
    for attempt in range(1, repeat + 1):
        log(f"{kind} {rows:,} #{attempt}: fresh database, customers and products (load {_load()})")
        out["setup"] = run_step("setup", kind, url, timeout=timeout)
        for key, wanted in (("import", True), ("reimport", reimport)):
            if not wanted:
                continue
            log(f"{kind} {rows:,} #{attempt}: {key} (load {_load()})")
            try:
                runs[key].append(run_step("import", url, orders, variant, timeout=timeout))
            except StepTimeout as exc:
                log(str(exc))
                runs[key].append({"timeout": timeout})
                if kind == "postgresql":
                    stop_pg_backends(url)
                break
        if any("timeout" in r for r in runs["import"] + runs["reimport"]):
            break
    out["import"] = _best(runs["import"])
    if runs["reimport"]:
        out["reimport"] = _best(runs["reimport"])
    floors, schema_floors = [], []
    for attempt in range(1, repeat + 1):
        log(f"{kind} {rows:,} #{attempt}: floor (load {_load()})")
        floors.append(run_step("floor", kind, url, orders, timeout=timeout))
    out["floor"] = _best(floors)
    for attempt in range(1, repeat + 1):
        log(f"{kind} {rows:,} #{attempt}: schema floor, fresh database (load {_load()})")
        run_step("setup", kind, url, timeout=timeout)
        schema_floors.append(run_step("schema_floor", kind, url, orders, timeout=timeout))
    out["schema_floor"] = _best(schema_floors)
    return out


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _cpu(step: dict[str, Any]) -> float:
    return float(step.get("client_cpu_s", 0.0) + step.get("server_cpu_s", 0.0))


def _cells(r: dict[str, Any]) -> list[str]:
    rows, floor = r["rows"], r["floor"]
    schema = r.get("schema_floor")
    name = r["db"] if r.get("variant", "stock") == "stock" else f"{r['db']} ({r['variant']})"
    imp, again = r["import"], r.get("reimport")
    if "timeout" in imp:
        seconds, limit = imp["timeout"], ">"
        out = [name, f"{rows:,}", f"> {seconds:.0f}", f"< {rows / seconds:,.0f}"]
    else:
        seconds, limit = imp["seconds"], ""
        out = [name, f"{rows:,}", f"{seconds:.1f}", f"{rows / seconds:,.0f}"]
    out += [f"{floor['seconds']:.2f}", f"{rows / floor['seconds']:,.0f}"]
    out += [f"{limit}{seconds / floor['seconds']:.1f}×"]
    if schema is None:
        out += ["—", "—"]
    else:
        out += [f"{schema['seconds']:.2f}", f"{limit}{seconds / schema['seconds']:.1f}×"]
    if "timeout" in imp:
        out += ["—", f"{_cpu(floor):.2f}", "—", "—"]
    else:
        out += [f"{_cpu(imp):.1f}", f"{_cpu(floor):.2f}", f"{_cpu(imp) / _cpu(floor):.1f}×"]
        out += [f"{imp['peak_rss_mb']:.0f} ({imp['rss_before_mb']:.0f})"]
    if again is None:
        out += ["—", "—"]
    elif "timeout" in again:
        out += [f"> {again['timeout']:.0f}", "—"]
    else:
        out += [f"{again['seconds']:.1f}", f"{again['peak_rss_mb']:.0f}"]
    return out


HEADINGS = [
    "database",
    "rows",
    "seconds",
    "rows/s",
    "floor s",
    "floor rows/s",
    "ratio",
    "schema floor s",
    "ratio",
    "CPU s",
    "floor CPU s",
    "CPU ratio",
    "peak RSS MB (start)",
    "re-import s",
    "re-import RSS MB",
]


def print_table(results: list[dict[str, Any]]) -> None:
    """One line a (database, size): the import, its floor, the ratio, memory and the re-import."""
    table = [HEADINGS, *(_cells(r) for r in results)]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADINGS))]
    for n, row in enumerate(table):
        print(
            " | ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            print("-+-".join("-" * w for w in widths))


def print_profile(kind: str, result: dict[str, Any]) -> None:
    total = result["seconds"]
    print(
        f"\n{kind}: {result['rows']:,} rows in {total:.1f} s ({result['rows'] / total:,.0f} rows/s)"
    )
    for name, seconds in sorted(result["stages"].items(), key=lambda kv: -kv[1]):
        print(f"  {name:<42}{seconds:>8.2f} s {100 * seconds / total:>5.1f} %")
    print("  SQL statements (phase, seconds, statement):")
    for phase, statement, seconds in result["statements"]:
        if seconds >= 0.01:
            print(f"    {phase[:14]:<15}{seconds:>8.2f}  {statement}")
    if result["cprofile"]:
        print(result["cprofile"])
    for plan in result.get("plans", []):
        print(plan, end="\n\n")


SOURCES = ("ingest", "sales", "customers", "db")


def source_state() -> dict[str, Any]:
    """Which code is measured: where tierwise is imported from, its commit, a digest of it.

    Set PYTHONPATH to an exported tree (`git archive`) to measure a fixed version while the
    working tree changes; the digest then says which one ran.
    """
    import hashlib
    import importlib.util

    spec = importlib.util.find_spec("tierwise")
    assert spec is not None and spec.submodule_search_locations
    package = Path(next(iter(spec.submodule_search_locations)))
    digest = hashlib.sha256()
    for folder in SOURCES:
        for file in sorted((package / folder).rglob("*.py")):
            digest.update(file.read_bytes())

    def git(*args: str) -> str:
        done = subprocess.run(
            ["git", *args], cwd=package, capture_output=True, text=True, check=False
        )
        return done.stdout.strip()

    commit = (
        (package.parent / "COMMIT").read_text().strip()
        if (package.parent / "COMMIT").exists()
        else git("rev-parse", "--short", "HEAD")
    )
    return {
        "package": str(package),
        "commit": commit,
        "changed": git("status", "--short", "--", *SOURCES).splitlines(),
        "digest": digest.hexdigest()[:12],
    }


def environment() -> str:
    import sqlalchemy

    lines = [
        f"python {platform.python_version()}, sqlite {sqlite3.sqlite_version}, "
        f"sqlalchemy {sqlalchemy.__version__}, cpus {os.cpu_count()}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--rows",
        type=int,
        default=None,
        help="order lines (default 1,000,000; 250,000 with --profile)",
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pg-url", default=os.environ.get("TIERWISE_BENCH_PG_URL", DEFAULT_PG))
    parser.add_argument(
        "--small-rows",
        type=int,
        default=None,
        help="second size for memory (default rows/4; 0 skips)",
    )
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds before a step is given up"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each measurement; the fastest is reported"
    )
    parser.add_argument(
        "--profile", action="store_true", help="time the stages of one import instead"
    )
    parser.add_argument(
        "--cprofile", action="store_true", help="with --profile: top Python functions too"
    )
    parser.add_argument(
        "--variant",
        type=parse_variant,
        default="stock",
        help="experiments, comma-separated: "
        + "; ".join(f"{k}: {v}" for k, v in VARIANTS.items()).replace("%", "%%"),
    )
    parser.add_argument(
        "--explain", action="store_true", help="with --profile: EXPLAIN ANALYZE the SQL (PG)"
    )
    parser.add_argument(
        "--again", action="store_true", help="with --profile: profile a re-import of the file"
    )
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    rows = args.rows or (250_000 if args.profile else 1_000_000)
    log(environment())
    state = source_state()
    log(
        f"code: commit {state['commit']}, import code digest {state['digest']}, "
        f"uncommitted: {state['changed'] or 'none'}"
    )
    log(f"generating data ({rows:,} rows) in {DATA}")
    write_reference_files()
    write_orders(rows)
    results: list[dict[str, Any]] = []
    if args.profile:
        for kind in kinds:
            url = sqlalchemy_url(kind, args.pg_url)
            log(f"{kind}: fresh database")
            run_step("setup", kind, url, timeout=args.timeout)
            if args.again:
                log(f"{kind}: first import of {rows:,} rows, not profiled")
                run_step("import", url, str(DATA / f"orders_{rows}.csv"), args.variant)
            what = "re-import" if args.again else "import"
            log(f"{kind}: profiled {what} of {rows:,} rows ({args.variant})")
            try:
                result = run_step(
                    "profile",
                    url,
                    str(DATA / f"orders_{rows}.csv"),
                    args.variant,
                    args.cprofile,
                    args.explain,
                    timeout=args.timeout,
                )
            except StepTimeout as exc:
                log(str(exc))
                if kind == "postgresql":
                    stop_pg_backends(url)
                continue
            results.append({"db": kind, **result})
            print_profile(kind, result)
    else:
        small = rows // 4 if args.small_rows is None else args.small_rows
        for kind in kinds:
            url = sqlalchemy_url(kind, args.pg_url)
            if small:
                results.append(
                    measure(kind, url, small, args.timeout, False, args.variant, args.repeat)
                )
            results.append(measure(kind, url, rows, args.timeout, True, args.variant, args.repeat))
        print_table(results)
    after = source_state()
    if after["digest"] != state["digest"]:
        log(f"WARNING: the import code changed during the run ({state} -> {after}); rerun")
    if args.json:
        document = {"code": state, "code_after": after, "results": results}
        args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_step":
        sys.path.insert(0, str(BENCH))
        print(json.dumps(STEPS[sys.argv[2]](*json.loads(sys.argv[3]))))
    else:
        main()
