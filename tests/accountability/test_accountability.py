"""Owners by tier within capacity and absences, tasks from cadence and events, overdue → items,
the answer/review workflow; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, insert, select, update

from tierwise.accountability import assignment, items, service, tasks
from tierwise.accountability.models import (
    AccountabilityItem,
    Assignment,
    AssignmentReason,
    ItemKind,
    ItemStatus,
    ReasonCode,
    Task,
    TaskStatus,
)
from tierwise.bootstrap import App, bootstrap
from tierwise.config import Settings
from tierwise.customers.models import Customer, Interaction
from tierwise.db import migrate
from tierwise.organisation.models import OrgPolicy, Staff, StaffAbsence, TaskKind
from tierwise.organisation.rules import load_rules
from tierwise.tiering.models import CustomerTier, TierEvent

from ..support.postgres import database_for
from ..support.units import in_unit

TODAY = dt.date(2026, 11, 2)
RULES_SOURCE = """
name = "test"
tolerance_days = 7
key_tiers = ["A"]
[[tiers]]
tier = "A"
owner = { roles = ["account_manager"], level = "senior" }
csr = true
weight = 3
obligations = [{ kind = "call", every_days = 14 }, { kind = "visit", every_days = 30 }]
[[tiers]]
tier = "C"
owner = { roles = ["sales"], pick = "round_robin" }
weight = 1
"""
RULES = load_rules(RULES_SOURCE, "test.toml")


def staff(conn: Connection, code: str, role: str, level: str = "senior", **extra: object) -> int:
    """Add a staff member; returns the id."""
    values = {"code": code, "name": code, "role": role, "level": level, **extra}
    return int(
        conn.execute(insert(Staff.__table__).values(**values).returning(Staff.id)).scalar_one()
    )


def customer(conn: Connection, code: str, tier: str, owner: int | None = None) -> int:
    """Add an active customer in a tier (since a month ago); returns the id."""
    cid = conn.execute(
        insert(Customer.__table__)
        .values(code=code, name=code, kind="enterprise", status="active", owner_id=owner)
        .returning(Customer.id)
    ).scalar_one()
    conn.execute(
        insert(CustomerTier.__table__).values(
            customer_id=cid, tier=tier, since=TODAY - dt.timedelta(days=30), reason="new"
        )
    )
    return int(cid)


def owner_of(conn: Connection, customer_id: int) -> int | None:
    """The customer's owner now."""
    return conn.execute(select(Customer.owner_id).where(Customer.id == customer_id)).scalar()


def test_key_accounts_go_to_seniors_within_capacity_and_never_to_the_absent(
    connection: Connection,
) -> None:
    senior = staff(connection, "S1", "account_manager", capacity=6)
    away = staff(connection, "S2", "account_manager", capacity=60)
    staff(connection, "J1", "account_manager", "junior", capacity=60)
    staff(connection, "CSR1", "csr", capacity=1)
    connection.execute(
        insert(StaffAbsence.__table__).values(
            staff_id=away, starts_on=TODAY, ends_on=TODAY + dt.timedelta(days=9)
        )
    )
    firsts = [customer(connection, f"K{i}", "A") for i in range(3)]
    result = assignment.run(connection, RULES, TODAY)
    owners = [owner_of(connection, c) for c in firsts]
    assert owners == [senior, senior, None]  # weight 3 each: capacity 6 holds two
    assert result.unassigned == [firsts[2]] and result.csrs == 1  # the CSR holds one
    reasons = connection.execute(
        select(Assignment.reason).where(Assignment.role == "owner")
    ).scalars()
    assert set(reasons) == {AssignmentReason.RULE}


def test_inactive_owners_lose_their_customers_and_a_tier_change_hands_over(
    connection: Connection,
) -> None:
    gone = staff(connection, "G1", "account_manager", active=False)
    senior = staff(connection, "S1", "account_manager")
    sales = [staff(connection, f"P{i}", "sales") for i in range(2)]
    kept = customer(connection, "K1", "A", owner=gone)
    moved = customer(connection, "K2", "A", owner=senior)
    assignment.run(connection, RULES, TODAY)
    assert owner_of(connection, kept) == senior
    connection.execute(update(CustomerTier.__table__).values(tier="C"))
    result = assignment.run(connection, RULES, TODAY)
    assert {owner_of(connection, kept), owner_of(connection, moved)} == set(sales)  # round robin
    assert result.handovers == 2
    handovers = connection.execute(
        select(Task.staff_id, Task.kind).where(Task.kind == TaskKind.HANDOVER)
    ).all()
    assert handovers == [(senior, "handover"), (senior, "handover")]
    assert assignment.run(connection, RULES, TODAY).owners == {}  # idempotent


def test_manual_and_bulk_reassignment_keep_history_and_respect_capacity(app: App) -> None:
    with app.uow() as uow:
        conn = uow.connection
        small = staff(conn, "S1", "account_manager", capacity=3)
        big = staff(conn, "S2", "account_manager", capacity=30)
        first = customer(conn, "K1", "A", owner=big)
        second = customer(conn, "K2", "A", owner=big)
        conn.execute(
            insert(OrgPolicy.__table__).values(
                version=1, name="t", source=RULES_SOURCE, active=True
            )
        )
        assignment.run(conn, RULES, TODAY - dt.timedelta(days=5))
        uow.commit()
    in_unit(app, service.set_owner, "K1", "S1", "closer to the client", "li", TODAY, force=False)
    with pytest.raises(ValueError, match="capacity"):
        in_unit(app, service.set_owner, "K2", "S1", "also", "li", TODAY, force=False)
    assert in_unit(app, service.move_all, "S2", "team change", "li", TODAY, to_code="S1") == (0, 1)
    with app.uow() as uow:
        third = staff(uow.connection, "S3", "account_manager", capacity=30)
        uow.commit()
    assert in_unit(app, service.move_all, "S2", "team change", "li", TODAY) == (
        1,
        0,
    )  # by the rules
    with app.uow() as uow:
        assert (owner_of(uow.connection, first), owner_of(uow.connection, second)) == (small, third)
        history = assignment.owners_history(uow.connection, first)
    assert [(h["code"], h["reason"], h["ends_on"]) for h in history if h["role"] == "owner"] == [
        ("S1", "manual", None),
        ("S2", "rule", TODAY),
    ]


def test_cadence_makes_tasks_a_contact_does_them_and_overdue_ones_raise_items(
    connection: Connection,
) -> None:
    senior = staff(connection, "S1", "account_manager")
    key = customer(connection, "K1", "A", owner=senior)
    connection.execute(
        insert(Interaction.__table__).values(
            customer_id=key,
            occurred_at=dt.datetime(2026, 10, 10, 9, tzinfo=dt.UTC),
            channel="phone",
            direction="outbound",
        )
    )
    made = tasks.generate(connection, RULES, TODAY)
    assert made["call"] == 1 and made["visit"] == 1  # call: 10-10 + 14 = 10-24, visit never
    due = dict(connection.execute(select(Task.kind, Task.due_on)).all())
    assert due == {"call": TODAY, "visit": TODAY}  # missed before tracking: due when first seen
    assert +tasks.generate(connection, RULES, TODAY) == Counter()  # nothing twice
    later = TODAY + dt.timedelta(days=8)
    connection.execute(
        insert(Interaction.__table__).values(
            customer_id=key,
            occurred_at=dt.datetime(2026, 11, 5, 9, tzinfo=dt.UTC),
            channel="visit",
            direction="outbound",
        )
    )
    assert tasks.satisfy_logged(connection, key) == 1
    raised = items.raise_items(connection, RULES, later)
    assert raised == {ItemKind.OBLIGATION_OVERDUE: 1}  # the call, 8 days late; the visit is done
    item = connection.execute(select(AccountabilityItem)).one()
    assert (item.staff_id, item.customer_id, item.status) == (senior, key, ItemStatus.OPEN)
    assert items.raise_items(connection, RULES, later) == {}  # once per cause
    statuses = dict(connection.execute(select(Task.kind, Task.status)).all())
    assert statuses == {"call": TaskStatus.OPEN, "visit": TaskStatus.DONE}


def test_a_key_account_downgrade_raises_an_item_against_its_owner(connection: Connection) -> None:
    senior = staff(connection, "S1", "account_manager")
    key = customer(connection, "K1", "B", owner=senior)
    connection.execute(
        insert(TierEvent.__table__).values(
            customer_id=key, kind="tier_changed", tier="B", previous_tier="A", reason="downgrade"
        )
    )
    assert items.raise_items(connection, RULES, TODAY) == {ItemKind.KEY_ACCOUNT_DOWNGRADED: 1}
    item = connection.execute(select(AccountabilityItem)).one()
    assert item.staff_id == senior and "A" in item.detail
    assert items.raise_items(connection, RULES, TODAY) == {}


def test_items_are_answered_then_reviewed_and_illegal_steps_are_refused(app: App) -> None:
    with app.uow() as uow:
        senior = staff(uow.connection, "S1", "account_manager")
        key = customer(uow.connection, "K1", "A", owner=senior)
        uow.connection.execute(
            insert(AccountabilityItem.__table__).values(
                kind="obligation_overdue",
                source_ref="task:1",
                staff_id=senior,
                customer_id=key,
                raised_on=TODAY,
                detail="call overdue",
                status="open",
            )
        )
        item_id = uow.session.scalar(select(func.max(AccountabilityItem.id)))
        with pytest.raises(items.ItemError, match="no answer"):
            items.review(uow.session, item_id, True, "boss", None)
        with pytest.raises(items.ItemError, match="explanation"):
            items.answer(uow.session, item_id, ReasonCode.WORKLOAD, "  ")
        items.answer(uow.session, item_id, ReasonCode.WORKLOAD, "三个关键客户同时投诉")
        with pytest.raises(items.ItemError, match="action"):
            items.review(uow.session, item_id, False, "boss", "")
        items.review(uow.session, item_id, False, "boss", "本周内补上拜访")
        assert uow.session.get(AccountabilityItem, item_id).status == ItemStatus.ACTION_REQUIRED
        items.answer(uow.session, item_id, ReasonCode.WORKLOAD, "已拜访")
        final = items.review(uow.session, item_id, True, "boss", None)
        assert final.status == ItemStatus.ACCEPTED and final.reviewer == "boss"
        with pytest.raises(items.ItemError):
            items.answer(uow.session, item_id, ReasonCode.OTHER, "again")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def committed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[App]:
    """A database of its own whose transactions really commit, for concurrent runs."""
    url = database_for(request.param, "tierwise_test_assign", str(tmp_path))
    migrate.upgrade(url)
    app = bootstrap(Settings(database_url=url))
    yield app
    app.engine.dispose()


def test_concurrent_runs_never_assign_twice_or_beyond_capacity(committed: App) -> None:
    with committed.uow() as uow:
        conn = uow.connection
        seniors = [staff(conn, f"S{i}", "account_manager", capacity=30) for i in range(4)]
        for i in range(120):
            customer(conn, f"K{i:03d}", "A")
        conn.execute(
            insert(OrgPolicy.__table__).values(
                version=1, name="t", source=RULES_SOURCE, active=True
            )
        )
        uow.commit()
    barrier = threading.Barrier(4)
    failures: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        try:
            in_unit(committed, service.run_daily, TODAY, committed.settings.timezone)
        except BaseException as exc:  # a worker's failure fails the test
            failures.append(exc)

    workers = [threading.Thread(target=run) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not failures
    with committed.uow() as uow:
        conn = uow.connection
        open_rows = conn.execute(
            select(Assignment.customer_id, func.count())
            .where(Assignment.role == "owner", Assignment.ends_on.is_(None))
            .group_by(Assignment.customer_id)
        ).all()
        owners = conn.execute(
            select(Customer.owner_id, func.count()).group_by(Customer.owner_id)
        ).all()
    assert all(n == 1 for _customer, n in open_rows) and len(open_rows) == 40  # 4 × 30 / 3
    assert dict(owners) == {**dict.fromkeys(seniors, 10), None: 80}
