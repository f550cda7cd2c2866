"""A realistic day at the demo's contact centre, and its backlog of tickets.

Calls arrive 08:00–20:00 (Poisson, busier mid-morning and mid-afternoon) from customers of every
tier and some unknown numbers; the demo's CSRs answer the best lane and tier first; callers give
up after an exponential patience; callbacks fall due per tier and most are made on time. The
queue is simulated event by event and written to `queue_contacts` as if it had happened.
"""

from __future__ import annotations

import datetime as dt
import heapq
import random
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert, select

from tierwise.customers.models import Customer
from tierwise.desk import tickets
from tierwise.desk.models import ContactStatus, QueueContact
from tierwise.desk.queue import Caller, queue_key, treatment
from tierwise.desk.workflow import TicketKind, TicketStatus
from tierwise.identity.access import SYSTEM
from tierwise.organisation.models import Staff, StaffRole
from tierwise.organisation.rules import OrgRules
from tierwise.tiering.models import CustomerTier

PER_HOUR = 75.0
PATIENCE = 300.0
HANDLE = 240.0
UNKNOWN_SHARE = 0.07
BUSY_HOURS = {9: 1.4, 10: 1.5, 11: 1.2, 14: 1.3, 15: 1.4, 16: 1.2, 19: 0.6}


def a_day(
    conn: Connection, rules: OrgRules, day: dt.date, zone: str, seed: int, agents: int
) -> int:
    """Simulate one day of calls with `agents` CSRs and write them; returns how many."""
    rng = random.Random(seed)
    c, ct = Customer.__table__, CustomerTier.__table__
    callers = conn.execute(
        select(c.c.id, c.c.code, ct.c.tier).join(ct, ct.c.customer_id == c.c.id)
    ).all()
    csrs: Sequence[int | None] = list(
        conn.execute(select(Staff.id).where(Staff.role == StaffRole.CSR, Staff.active)).scalars()
    )[:agents] or [None]
    opening = dt.datetime.combine(day, dt.time(8), ZoneInfo(zone)).astimezone(dt.UTC)
    calls = []
    t = 0.0
    while t < 12 * 3600:
        hour = 8 + int(t // 3600)
        t += rng.expovariate(PER_HOUR * BUSY_HOURS.get(hour, 1.0) / 3600.0)
        if rng.random() < UNKNOWN_SHARE:
            calls.append(
                (t, treatment(conn, rules, f"1{rng.randrange(10**9, 10**10)}", None, None))
            )
        else:
            customer_id, code, tier = callers[rng.randrange(len(callers))]
            calls.append((t, treatment(conn, rules, code, customer_id, tier)))
    gives_up = {i: at + rng.expovariate(1 / PATIENCE) for i, (at, _who) in enumerate(calls)}
    served = _serve(calls, gives_up, csrs, rng, min(rules.green_desk, len(csrs) - 1))
    rows = []
    for i, (at, who) in enumerate(calls):
        arrived = opening + dt.timedelta(seconds=at)
        row = {
            "caller": who.caller,
            "customer_id": who.customer_id,
            "tier": who.tier,
            "lane": who.lane,
            "priority": who.priority,
            "queue_key": queue_key(rules, who.lane, who.priority, arrived),
            "answer_seconds": who.level.answer_seconds,
            "arrived_at": arrived,
            "routed": True,  # as the telephony side would have queued it
            "entered_by": SYSTEM.username,
        }
        if i in served:
            start, agent = served[i]
            row |= {
                "status": ContactStatus.TAKEN,
                "taken_by": agent,
                "taken_at": opening + dt.timedelta(seconds=start),
                "wrapped_at": opening + dt.timedelta(seconds=start + who.level.handle_seconds),
            }
        else:
            gave_up = opening + dt.timedelta(seconds=gives_up[i])
            hours = who.level.callback_hours if who.customer_id else None
            due = gave_up + dt.timedelta(hours=hours) if hours else None
            done = None
            if due is not None and rng.random() < 0.8:
                done = gave_up + (due - gave_up) * rng.random()
            row |= {
                "status": ContactStatus.ABANDONED,
                "abandoned_at": gave_up,
                "callback_due": due,
                "callback_done_at": done,
                "callback_by": csrs[0] if done else None,
            }
        rows.append(row)
    if rows:
        columns = {k for row in rows for k in row}
        conn.execute(insert(QueueContact.__table__), [{k: r.get(k) for k in columns} for r in rows])
    return len(rows)


def _serve(
    calls: list[tuple[float, Caller]],
    gives_up: dict[int, float],
    agents: Sequence[int | None],
    rng: random.Random,
    reserved: int,
) -> dict[int, tuple[float, int | None]]:
    """Event by event: at every arrival or agent freed, free agents take the best waiting caller
    still on the line (lane, tier rank, first come); the first `reserved` agents are the green
    channel's desk and take only its callers. Returns who was answered when, by whom."""
    events: list[tuple[float, int, int]] = [(at, 1, i) for i, (at, _who) in enumerate(calls)]
    heapq.heapify(events)
    free = list(range(len(agents)))
    green: list[tuple[int, int, float, int]] = []
    others: list[tuple[int, int, float, int]] = []
    served: dict[int, tuple[float, int | None]] = {}

    def next_caller(desk: bool, now: float) -> int | None:
        for heap in (green,) if desk else (green, others):
            while heap:
                caller = heapq.heappop(heap)[3]
                if gives_up[caller] >= now:
                    return caller
        return None

    while events:
        now, kind, index = heapq.heappop(events)
        if kind == 1:
            who = calls[index][1]
            heapq.heappush(green if who.lane == 0 else others, (who.lane, who.priority, now, index))
        else:
            free.append(index)
        for agent in sorted(free, reverse=True):  # the general agents first, the desk last
            caller = next_caller(agent < reserved, now)
            if caller is None:
                continue
            free.remove(agent)
            served[caller] = (now, agents[agent])
            heapq.heappush(events, (now + rng.expovariate(1 / HANDLE), 0, agent))
    return served


SUBJECTS = {
    TicketKind.REQUEST: [
        "开具增值税发票",
        "修改收货地址",
        "申请延长账期",
        "索取产品资料",
        "预约上门安装",
    ],
    TicketKind.COMPLAINT: ["到货破损", "发货延迟", "产品质量问题", "客服态度差", "价格与合同不符"],
}
PATHS = {
    TicketKind.REQUEST: [TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.CLOSED],
    TicketKind.COMPLAINT: [
        TicketStatus.JUDGED,
        TicketStatus.ASSIGNED,
        TicketStatus.HANDLED,
        TicketStatus.ANSWERED,
        TicketStatus.EVALUATED,
        TicketStatus.CLOSED,
    ],
}


def a_backlog(
    conn: Connection, rules: OrgRules, until: dt.date, zone: str, seed: int, count: int = 60
) -> int:
    """Tickets opened over the two weeks before `until`, each some way along its workflow: most
    on time, some late, some still open, an invalid complaint or two; returns how many."""
    rng = random.Random(seed)
    cal = tickets.calendar(rules, zone)
    codes = list(conn.execute(select(Customer.code).where(Customer.status == "active")).scalars())
    for _ in range(count):
        kind = TicketKind.COMPLAINT if rng.random() < 0.4 else TicketKind.REQUEST
        day = until - dt.timedelta(days=rng.randint(0, 14))
        opened = dt.datetime.combine(day, dt.time(9 + rng.randint(0, 8)), ZoneInfo(zone))
        moment = opened.astimezone(dt.UTC)
        ticket_id = tickets.open_ticket(
            conn,
            rules,
            cal,
            rng.choice(codes),
            kind,
            rng.choice(SUBJECTS[kind]),
            rng.choice(["phone", "wechat", "email"]),
            moment,
            "demo",
        )
        path = PATHS[kind][: rng.randint(0, len(PATHS[kind]))]
        if kind is TicketKind.COMPLAINT and path and rng.random() < 0.15:
            path = [TicketStatus.CLOSED]  # judged not valid
        for step, target in enumerate(path):
            hours = rng.uniform(0.2, 3.0) if step == 0 else rng.uniform(1.0, 10.0)
            moment = cal.add(moment, hours * 3600)
            if moment.date() > until:
                break
            note = "判定属实" if target is TicketStatus.JUDGED else None
            if path == [TicketStatus.CLOSED] and kind is TicketKind.COMPLAINT:
                note = "不属实：按合同执行"
            department = "物流部" if target is TicketStatus.ASSIGNED else None
            survey = (
                (rng.randint(3, 5), rng.randint(6, 10)) if target is TicketStatus.CLOSED else None
            )
            tickets.move(conn, cal, ticket_id, target, moment, "demo", note, department, survey)
    return count
