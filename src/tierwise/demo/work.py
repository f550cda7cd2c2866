"""The demo's owners at work between two daily runs: most open tasks get their contact in time."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import Connection, insert, select

from tierwise.accountability.models import Task, TaskStatus
from tierwise.accountability.tasks import satisfy_logged
from tierwise.customers.choices import Direction, InteractionOutcome
from tierwise.customers.models import Interaction
from tierwise.organisation.choices import InteractionChannel
from tierwise.organisation.models import TaskKind

CHANNELS = {
    TaskKind.CALL: InteractionChannel.PHONE,
    TaskKind.VISIT: InteractionChannel.VISIT,
    TaskKind.BUSINESS_REVIEW: InteractionChannel.MEETING,
    TaskKind.COMPLAINT_FOLLOW_UP: InteractionChannel.PHONE,
}
MEMOS = {
    TaskKind.CALL: "例行电话回访，了解近期需求",
    TaskKind.VISIT: "上门拜访，沟通下季度采购计划",
    TaskKind.BUSINESS_REVIEW: "季度业务回顾会议",
    TaskKind.COMPLAINT_FOLLOW_UP: "投诉回访，问题已解决，客户表示满意",
}
DILIGENCE = 0.85
"""The share of tasks the demo's owners do on time; the rest become overdue."""


def work_tasks(conn: Connection, start: dt.date, until: dt.date, seed: int) -> int:
    """Log the contacts most open tasks ask for, on days between `start` and their due date."""
    rng = random.Random(seed)
    t = Task.__table__
    open_tasks = conn.execute(
        select(t.c.id, t.c.customer_id, t.c.staff_id, t.c.kind, t.c.opened_on, t.c.due_on)
        .where(t.c.status == TaskStatus.OPEN, t.c.kind.in_(list(CHANNELS)))
        .order_by(t.c.id)
    ).all()
    rows = []
    for task in open_tasks:
        if rng.random() > DILIGENCE:
            continue
        first = max(start, task.opened_on)
        last = min(until, max(task.due_on, first))
        day = first + dt.timedelta(days=rng.randint(0, max(0, (last - first).days)))
        kind = TaskKind(task.kind)
        rows.append(
            {
                "customer_id": task.customer_id,
                "staff_id": task.staff_id,
                "occurred_at": dt.datetime.combine(day, dt.time(9 + rng.randint(0, 8)), dt.UTC),
                "channel": CHANNELS[kind],
                "direction": Direction.OUTBOUND,
                "outcome": InteractionOutcome.RESOLVED
                if kind is TaskKind.COMPLAINT_FOLLOW_UP
                else InteractionOutcome.INFORMED,
                "memo": MEMOS[kind],
            }
        )
    if rows:
        conn.execute(insert(Interaction.__table__), rows)
    satisfy_logged(conn)
    return len(rows)
