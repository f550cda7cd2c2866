"""Where the time of one import goes: `bench/import_orders.py --profile`, run as a step of its own.

The import reports its phases through `run_import(..., phases=...)`; every SQL statement is timed
through SQLAlchemy's cursor events and filed under the phase it ran in.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import harness
from import_orders_steps import install_variant

EXPLAINED = ("SELECT", "INSERT", "DELETE", "UPDATE")
PHASES = {
    "open": "open file (encoding, headers)",
    "stage": "create stage table",
    "read": "read CSV -> Arrow batches",
    "parse": "parse + validate (Arrow)",
    "derive": "derive keys",
    "load": "load stage (COPY / executemany)",
    "index": "index + ANALYZE stage",
    "checks": "SQL checks",
    "rejects": "rejects file",
    "write": "write (upsert orders + lines, delete)",
    "drop": "drop stage table",
}


def _label(statement: str) -> str:
    """A statement on one line, short enough for the table."""
    s = " ".join(statement.split())
    return s if len(s) <= 110 else s[:107] + "..."


def step_profile(
    url: str, path: str, variant: str, cprofile: bool, explain: bool = False
) -> dict[str, Any]:
    """Run one import with every phase timed; SQL statements timed one by one.

    With `explain` (PostgreSQL), the checks and writes run under EXPLAIN (ANALYZE, BUFFERS): they
    still do their work, and their plans (with trigger and JIT times) are kept. The counts the
    import reports are then meaningless, and EXPLAIN adds its own overhead to the timings.
    """
    from sqlalchemy import event

    from tierwise.db.session import make_engine
    from tierwise.ingest.pipeline import ImportOptions, run_import
    from tierwise.sales.importing import OrdersImport

    totals: dict[str, float] = {}
    statements: list[tuple[str, str, float]] = []
    plans: list[str] = []
    current = ["prepare"]

    def add(name: str, seconds: float) -> None:
        totals[name] = totals.get(name, 0.0) + seconds

    @contextmanager
    def phase(name: str) -> Iterator[None]:
        current[0] = name
        started = time.perf_counter()
        try:
            yield
        finally:
            add(PHASES.get(name, name), time.perf_counter() - started)
            current[0] = "prepare"

    engine = make_engine(url)
    install_variant(engine, variant)
    explaining = explain and engine.dialect.name == "postgresql"
    clock: dict[int, float] = {}

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
        statements.append((current[0], _label(statement), seconds))
        if statement.startswith("EXPLAIN"):
            plan = "\n".join(row[0] for row in cursor.fetchall())
            plans.append(f"-- {seconds:.2f} s\n{' '.join(statement.split())}\n{plan}")

    with engine.connect():  # connected (SQLite pragmas run) before the clock starts
        pass
    profiler = None
    if cprofile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started = time.perf_counter()
    conn = engine.connect()
    transaction = conn.begin()
    result = run_import(conn, OrdersImport(), Path(path), ImportOptions(), phases=phase)
    body = time.perf_counter() - started
    commit_started = time.perf_counter()
    transaction.commit()
    add("commit", time.perf_counter() - commit_started)
    total = time.perf_counter() - started
    conn.close()
    top = ""
    if profiler is not None:
        import io
        import pstats

        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(20)
        stats.dump_stats(str(harness.DATA / "profile.prof"))
        top = out.getvalue()
    engine.dispose()
    add(
        "other (row numbers, rejects, loop)",
        body - sum(v for k, v in totals.items() if k != "commit"),
    )
    return {
        "rows": result.rows,
        "seconds": total,
        "stages": totals,
        "statements": [s for s in statements if s[2] >= 0.005 or s[0] != "prepare"],
        "cprofile": top,
        "plans": plans,
        "rss_mb": harness.rss_mb(),
    }


def print_profile(kind: str, result: dict[str, Any]) -> None:
    """The phases by share of the time, then the slow statements, the profile and the plans."""
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


if __name__ == "__main__":
    harness.entry({"profile": step_profile})
