"""Tasks for owners: from each tier's contact cadence and from events; a logged contact does them.

An obligation's clock starts at the last matching contact (or the day the customer entered its
tier) and a task is opened `LEAD_DAYS` before it falls due; an obligation already missed when
first seen falls due that day, so nobody answers for the time before it was tracked. Events add
tasks: a coming downgrade, P(alive) falling between two snapshots, a complaint. Open tasks follow
the customer's owner; a contact logged after a task opened does it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import ColumnElement, Connection, func, insert, select, update

from tierwise.accountability.models import Task, TaskStatus
from tierwise.analytics.models import AnalyticsRun, CustomerIndicator
from tierwise.customers.choices import CustomerStatus, InteractionOutcome
from tierwise.customers.models import Customer, Interaction
from tierwise.customers.service import ContactLogged, CustomerFileRead
from tierwise.db.session import UnitOfWork
from tierwise.i18n import _
from tierwise.jobs.cursors import advance_cursor, read_cursor
from tierwise.organisation.models import TaskKind
from tierwise.organisation.rules import OBLIGATION_CHANNELS, OrgRules
from tierwise.tiering.models import CustomerTier, TierEvent, TierEventKind

LEAD_DAYS = 7
"""How long before an obligation falls due its task appears."""

OBLIGATIONS = tuple(OBLIGATION_CHANNELS)


def generate(conn: Connection, rules: OrgRules, today: dt.date) -> Counter[str]:
    """Open the tasks that are due soon and not yet open; returns how many of each kind."""
    made: Counter[str] = Counter()
    satisfy_logged(conn)
    _follow_owners(conn)
    made.update(_cadence(conn, rules, today))
    made.update(_downgrade_warnings(conn, today))
    made.update(_churn_risk(conn, rules, today))
    made.update(_complaints(conn, rules, today))
    return made


def _open_tasks(conn: Connection, kind: str) -> set[int]:
    t = Task.__table__
    return set(
        conn.execute(
            select(t.c.customer_id).where(t.c.kind == kind, t.c.status == TaskStatus.OPEN)
        ).scalars()
    )


def _add(
    conn: Connection,
    rows: list[dict[str, object]],
) -> None:
    if rows:
        conn.execute(insert(Task.__table__), rows)


def _cadence(conn: Connection, rules: OrgRules, today: dt.date) -> Counter[str]:
    c, ct, i = Customer.__table__, CustomerTier.__table__, Interaction.__table__
    customers = conn.execute(
        select(c.c.id, c.c.owner_id, ct.c.tier, ct.c.since)
        .join(ct, ct.c.customer_id == c.c.id)
        .where(c.c.status != CustomerStatus.CHURNED, c.c.owner_id.is_not(None))
    ).all()
    made: Counter[str] = Counter()
    for kind, channels in OBLIGATION_CHANNELS.items():
        last = dict(
            conn.execute(
                select(i.c.customer_id, func.max(i.c.occurred_at))
                .where(i.c.channel.in_(channels))
                .group_by(i.c.customer_id)
            ).all()
        )
        already = _open_tasks(conn, kind)
        rows = []
        for customer_id, owner_id, tier, since in customers:
            tier_rules = rules.for_tier(tier)
            every = next(
                (
                    o.every_days
                    for o in (tier_rules.obligations if tier_rules else [])
                    if o.kind == kind
                ),
                None,
            )
            if every is None or customer_id in already:
                continue
            contact = last.get(customer_id)
            base = contact.date() if contact else since
            due = max(base + dt.timedelta(days=every), today)  # never overdue before tracked
            opened = base + dt.timedelta(days=1) if contact else base  # later contacts do it
            if due - dt.timedelta(days=LEAD_DAYS) <= today:
                rows.append(_task(customer_id, owner_id, kind, opened, due, "cadence"))
        _add(conn, rows)
        made[kind] += len(rows)
    return made


def _task(
    customer_id: int, owner_id: int | None, kind: str, opened: dt.date, due: dt.date, source: str
) -> dict[str, object]:
    return {
        "customer_id": customer_id,
        "staff_id": owner_id,
        "kind": kind,
        "status": TaskStatus.OPEN,
        "opened_on": opened,
        "due_on": due,
        "source": source,
    }


def _owners(conn: Connection, ids: list[int]) -> dict[int, int | None]:
    c = Customer.__table__
    return (
        dict(conn.execute(select(c.c.id, c.c.owner_id).where(c.c.id.in_(ids))).all()) if ids else {}
    )


def _downgrade_warnings(conn: Connection, today: dt.date) -> Counter[str]:
    """A task for the owner of every customer warned of a coming downgrade."""
    e = TierEvent.__table__
    after = read_cursor(conn, "tasks:tier_events")
    events = conn.execute(
        select(e.c.id, e.c.customer_id, e.c.occurs_on, e.c.tier)
        .where(e.c.id > after, e.c.kind == TierEventKind.DOWNGRADE_AT_RISK)
        .order_by(e.c.id)
    ).all()
    latest = conn.execute(select(func.max(e.c.id))).scalar() or after
    owners = _owners(conn, [ev.customer_id for ev in events])
    already = _open_tasks(conn, TaskKind.DOWNGRADE_AT_RISK)
    rows = []
    for event in events:
        if event.customer_id in already:
            continue
        task = _task(
            event.customer_id,
            owners.get(event.customer_id),
            TaskKind.DOWNGRADE_AT_RISK,
            today,
            event.occurs_on or today + dt.timedelta(days=LEAD_DAYS),
            f"tier_event:{event.id}",
        )
        task["note"] = _("goes down to {tier} unless its value recovers").format(tier=event.tier)
        rows.append(task)
        already.add(event.customer_id)
    _add(conn, rows)
    advance_cursor(conn, "tasks:tier_events", latest)
    return Counter({TaskKind.DOWNGRADE_AT_RISK.value: len(rows)})


def _churn_risk(conn: Connection, rules: OrgRules, today: dt.date) -> Counter[str]:
    """A task when P(alive) fell by at least `p_alive_drop` between the last two snapshots."""
    runs = AnalyticsRun.__table__
    last_two = (
        conn.execute(select(runs.c.id).order_by(runs.c.as_of.desc()).limit(2)).scalars().all()
    )
    if len(last_two) < 2:
        return Counter()
    now, before = (CustomerIndicator.__table__.alias(n) for n in ("now", "before"))
    c = Customer.__table__
    falling = conn.execute(
        select(now.c.customer_id, c.c.owner_id)
        .join(before, before.c.customer_id == now.c.customer_id)
        .join(c, c.c.id == now.c.customer_id)
        .where(
            now.c.run_id == last_two[0],
            before.c.run_id == last_two[1],
            before.c.p_alive - now.c.p_alive >= rules.p_alive_drop,
            c.c.owner_id.is_not(None),
        )
    ).all()
    already = _open_tasks(conn, TaskKind.CHURN_RISK)
    rows = [
        _task(
            cid, owner, TaskKind.CHURN_RISK, today, today + dt.timedelta(days=LEAD_DAYS), "p_alive"
        )
        for cid, owner in falling
        if cid not in already
    ]
    _add(conn, rows)
    return Counter({TaskKind.CHURN_RISK.value: len(rows)})


def _complaints(conn: Connection, rules: OrgRules, today: dt.date) -> Counter[str]:
    """A follow-up task for every complaint logged since the last run (within the lookback)."""
    i = Interaction.__table__
    after = read_cursor(conn, "tasks:complaints")
    horizon = dt.datetime.combine(today - dt.timedelta(days=rules.lookback_days), dt.time(), dt.UTC)
    complaints = conn.execute(
        select(i.c.id, i.c.customer_id, i.c.occurred_at)
        .where(i.c.id > after, i.c.outcome == InteractionOutcome.COMPLAINT)
        .where(i.c.occurred_at >= horizon)
        .order_by(i.c.id)
    ).all()
    owners = _owners(conn, [row.customer_id for row in complaints])
    rows = [
        _task(
            row.customer_id,
            owners.get(row.customer_id),
            TaskKind.COMPLAINT_FOLLOW_UP,
            row.occurred_at.date(),
            max(row.occurred_at.date(), today) + dt.timedelta(days=3),
            f"interaction:{row.id}",
        )
        for row in complaints
    ]
    _add(conn, rows)
    latest = conn.execute(select(func.max(i.c.id))).scalar() or after
    advance_cursor(conn, "tasks:complaints", latest)
    return Counter({TaskKind.COMPLAINT_FOLLOW_UP.value: len(rows)})


def _follow_owners(conn: Connection) -> None:
    """Open tasks (but hand-overs) move with the customer to its new owner."""
    t, c = Task.__table__, Customer.__table__
    owner = select(c.c.owner_id).where(c.c.id == t.c.customer_id).scalar_subquery()
    conn.execute(
        update(t)
        .where(t.c.status == TaskStatus.OPEN, t.c.kind != TaskKind.HANDOVER)
        .where(t.c.staff_id.is_distinct_from(owner))
        .values(staff_id=owner)
    )


def satisfy_logged(conn: Connection, customer_id: int | None = None) -> int:
    """Close every open task (of one customer) that a contact logged since it opened satisfies:
    a contact on a matching channel for an obligation, one that resolved it for a complaint."""
    t, i = Task.__table__, Interaction.__table__
    matching: list[tuple[str, ColumnElement[bool]]] = [
        (kind, i.c.channel.in_(channels)) for kind, channels in OBLIGATION_CHANNELS.items()
    ]
    matching.append((TaskKind.COMPLAINT_FOLLOW_UP, i.c.outcome == InteractionOutcome.RESOLVED))
    done = 0
    for kind, condition in matching:
        since = (
            i.c.customer_id == t.c.customer_id,
            condition,
            func.date(i.c.occurred_at) >= t.c.opened_on,
        )
        first = select(func.min(i.c.id)).where(*since).scalar_subquery()
        when = select(func.date(func.min(i.c.occurred_at))).where(*since).scalar_subquery()
        query = update(t).where(t.c.kind == kind, t.c.status == TaskStatus.OPEN)
        if customer_id is not None:
            query = query.where(t.c.customer_id == customer_id)
        result = conn.execute(
            query.where(first.is_not(None)).values(
                status=TaskStatus.DONE, interaction_id=first, done_on=when
            ),
            execution_options={"preserve_rowcount": True},
        )
        done += result.rowcount or 0
    return done


def done_by_contact(uow: UnitOfWork, fact: ContactLogged) -> dict[str, int]:
    """A logged contact does the customer's open tasks it satisfies, whoever logged it where."""
    return {"tasks_done": satisfy_logged(uow.connection, fact.customer_id)}


def open_tasks_of_file(uow: UnitOfWork, fact: CustomerFileRead) -> dict[str, Any]:
    """On the 360: the customer's open tasks, soonest due first."""
    if not fact.whole:
        return {}
    query = select(Task).where(Task.customer_id == fact.customer_id, Task.status == TaskStatus.OPEN)
    return {"tasks": list(uow.session.scalars(query.order_by(Task.due_on)))}
