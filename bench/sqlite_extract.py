"""The recompute's extract on SQLite: Python's own sqlite3 streamed into Arrow, beside ADBC's driver.

    .venv/bin/python bench/sqlite_extract.py --customers 20000

Tierwise reads SQLite through `sqlite3` because a second SQLite library in a server process loses
the write-ahead log (docs/data-model.md). This prices that choice: the same queries (a) as Tierwise
runs them, (b) through ADBC's SQLite driver (what it used before; needs `adbc-driver-sqlite`, no
longer a dependency), (c) the floor: sqlite3 fetching the rows with no conversion. Each in its own
process, best of --repeat; each time includes importing what the way needs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import harness

AS_OF = dt.date(2026, 11, 1)


def way_tierwise(url: str) -> dict[str, Any]:
    """What the recompute runs: `extract`, sqlite3 batches into Arrow."""
    started = time.perf_counter()
    from tierwise.analytics.extract import extract
    from tierwise.db.session import make_engine

    facts = extract(make_engine(url), AS_OF)
    return {"seconds": time.perf_counter() - started, "lines": facts.lines.num_rows}


def way_adbc(url: str) -> dict[str, Any]:
    """The same queries through ADBC's SQLite driver, straight into Arrow."""
    started = time.perf_counter()
    import adbc_driver_sqlite.dbapi as adbc
    from sqlalchemy.dialects import sqlite

    from tierwise.analytics.extract import _sql, queries

    connection = adbc.connect(f"file:{url.removeprefix('sqlite:///')}?mode=ro")
    lines = 0
    with connection.cursor() as cursor:
        for name, query in queries(AS_OF).items():
            cursor.execute(_sql(query, sqlite.dialect()))
            table = cursor.fetch_arrow_table()
            lines = table.num_rows if name == "lines" else lines
    connection.close()
    return {"seconds": time.perf_counter() - started, "lines": lines}


def way_floor(url: str) -> dict[str, Any]:
    """The floor: sqlite3 fetching the same rows as Python tuples, no conversion."""
    started = time.perf_counter()
    import sqlite3

    from sqlalchemy.dialects import sqlite

    from tierwise.analytics.extract import _sql, queries

    connection = sqlite3.connect(url.removeprefix("sqlite:///"))
    lines = 0
    for name, query in queries(AS_OF).items():
        fetched = connection.execute(_sql(query, sqlite.dialect())).fetchall()
        lines = len(fetched) if name == "lines" else lines
    return {"seconds": time.perf_counter() - started, "lines": lines}


WAYS = {"tierwise": way_tierwise, "adbc": way_adbc, "floor": way_floor}


def main() -> None:
    """Each way in its own process, best of --repeat; write bench/results/sqlite-extract.json."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    database = harness.DATA / f"extract-{args.customers}.db"
    url = harness.sqlite_url(database)
    if not database.exists():
        harness.DATA.mkdir(parents=True, exist_ok=True)
        env_url = {"TIERWISE_DATABASE_URL": url, "TIERWISE_LANG": "en"}
        tierwise = str(Path(sys.executable).with_name("tierwise"))
        subprocess.run(
            [tierwise, "demo", "--customers", str(args.customers)],
            env={**os.environ, **env_url},
            check=True,
            capture_output=True,
        )
    results = {}
    for way in WAYS:
        runs = []
        for _ in range(args.repeat):
            outcome = harness.run_step(__file__, way, url)
            if outcome.stopped or outcome.result is None:
                raise SystemExit(f"{way}: {outcome.stopped[-1000:]}")
            runs.append(outcome.result)
        results[way] = {"best_s": min(r["seconds"] for r in runs), "lines": runs[0]["lines"]}
    floor = results["floor"]["best_s"]
    print("| way | order lines | best s | × floor |\n|---|---:|---:|---:|")
    for way, figures in results.items():
        ratio = figures["best_s"] / floor
        print(f"| {way} | {figures['lines']:,} | {figures['best_s']:.2f} | {ratio:.1f}× |")
    harness.log(f"load average {harness.load_average()}")
    harness.save_text(
        "sqlite-extract.json", json.dumps({"customers": args.customers, **results}, indent=2)
    )


if __name__ == "__main__":
    harness.entry(WAYS, main)
