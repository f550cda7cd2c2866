"""The recompute's extract on SQLite: Python's own sqlite3 streamed into Arrow, beside ADBC's driver.

    .venv/bin/python bench/sqlite_extract.py --customers 20000

Tierwise reads SQLite through `sqlite3` because a second SQLite library in a server process loses
the write-ahead log (docs/data-model.md). This prices that choice: the same queries (a) as Tierwise
runs them, (b) through ADBC's SQLite driver (what it used before; needs `adbc-driver-sqlite`, no
longer a dependency), (c) the floor: sqlite3 fetching the rows with no conversion. Each in its own
process, best of --repeat.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / "data"
AS_OF = "2026-11-01"

WAYS = {
    "tierwise": """
from tierwise.analytics.extract import extract
from tierwise.db.session import make_engine
facts = extract(make_engine(URL), AS_OF)
rows = facts.lines.num_rows
""",
    "adbc": """
import adbc_driver_sqlite.dbapi as adbc
from sqlalchemy.dialects import sqlite
from tierwise.analytics.extract import _sql, queries
connection = adbc.connect(f"file:{URL.removeprefix('sqlite:///')}?mode=ro")
rows = 0
with connection.cursor() as cursor:
    for name, query in queries(AS_OF).items():
        cursor.execute(_sql(query, sqlite.dialect()))
        table = cursor.fetch_arrow_table()
        rows = table.num_rows if name == "lines" else rows
connection.close()
""",
    "floor": """
import sqlite3
from sqlalchemy.dialects import sqlite
from tierwise.analytics.extract import _sql, queries
connection = sqlite3.connect(URL.removeprefix("sqlite:///"))
rows = 0
for name, query in queries(AS_OF).items():
    fetched = connection.execute(_sql(query, sqlite.dialect())).fetchall()
    rows = len(fetched) if name == "lines" else rows
""",
}


def timed(way: str, url: str) -> tuple[float, int]:
    """Seconds one way takes in a fresh process, and the order lines it read."""
    program = (
        "import datetime as dt, time\n"
        f"URL = {url!r}\nAS_OF = dt.date.fromisoformat({AS_OF!r})\n"
        "started = time.perf_counter()\n"
        f"{WAYS[way]}\n"
        "print(time.perf_counter() - started, rows)\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{way}: {done.stderr[-1000:]}")
    seconds, rows = done.stdout.split()
    return float(seconds), int(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    database = DATA / f"extract-{args.customers}.db"
    url = f"sqlite:///{database}"
    if not database.exists():
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
        runs = [timed(way, url) for _ in range(args.repeat)]
        results[way] = {"best_s": min(s for s, _ in runs), "lines": runs[0][1]}
    floor = results["floor"]["best_s"]
    print("| way | order lines | best s | × floor |\n|---|---:|---:|---:|")
    for way, figures in results.items():
        ratio = figures["best_s"] / floor
        print(f"| {way} | {figures['lines']:,} | {figures['best_s']:.2f} | {ratio:.1f}× |")
    out = ROOT / "bench" / "results" / "sqlite-extract.json"
    out.write_text(json.dumps({"customers": args.customers, **results}, indent=2))


if __name__ == "__main__":
    main()
