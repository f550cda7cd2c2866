"""Soak: colleagues at once on a served database while the CLI imports and recomputes beside them.

    .venv/bin/python bench/soak.py --db sqlite --clients 8 16 --seconds 60
    .venv/bin/python bench/soak.py --db postgresql --clients 16 32 --seconds 60 --workers 2

For each client count: a fresh demo database (1,000 customers), a server (`tierwise serve` on
SQLite; Uvicorn with `--workers` on PostgreSQL), N clients mixing the customer list, customer files,
renames with If-Match, new contacts, the tier distribution and the dashboard, and beside them a CLI
loop importing orders and recomputing. Loopback only; bounded by --seconds and --max-requests.
Afterwards every write the server acknowledged is looked up: each contact present, each customer
with the last name acknowledged for it; and every order the CLI imported. Prints one table per run
and writes bench/results/soak-<db>.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import harness
import serving

sys.path.insert(0, str(harness.ROOT))

from sqlalchemy import create_engine, text
from tests.support.load import Tally, lost_writes, run_clients
from tests.support.served import TIERWISE, environment, free_port, run_cli

DATA = harness.DATA / "soak"


def demo(kind: str, clients: int) -> str:
    """A fresh demo database for one run."""
    if kind == "sqlite":
        url = harness.empty_database(harness.sqlite_url(DATA / f"tierwise_soak_{clients}.db"))
    else:
        url = harness.empty_database(harness.pg_url(f"tierwise_bench_soak_{clients}"))
    built = run_cli(url, "demo", "--customers", "1000", timeout=900)
    if built.returncode != 0:
        raise SystemExit(built.stderr)
    return url


def start(url: str, workers: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The server: `tierwise serve`, or Uvicorn with several workers."""
    command = serving.uvicorn(workers) if workers > 1 else [TIERWISE, "serve"]
    return serving.serve(command, environment(url), free_port(), log, wait=120)


def orders_file(url: str, number: int) -> tuple[Path, int]:
    """An orders CSV of 200 new orders for existing customers."""
    engine = create_engine(url)
    with engine.connect() as connection:
        codes = [c for (c,) in connection.execute(text("SELECT code FROM customers LIMIT 200"))]
    engine.dispose()
    path = DATA / f"orders-{number}.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["order_code", "customer_code", "order_date", "amount"])
        for n, code in enumerate(codes):
            writer.writerow([f"SOAK-{number}-{n}", code, "2026-10-31", f"{100 + n}.50"])
    return path, len(codes)


def cli_beside(url: str, until: float, outcome: dict[str, object]) -> None:
    """The operator's CLI at work: imports and recomputes until the clients stop."""
    imported: list[tuple[str, int]] = []
    failures: list[str] = []
    runs = 0
    while time.monotonic() < until:
        path, count = orders_file(url, runs)
        for command in (["import", "orders", str(path)], ["recompute", "--as-of", "2026-11-01"]):
            done = run_cli(url, *command, timeout=600)
            if done.returncode != 0:
                failures.append(f"{' '.join(command)} → {done.returncode}: {done.stderr[-300:]}")
            elif command[0] == "import":
                imported.append((f"SOAK-{runs}-", count))
        runs += 1
    outcome.update(imported=imported, failures=failures, runs=runs)


def missing_orders(url: str, imports: list[tuple[str, int]]) -> list[str]:
    """Imports the CLI reported done whose orders are not all in the database."""
    engine = create_engine(url)
    missing = []
    with engine.connect() as connection:
        for prefix, count in imports:
            found = connection.execute(
                text("SELECT count(*) FROM orders WHERE code LIKE :p"), {"p": f"{prefix}%"}
            ).scalar_one()
            if found != count:
                missing.append(f"{prefix}: {found} of {count} orders")
    engine.dispose()
    return missing


def report(
    kind: str,
    clients: int,
    seconds: float,
    tally: Tally,
    beside: dict[str, object],
    lost: list[str],
    exit_status: int | None,
) -> dict[str, object]:
    """Print one run's table and return its figures."""
    errors = len(tally.failures) + len(beside["failures"])  # type: ignore[arg-type]
    print(
        f"\n## {kind}, {clients} clients, {seconds:.0f} s: {tally.requests} requests "
        f"({tally.requests / seconds:.1f} req/s), errors {errors}, lost writes {len(lost)}, "
        f"CLI rounds {beside['runs']}, server {'running' if exit_status is None else exit_status}"
    )
    print("| endpoint | requests | req/s | p50 ms | p99 ms | statuses |")
    print("|---|---:|---:|---:|---:|---|")
    endpoints = {}
    for endpoint, times in sorted(tally.seconds.items()):
        statuses = {s: n for (e, s), n in tally.statuses.items() if e == endpoint}
        p50, p99 = harness.percentile(times, 0.5) * 1000, harness.percentile(times, 0.99) * 1000
        endpoints[endpoint] = {
            "requests": len(times),
            "p50_ms": p50,
            "p99_ms": p99,
            "statuses": statuses,
        }
        print(
            f"| {endpoint} | {len(times)} | {len(times) / seconds:.1f} | {p50:.0f} | {p99:.0f} "
            f"| {', '.join(f'{s}×{n}' for s, n in sorted(statuses.items()))} |"
        )
    for line in [*tally.failures[:5], *beside["failures"][:5], *lost[:5]]:  # type: ignore[misc]
        print("  !", line)
    return {
        "db": kind,
        "clients": clients,
        "seconds": seconds,
        "requests": tally.requests,
        "req_per_s": tally.requests / seconds,
        "errors": errors,
        "lost_writes": len(lost),
        "cli_rounds": beside["runs"],
        "endpoints": endpoints,
        "median_ms": statistics.median(t for ts in tally.seconds.values() for t in ts) * 1000,
    }


def main() -> None:
    """One soak run per client count; write bench/results/soak-<db>.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 16])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-requests", type=int, default=20_000, help="per client")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    runs = []
    for clients in args.clients:
        url = demo(args.db, clients)
        process, base = start(url, args.workers, DATA / f"server-{args.db}-{clients}.log")
        beside: dict[str, object] = {}
        until = time.monotonic() + args.seconds
        operator = threading.Thread(target=cli_beside, args=(url, until, beside))
        operator.start()
        started = time.monotonic()
        tally = run_clients(base, clients, args.seconds, args.max_requests)
        elapsed = time.monotonic() - started
        operator.join()
        exit_status = process.poll()
        serving.stop_server(process, crash=True)  # what was acknowledged is on disk already
        lost = lost_writes(url, tally)
        lost += [f"import {p}" for p in missing_orders(url, beside["imported"])]  # type: ignore[arg-type]
        runs.append(report(args.db, clients, elapsed, tally, beside, lost, exit_status))
    harness.log(f"load average {harness.load_average()}")
    harness.save_text(f"soak-{args.db}.json", json.dumps(runs, indent=2))


if __name__ == "__main__":
    main()
