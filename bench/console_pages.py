"""Server-side time of the console's list, 360 and dashboard pages on the 1M-customer database.

    .venv/bin/python bench/console_pages.py [--url postgresql+psycopg://…/tierwise_bench_analytics]
                                            [--requests 40]

Run after bench/tier_step.py (which leaves 1,000,000 graded customers and 10,000,000 order lines
in `tierwise_bench_analytics`). Signs in as an administrator (created if missing) and requests
each page in process through the ASGI app (no network, one at a time), timing the full render:
queries, masking, the audit row, Jinja2. Prints p50/p95/max per page and writes
bench/results/console.md.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time

from fastapi.testclient import TestClient
from sqlalchemy import func, select

import harness
from tierwise.bootstrap import bootstrap
from tierwise.config import Settings
from tierwise.customers.models import Customer
from tierwise.identity import accounts
from tierwise.identity.models import User
from tierwise.server import create_app

URL = harness.pg_url("tierwise_bench_analytics")
USER, PASSWORD = "bench-console", "bench-console-password"


def main() -> None:
    """Sign in, time every page in turn and write bench/results/console.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default=URL)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    harness.log(f"waited {harness.settle(args.url):.0f} s for a quiet machine")
    app = bootstrap(Settings(database_url=args.url, demo=True, failed_sign_in_delay=0))
    with app.uow() as uow:
        if uow.session.scalar(select(User.id).where(User.username == USER)) is None:
            user = accounts.add_user(uow.session, USER, "bench", "admin", PASSWORD)
            user.must_change_password = False
        customers = uow.session.scalar(select(func.count()).select_from(Customer))
        top = uow.session.scalar(select(func.max(Customer.id)))
        picks = [
            uow.session.scalar(
                select(Customer.code).where(Customer.id >= random.randint(1, top)).limit(1)
            )
            for _ in range(args.requests)
        ]
        uow.commit()
    client = TestClient(create_app(app))
    form = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/sign-in").text)
    assert form, "the sign-in form has no token"
    sign_in = {"username": USER, "password": PASSWORD, "next": "/customers"}
    client.post("/sign-in", data={**sign_in, "csrf_token": form.group(1)})
    pages = {
        "customer list, first page (50 rows by code)": lambda i: "/customers",
        "customer list, search by code prefix": lambda i: f"/customers?q={picks[i][:5]}",
        "customer list, tier A": lambda i: "/customers?tier=A",
        "customer 360": lambda i: f"/customers/{picks[i]}",
        "dashboard (every chart)": lambda i: "/",
    }
    lines = [
        f"{customers:,} customers, PostgreSQL, in process (no network), one request at a time",
        "",
        "| page | p50 ms | p95 ms | max ms | first request ms | requests |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, path_of in pages.items():
        count = 5 if name.startswith("dashboard") else args.requests
        started = time.perf_counter()
        client.get(path_of(0))  # the first request also fills caches (the dashboard's charts)
        first = time.perf_counter() - started
        seconds = []
        for i in range(count):
            started = time.perf_counter()
            response = client.get(path_of(i))
            seconds.append(time.perf_counter() - started)
            assert response.status_code == 200, (name, response.status_code, response.text[:300])
        p95 = harness.percentile(seconds, 0.95)
        lines.append(
            f"| {name} | {statistics.median(seconds) * 1000:.0f} | {p95 * 1000:.0f} | "
            f"{max(seconds) * 1000:.0f} | {first * 1000:.0f} | {count} |"
        )
        print(lines[-1], flush=True)
    text = "\n".join(lines)
    print(text)
    harness.log(f"load average {harness.load_average()}")
    harness.save_text("console.md", text + "\n")


if __name__ == "__main__":
    main()
