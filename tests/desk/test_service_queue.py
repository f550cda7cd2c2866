"""The contact queue on SQLite and PostgreSQL: order by lane and tier, blacklist last, callbacks
and their windows, re-prioritisation on a tier change, the report, and 8 concurrent agents."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, insert, select

from tierwise.bootstrap import App, bootstrap
from tierwise.config import Settings
from tierwise.customers.models import Customer, Interaction
from tierwise.db import migrate
from tierwise.desk import queue
from tierwise.desk.models import QueueContact
from tierwise.desk.report import report
from tierwise.organisation.models import OrgPolicy, Staff
from tierwise.organisation.rules import default_rules_text, load_rules
from tierwise.sales.models import Order
from tierwise.tiering.models import CustomerTier, TierEvent, TierPolicy
from tierwise.tiering.policy import default_policy_text, load_policy

from ..support.postgres import database_for

RULES = load_rules(default_rules_text(), "default")
T0 = dt.datetime(2026, 11, 2, 1, 0, tzinfo=dt.UTC)


def seconds(n: float) -> dt.datetime:
    """T0 plus n seconds."""
    return T0 + dt.timedelta(seconds=n)


def setup(conn: Connection, customers: dict[str, str]) -> dict[str, int]:
    """The default tier policy, an agent, and customers in the given tiers (code → tier)."""
    policy = load_policy(default_policy_text())
    conn.execute(
        insert(TierPolicy.__table__).values(
            version=1,
            name="d",
            source=policy.source,
            document={},
            active=True,
            applied_at=T0,
        )
    )
    conn.execute(
        insert(Staff.__table__).values(code="AG1", name="坐席一", role="csr", level="junior")
    )
    ids = {}
    for code, tier in customers.items():
        status = "blacklisted" if tier == "X" else "active"
        cid = conn.execute(
            insert(Customer.__table__)
            .values(code=code, name=code, kind="individual", status=status, phone=f"139{code}")
            .returning(Customer.id)
        ).scalar_one()
        conn.execute(
            insert(CustomerTier.__table__).values(
                customer_id=cid, tier=tier, since=T0.date(), reason="new"
            )
        )
        ids[code] = int(cid)
    return ids


def agent(conn: Connection) -> int:
    """The agent's staff id."""
    return int(conn.execute(select(Staff.id).where(Staff.code == "AG1")).scalar_one())


def test_green_channel_first_blacklist_last_first_come_within_a_tier(
    connection: Connection,
) -> None:
    setup(connection, {"D1": "D", "B1": "B", "X1": "X", "A1": "A", "B2": "B"})
    for n, caller in enumerate(["X1", "D1", "139B1", "unknown-1", "B2", "A1"]):
        queue.enqueue(connection, RULES, caller, seconds(n))
    me = agent(connection)
    taken = [queue.take_next(connection, me, seconds(10 + n)) for n in range(6)]
    assert [t["caller"] for t in taken if t] == ["A1", "139B1", "B2", "D1", "unknown-1", "X1"]
    assert queue.take_next(connection, me, seconds(20)) is None
    logged = connection.execute(select(func.count()).select_from(Interaction)).scalar()
    assert logged == 5  # every answered known customer, not the unknown caller


def test_abandoned_callers_get_a_callback_within_their_tiers_window(connection: Connection) -> None:
    ids = setup(connection, {"A1": "A", "B1": "B", "C1": "C"})
    due = {}
    for n, code in enumerate(("A1", "B1", "C1")):
        contact, _who = queue.enqueue(connection, RULES, code, seconds(n))
        due[code] = queue.abandon(connection, RULES, contact, seconds(60))
    assert due == {"A1": seconds(60 + 4 * 3600), "B1": seconds(60 + 24 * 3600), "C1": None}
    listed = queue.callbacks_due(connection)
    assert [row["code"] for row in listed] == ["A1", "B1"]  # soonest due first
    queue.call_back(connection, listed[0]["id"], agent(connection), seconds(600), "已回电")
    assert [row["code"] for row in queue.callbacks_due(connection)] == ["B1"]
    memo = connection.execute(
        select(Interaction.memo, Interaction.direction).where(Interaction.customer_id == ids["A1"])
    ).one()
    assert tuple(memo) == ("已回电", "outbound")
    with pytest.raises(ValueError, match="no callback"):
        queue.call_back(connection, listed[0]["id"], agent(connection), seconds(700), "again")
    with pytest.raises(ValueError, match="not waiting"):
        queue.abandon(connection, RULES, listed[0]["id"], seconds(700))


def test_a_tier_change_moves_waiting_contacts_but_keeps_their_place_in_time(
    connection: Connection,
) -> None:
    ids = setup(connection, {"C1": "C", "C2": "C"})
    queue.enqueue(connection, RULES, "C1", seconds(0))
    queue.enqueue(connection, RULES, "C2", seconds(1))
    connection.execute(
        insert(TierEvent.__table__).values(
            customer_id=ids["C2"],
            kind="tier_changed",
            tier="A",
            previous_tier="C",
            reason="upgrade",
        )
    )
    assert queue.follow_tiers(connection, RULES) == 1
    assert queue.follow_tiers(connection, RULES) == 0  # each event once
    first = queue.take_next(connection, agent(connection), seconds(5))
    assert first is not None and first["caller"] == "C2"


def test_the_report_counts_service_level_speed_abandonment_and_callbacks(
    connection: Connection,
) -> None:
    setup(connection, {"B1": "B", "B2": "B", "B3": "B", "B4": "B"})
    me = agent(connection)
    waits = {"B1": 5, "B2": 15, "B3": 40}
    for n, code in enumerate(("B1", "B2", "B3", "B4")):
        queue.enqueue(connection, RULES, code, seconds(n * 100))
    for n, code in enumerate(("B1", "B2", "B3")):
        taken = queue.take_next(connection, me, seconds(n * 100 + waits[code]))
        assert taken is not None and taken["caller"] == code
    contact = connection.execute(
        select(QueueContact.id).where(QueueContact.caller == "B4")
    ).scalar()
    queue.abandon(connection, RULES, contact, seconds(400))
    queue.call_back(connection, contact, me, seconds(500), "回电")
    (line,) = report(connection, RULES, T0, T0 + dt.timedelta(days=1))
    # B: 20 s threshold; B1 (5 s) and B2 (15 s) within, B3 (40 s) not, B4 abandoned.
    assert (line.tier, line.offered, line.answered, line.within, line.abandoned) == (
        "B",
        4,
        3,
        2,
        1,
    )
    assert (line.level, line.speed, line.abandonment, line.target) == (0.5, 20.0, 0.25, 0.85)
    assert (line.callbacks_due, line.callbacks_on_time) == (1, 1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def busy(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[App]:
    """A committed database with 10,000 queued contacts across the tiers."""
    url = database_for(request.param, "tierwise_test_queue", str(tmp_path))
    migrate.upgrade(url)
    app = bootstrap(Settings(database_url=url))
    with app.uow() as uow:
        tiers = {f"K{i:04d}": "ABCDX"[i % 5] for i in range(50)}
        setup(uow.connection, tiers)
        for n in range(8):
            uow.connection.execute(
                insert(Staff.__table__).values(
                    code=f"AG{n + 2}", name="坐席", role="csr", level="junior"
                )
            )
        uow.connection.execute(
            insert(OrgPolicy.__table__).values(
                version=1, name="d", source=default_rules_text(), active=True
            )
        )
        codes = list(tiers)
        for n in range(10_000):
            queue.enqueue(uow.connection, RULES, codes[n % len(codes)], seconds(n))
        uow.commit()
    yield app
    app.engine.dispose()


def test_eight_concurrent_agents_take_every_contact_exactly_once_in_order(busy: App) -> None:
    postgres = busy.engine.dialect.name == "postgresql"
    lock = threading.Lock()
    taken: list[int] = []
    failures: list[BaseException] = []

    def work(agent_id: int) -> None:
        try:
            while True:
                with busy.uow() as uow:
                    row = queue.take_next(uow.connection, agent_id, seconds(100_000))
                    if row is not None:
                        with lock:  # SQLite: this transaction holds the only write lock now
                            taken.append(int(row["id"]))
                    uow.commit()
                if row is None:
                    return
        except BaseException as exc:  # a worker's failure fails the test
            failures.append(exc)

    with busy.uow() as uow:
        agents = list(uow.session.scalars(select(Staff.id).where(Staff.code != "AG1")))
    workers = [threading.Thread(target=work, args=(a,)) for a in agents]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=600)
    assert not failures and len(agents) == 8
    assert len(taken) == len(set(taken)) == 10_000
    with busy.uow() as uow:
        q = QueueContact.__table__
        ideal = (
            uow.connection.execute(
                select(q.c.id).order_by(q.c.lane, q.c.priority, q.c.arrived_at, q.c.id)
            )
            .scalars()
            .all()
        )
        if postgres:  # the order the rows were locked: each take's transaction id
            taken = list(
                uow.connection.exec_driver_sql(
                    "SELECT id FROM queue_contacts ORDER BY xmin::text::bigint, id"
                ).scalars()
            )
    place = {contact: i for i, contact in enumerate(ideal)}
    # In the order the takes happened, each contact sits within the agents working at the same
    # moment of its place in the ideal order (lane, tier, arrival); SQLite's is exact.
    worst = max(abs(place[contact] - i) for i, contact in enumerate(taken))
    assert worst < (2 * len(agents) if postgres else 1)


def test_ageing_lifts_long_waiters_within_the_normal_lane_but_never_above_green(
    connection: Connection,
) -> None:
    setup(connection, {"A1": "A", "B1": "B", "C1": "C"})
    ageing = RULES.model_copy(update={"ageing_seconds": 60})
    queue.enqueue(connection, ageing, "C1", seconds(0))  # C: rank 2, 130 s before B
    queue.enqueue(connection, ageing, "B1", seconds(130))  # B: rank 1 is worth 60 s of waiting
    queue.enqueue(connection, ageing, "A1", seconds(500))  # green, last to arrive
    me = agent(connection)
    order = [queue.take_next(connection, me, seconds(600 + n))["caller"] for n in range(3)]
    assert order == ["A1", "C1", "B1"]  # C waited 130 s > 60 s longer than B; green first


def test_a_loyal_caller_goes_ahead_within_its_tier_but_never_above_a_better_one(
    connection: Connection,
) -> None:
    ids = setup(connection, {"B1": "B", "B2": "B", "C1": "C", "C2": "C"})
    for code, first in (("B2", dt.date(2019, 5, 1)), ("C2", dt.date(2018, 3, 1))):
        connection.execute(
            insert(Order.__table__).values(
                code=f"{code}-1", customer_id=ids[code], order_date=first
            )
        )
    loyal = RULES.model_copy(update={"loyal_after_years": 3, "loyal_head_start_seconds": 120})
    for n, caller in enumerate(["B1", "C1", "C2", "B2"]):  # the loyal ones call last
        queue.enqueue(connection, loyal, caller, seconds(n * 30))
    me = agent(connection)
    order = [queue.take_next(connection, me, seconds(600 + n))["caller"] for n in range(4)]
    assert order == ["B2", "B1", "C2", "C1"]


def test_callers_waiting_past_the_threshold_are_called_back_when_the_tier_says_so(
    connection: Connection,
) -> None:
    setup(connection, {"B1": "B", "C1": "C", "B2": "B"})
    for n, code in enumerate(("B1", "C1")):
        queue.enqueue(connection, RULES, code, seconds(n))
    queue.enqueue(connection, RULES, "B2", seconds(25))
    assert queue.offer_callbacks(connection, RULES, seconds(30)) == 1  # B1: 30 s > 20 s
    assert [row["code"] for row in queue.callbacks_due(connection)] == ["B1"]
    me = agent(connection)
    assert queue.take_next(connection, me, seconds(31))["caller"] == "B2"  # C has no callback
    assert queue.take_next(connection, me, seconds(32))["caller"] == "C1"
