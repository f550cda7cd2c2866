"""Enqueue and take throughput and latency of the contact queue on PostgreSQL, 8 agents at once.

    .venv/bin/python bench/contact_queue.py [--contacts 20000] [--agents 8]

A fresh database `tierwise_bench_queue` (dropped and created again) with the default tier policy,
organisation rules and 500 customers in every tier; then (1) one process enqueues --contacts
contacts, each in its own transaction, timing each; (2) --agents threads take them, each take in
its own transaction (`FOR UPDATE SKIP LOCKED`), timing each, until the queue is empty. Prints
throughput and p50/p99 latency and checks every contact was taken exactly once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import threading
import time

from sqlalchemy import insert, select

import harness
from tierwise.bootstrap import bootstrap
from tierwise.config import Settings
from tierwise.customers.models import Customer
from tierwise.desk import queue
from tierwise.organisation.models import OrgPolicy, Staff
from tierwise.organisation.rules import default_rules_text, load_rules
from tierwise.tiering.models import CustomerTier, TierPolicy
from tierwise.tiering.policy import default_policy_text

URL = harness.pg_url("tierwise_bench_queue")


def main() -> None:
    """Fill a fresh queue one contact at a time, drain it with agents in threads, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--agents", type=int, default=8)
    args = parser.parse_args()
    harness.fresh_database(URL)
    app = bootstrap(Settings(database_url=URL))
    rules = load_rules(default_rules_text(), "default")
    now = dt.datetime.now(dt.UTC)
    with app.uow() as uow:
        conn = uow.connection
        conn.execute(
            insert(TierPolicy.__table__).values(
                version=1, name="d", source=default_policy_text(), document={}, active=True
            )
        )
        conn.execute(
            insert(OrgPolicy.__table__).values(
                version=1, name="d", source=default_rules_text(), active=True
            )
        )
        for tier in "ABCDX":
            for i in range(500):
                cid = conn.execute(
                    insert(Customer.__table__)
                    .values(
                        code=f"{tier}{i:04d}",
                        name="c",
                        kind="individual",
                        status="active",
                        phone=f"138{tier}{i:04d}",
                    )
                    .returning(Customer.id)
                ).scalar_one()
                conn.execute(
                    insert(CustomerTier.__table__).values(
                        customer_id=cid, tier=tier, since=now.date(), reason="new"
                    )
                )
        for n in range(args.agents):
            conn.execute(
                insert(Staff.__table__).values(
                    code=f"AG{n}", name="坐席", role="csr", level="junior"
                )
            )
        uow.commit()
    enqueue_ms = []
    started = time.perf_counter()
    for n in range(args.contacts):
        t = time.perf_counter()
        with app.uow() as uow:
            queue.enqueue(uow.connection, rules, f"{'ABCDX'[n % 5]}{n % 500:04d}", now)
            uow.commit()
        enqueue_ms.append((time.perf_counter() - t) * 1000)
    enqueue_s = time.perf_counter() - started
    with app.uow() as uow:
        agents = list(uow.session.scalars(select(Staff.id)))
    take_ms: list[float] = []
    taken: list[int] = []
    lock = threading.Lock()

    def work(agent: int) -> None:
        while True:
            t = time.perf_counter()
            with app.uow() as uow:
                row = queue.take_next(uow.connection, agent, now)
                uow.commit()
            if row is None:
                return
            with lock:
                take_ms.append((time.perf_counter() - t) * 1000)
                taken.append(int(row["id"]))

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(a,)) for a in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    take_s = time.perf_counter() - started
    assert len(taken) == len(set(taken)) == args.contacts
    rows = [
        (
            name,
            f"{args.contacts:,}",
            f"{seconds:.1f}",
            f"{args.contacts / seconds:,.0f}",
            f"{statistics.median(ms):.2f}",
            f"{harness.percentile(ms, 0.99):.2f}",
        )
        for name, seconds, ms in (
            ("enqueue (1 writer)", enqueue_s, enqueue_ms),
            (f"take ({args.agents} agents)", take_s, take_ms),
        )
    ]
    headings = ["step", "contacts", "seconds", "per second", "p50 ms", "p99 ms"]
    print(harness.markdown_table(headings, rows, left=len(headings)))
    harness.log(f"load average {harness.load_average()}")


if __name__ == "__main__":
    main()
