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

Every measured step runs in a fresh Python process (bench/import_orders_steps.py, started by the
harness), so its peak RSS (`ru_maxrss`) is its own. The import also runs at a second, smaller size (`--small-rows`,
default a quarter of `--rows`) into its own fresh database: does memory grow with the file?

`--pg-url` names the database to use (default
postgresql://postgres@127.0.0.1:5432/tierwise_bench_import); it is DROPPED and created again, so
its name must start with "tierwise_bench_".
`--profile` times the phases of one import (read, parse, stage, checks, write, …, as the import
reports them through `run_import(..., phases=...)`) and each SQL statement, and commit, instead of
running the comparison; `--cprofile` adds the top Python functions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
from pathlib import Path
from typing import Any

import harness
from import_orders_data import write_orders, write_reference_files
from import_orders_profile import print_profile
from import_orders_steps import VARIANTS, parse_variant

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/tierwise_bench_import"
SOURCES = ("ingest", "sales", "customers", "db")
STEPS = harness.BENCH / "import_orders_steps.py"
PROFILE = harness.BENCH / "import_orders_profile.py"


def sqlalchemy_url(kind: str, pg_url: str) -> str:
    """The database a run imports into: a SQLite file in bench/data/, or `--pg-url`."""
    if kind == "sqlite":
        return harness.sqlite_url(harness.DATA / "tierwise_bench.db")
    from sqlalchemy.engine import make_url

    return make_url(pg_url).set(drivername="postgresql+psycopg").render_as_string(False)


def run_step(name: str, *args: Any, url: str, timeout: float) -> dict[str, Any]:
    """A step in a fresh process: its figures, or {"timeout": s} if it was stopped at `timeout`."""
    outcome = harness.run_step(
        PROFILE if name == "profile" else STEPS, name, *args, timeout=timeout
    )
    if outcome.timed_out:
        harness.log(outcome.stopped)
        harness.stop_backends(url)  # the stopped step's query may still run on the server
        return {"timeout": timeout}
    if outcome.stopped or outcome.result is None:
        raise SystemExit(outcome.stopped or f"step {name} left no figures")
    return outcome.result


def _finished(step: dict[str, Any], what: str) -> dict[str, Any]:
    """Only the import may time out and still be reported; a floor or a setup must finish."""
    if "timeout" in step:
        raise SystemExit(f"{what} did not finish in {step['timeout']:g} s")
    return step


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
    step = {"url": url, "timeout": timeout}
    for attempt in range(1, repeat + 1):
        harness.log(
            f"{kind} {rows:,} #{attempt}: fresh database, customers and products "
            f"(load {harness.load_average()})"
        )
        out["setup"] = _finished(run_step("setup", kind, url, **step), "setup")
        for key, wanted in (("import", True), ("reimport", reimport)):
            if not wanted:
                continue
            harness.log(f"{kind} {rows:,} #{attempt}: {key} (load {harness.load_average()})")
            runs[key].append(run_step("import", url, orders, variant, **step))
            if "timeout" in runs[key][-1]:
                break
        if any("timeout" in r for r in runs["import"] + runs["reimport"]):
            break
    out["import"] = _best(runs["import"])
    if runs["reimport"]:
        out["reimport"] = _best(runs["reimport"])
    floors, schema_floors = [], []
    for attempt in range(1, repeat + 1):
        harness.log(f"{kind} {rows:,} #{attempt}: floor (load {harness.load_average()})")
        floors.append(_finished(run_step("floor", kind, url, orders, **step), "floor"))
    out["floor"] = _best(floors)
    for attempt in range(1, repeat + 1):
        harness.log(
            f"{kind} {rows:,} #{attempt}: schema floor, fresh database (load {harness.load_average()})"
        )
        _finished(run_step("setup", kind, url, **step), "setup")
        schema_floors.append(
            _finished(run_step("schema_floor", kind, url, orders, **step), "schema floor")
        )
    out["schema_floor"] = _best(schema_floors)
    return out


def _cpu(step: dict[str, Any]) -> float:
    """Client plus server CPU seconds of a step: what the machine spent, whoever waited."""
    return float(step.get("client_cpu_s", 0.0) + step.get("server_cpu_s", 0.0))


def _cells(r: dict[str, Any]) -> list[str]:
    """One row of the table: the import against both floors, its CPU, memory and re-import."""
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


def environment() -> str:
    """The versions that move these figures, for the log."""
    import sqlalchemy

    return (
        f"python {platform.python_version()}, sqlite {sqlite3.sqlite_version}, "
        f"sqlalchemy {sqlalchemy.__version__}, cpus {os.cpu_count()}"
    )


def profile(kinds: list[str], rows: int, args: argparse.Namespace) -> list[dict[str, Any]]:
    """One import per database with its phases and statements timed (`--profile`)."""
    results = []
    orders = str(write_orders(rows))
    for kind in kinds:
        url = sqlalchemy_url(kind, args.pg_url)
        step = {"url": url, "timeout": args.timeout}
        harness.log(f"{kind}: fresh database")
        _finished(run_step("setup", kind, url, **step), "setup")
        if args.again:
            harness.log(f"{kind}: first import of {rows:,} rows, not profiled")
            _finished(run_step("import", url, orders, args.variant, **step), "first import")
        what = "re-import" if args.again else "import"
        harness.log(f"{kind}: profiled {what} of {rows:,} rows ({args.variant})")
        result = run_step("profile", url, orders, args.variant, args.cprofile, args.explain, **step)
        if "timeout" not in result:
            results.append({"db": kind, **result})
            print_profile(kind, result)
    return results


def main() -> None:
    """The comparison (or with --profile the breakdown) for each database asked for."""
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
    harness.log(environment())
    state = harness.code_state(SOURCES)
    harness.log(
        f"code: commit {state['commit']}, import code digest {state['digest']}, "
        f"uncommitted: {state['changed'] or 'none'}"
    )
    harness.log(f"generating data ({rows:,} rows) in {harness.DATA}")
    write_reference_files()
    write_orders(rows)
    if args.profile:
        results = profile(kinds, rows, args)
    else:
        results = []
        small = rows // 4 if args.small_rows is None else args.small_rows
        for kind in kinds:
            url = sqlalchemy_url(kind, args.pg_url)
            if small:
                results.append(
                    measure(kind, url, small, args.timeout, False, args.variant, args.repeat)
                )
            results.append(measure(kind, url, rows, args.timeout, True, args.variant, args.repeat))
        print_table(results)
    after = harness.code_state(SOURCES)
    if after["digest"] != state["digest"]:
        harness.log(f"WARNING: the import code changed during the run ({state} -> {after}); rerun")
    if args.json:
        document = {"code": state, "code_after": after, "results": results}
        args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
