"""HTTP API under concurrent load on PostgreSQL: customer detail and list beside a trivial endpoint.

    .venv/bin/python bench/api_load.py [--customers 5000] [--concurrency 16] [--seconds 15]
                                        [--workers 2]

A fresh database `tierwise_bench_api` with demo data played for two months (so customers have
tiers, owners and history), analysed (ANALYZE), an admin API token, then Uvicorn serving the app in its own processes
(`--workers`). A load generator in this process keeps `--concurrency` requests in flight for
`--seconds` per endpoint and prints requests/s and p50/p99 latency for:
  GET /api/v1/health           no database: the framework's floor on this machine
  GET /api/v1/customers/{code} a customer's file (contacts, totals, sections, consents, audit row)
  GET /api/v1/customers?limit=50  a page of the list (tier and staff codes, masking, audit row)
Each request of the last two also writes its audit entry, as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import time

import httpx2 as httpx
from sqlalchemy import select

import harness
import serving
from tierwise.bootstrap import bootstrap
from tierwise.config import Settings
from tierwise.customers.models import Customer
from tierwise.db.base import utcnow
from tierwise.demo.generator import generate
from tierwise.demo.scenario import play
from tierwise.identity import accounts

URL = harness.pg_url("tierwise_bench_api")
AS_OF = dt.date(2026, 11, 1)
PORT = 8765


def prepare(customers: int) -> tuple[str, list[str]]:
    """A fresh database with played demo data; an admin token and every customer code."""
    harness.fresh_database(URL)
    app = bootstrap(Settings(database_url=URL))
    with app.uow() as uow:
        generate(uow.connection, customers=customers, seed=3, as_of=AS_OF)
        uow.commit()
    play(app, AS_OF, 3, lambda _stage: None)
    with app.uow() as uow:
        user = accounts.add_user(uow.session, "bench", "bench", "admin", "bench-password-1")
        _token, raw = accounts.issue_token(uow.session, user, "bench", [], 1, utcnow())
        codes = list(uow.session.scalars(select(Customer.code)))
        uow.commit()
    with app.engine.connect() as conn:  # planner statistics, as autovacuum would gather them
        conn.exec_driver_sql("ANALYZE")
        conn.commit()
    app.engine.dispose()
    return raw, codes


async def load(
    path_of, token: str, concurrency: int, seconds: float
) -> tuple[float, list[float], int]:  # type: ignore[no-untyped-def]
    """Keep `concurrency` requests in flight for `seconds`; requests/s, latencies, failures."""
    latencies: list[float] = []
    failures = 0
    stop = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{PORT}", headers=headers, limits=limits, timeout=30
    ) as client:

        async def worker() -> None:
            nonlocal failures
            while time.perf_counter() < stop:
                started = time.perf_counter()
                response = await client.get(path_of())
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    failures += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return len(latencies) / elapsed, latencies, failures


def main() -> None:
    """Prepare the database, serve it, load each endpoint in turn and write bench/results/api.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(f"preparing {args.customers:,} customers on PostgreSQL …", flush=True)
    harness.log(f"load average {harness.load_average()}")
    token, codes = prepare(args.customers)
    env = {
        **os.environ,
        "TIERWISE_DATABASE_URL": URL,
        "TIERWISE_SECRET_KEY": "bench-secret-key-not-demo",
    }
    log = harness.DATA / "api_load_server.log"
    server, _base = serving.serve(serving.uvicorn(args.workers), env, PORT, log)
    try:
        endpoints = {
            "GET /api/v1/health (floor)": lambda: "/api/v1/health",
            "GET /api/v1/customers/{code}": lambda: f"/api/v1/customers/{random.choice(codes)}",
            "GET /api/v1/customers?limit=50": lambda: "/api/v1/customers?limit=50",
        }
        rows = []
        for name, path_of in endpoints.items():
            asyncio.run(load(path_of, token, args.concurrency, 2))  # warm up
            rps, latencies, failures = asyncio.run(
                load(path_of, token, args.concurrency, args.seconds)
            )
            rows.append(
                (
                    name,
                    rps,
                    harness.percentile(latencies, 0.5) * 1000,
                    harness.percentile(latencies, 0.99) * 1000,
                    len(latencies),
                    failures,
                )
            )
    finally:
        serving.stop_server(server)
    header = (
        f"{args.customers:,} customers, PostgreSQL, Uvicorn × {args.workers} workers, "
        f"{args.concurrency} concurrent requests, {args.seconds:.0f} s per endpoint, {os.cpu_count()} cores"
    )
    table = harness.markdown_table(
        ["endpoint", "requests/s", "p50 ms", "p99 ms", "requests", "failed"],
        [
            (n, f"{r:,.0f}", f"{p50:.1f}", f"{p99:.1f}", f"{c:,}", f)
            for n, r, p50, p99, c, f in rows
        ],
    )
    text = f"{header}\n\n{table}"
    print(text)
    harness.log(f"load average {harness.load_average()}")
    harness.save_text("api.md", text + "\n")


if __name__ == "__main__":
    main()
