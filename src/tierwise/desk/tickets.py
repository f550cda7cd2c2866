"""Tickets: requests and complaints with the tier's priority and SLA clocks in business hours.

Clocks: the first response is due `first_response_hours` of business time after opening, the
resolution `resolution_hours` after; time waiting on the customer does not count (a wait pushes
every unmet due date out by its business time). A tier change re-targets: priority and due dates
are recomputed from the opening time with the new tier's targets plus the time paused so far.
Missed clocks become `sla_breaches` rows, once per ticket and clock.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, insert, select, update

from tierwise.customers.choices import Direction, InteractionOutcome
from tierwise.customers.models import Customer, Interaction
from tierwise.customers.service import CustomerNotFound
from tierwise.customers.surveys import Survey
from tierwise.db.base import as_utc
from tierwise.desk.calendar import Calendar
from tierwise.desk.models import SlaBreach, Ticket, TicketStep
from tierwise.desk.queue import UNKNOWN, treatment
from tierwise.desk.workflow import DONE, RESPONDED, TicketKind, TicketStatus, check_move
from tierwise.i18n import _, current_language
from tierwise.jobs.cursors import advance_cursor, read_cursor
from tierwise.organisation.choices import InteractionChannel
from tierwise.organisation.rules import OrgRules, ServiceLevel
from tierwise.tiering.models import CustomerTier, TierEvent, TierEventKind


def calendar(rules: OrgRules, zone: str) -> Calendar:
    """The business-hours calendar of the organisation rules."""
    hours = rules.business_hours
    return Calendar(
        zone=ZoneInfo(zone),
        days=frozenset(hours.days),
        opens=hours.opens,
        closes=hours.closes,
        holidays=frozenset(hours.holidays),
        workdays=frozenset(hours.workdays),
    )


def _targets(
    conn: Connection, rules: OrgRules, customer_id: int
) -> tuple[str | None, int, ServiceLevel]:
    tier = conn.execute(
        select(CustomerTier.tier).where(CustomerTier.customer_id == customer_id)
    ).scalar()
    who = treatment(conn, rules, "", customer_id, tier)
    tier_rules = rules.for_tier(tier)
    return tier, who.lane * 100 + who.priority, tier_rules.service if tier_rules else UNKNOWN


def open_ticket(
    conn: Connection,
    rules: OrgRules,
    cal: Calendar,
    customer_code: str,
    kind: TicketKind,
    subject: str,
    channel: str,
    now: dt.datetime,
    actor: str | None,
) -> int:
    """Record a request or complaint; its clocks start now."""
    found = conn.execute(
        select(Customer.id, func.coalesce(Customer.csr_id, Customer.owner_id)).where(
            Customer.code == customer_code
        )
    ).first()
    if found is None:
        raise CustomerNotFound(customer_code)
    customer_id, assignee_id = found
    if not subject.strip():
        raise ValueError(_("a ticket needs a subject"))
    tier, priority, level = _targets(conn, rules, customer_id)
    ticket_id = conn.execute(
        insert(Ticket.__table__)
        .values(
            customer_id=customer_id,
            kind=kind,
            channel=channel,
            subject=subject.strip(),
            status=TicketStatus.RECORDED,
            tier=tier,
            priority=priority,
            assignee_id=assignee_id,
            opened_at=now,
            first_response_due=cal.add(now, level.first_response_hours * 3600),
            resolution_due=cal.add(now, level.resolution_hours * 3600),
            paused_seconds=0.0,
        )
        .returning(Ticket.__table__.c.id)
    ).scalar_one()
    _step(conn, ticket_id, None, TicketStatus.RECORDED, now, actor, subject)
    return int(ticket_id)


def move(
    conn: Connection,
    cal: Calendar,
    ticket_id: int,
    target: TicketStatus,
    now: dt.datetime,
    actor: str | None,
    note: str | None = None,
    department: str | None = None,
    survey: tuple[int | None, int | None] | None = None,
) -> None:
    """Move a ticket along its workflow; refuses illegal moves with the allowed ones. Closing can
    record the customer's satisfaction (CSAT 1–5, NPS 0–10) as a survey for the analytics."""
    t = Ticket.__table__
    row = conn.execute(select(t).where(t.c.id == ticket_id)).mappings().first()
    if row is None:
        raise LookupError(_("no ticket {id}").format(id=ticket_id))
    current, kind = TicketStatus(row["status"]), TicketKind(row["kind"])
    check_move(kind, current, target, note, department)
    values: dict[str, object] = {"status": target}
    if department:
        values["department"] = department
    if target is TicketStatus.WAITING:
        values["paused_since"] = now
    if current is TicketStatus.WAITING and row["paused_since"] is not None:
        paused = cal.between(as_utc(row["paused_since"]), now)
        values["paused_since"] = None
        values["paused_seconds"] = row["paused_seconds"] + paused
        if row["first_response_at"] is None:
            values["first_response_due"] = cal.add(as_utc(row["first_response_due"]), paused)
        if row["resolved_at"] is None:
            values["resolution_due"] = cal.add(as_utc(row["resolution_due"]), paused)
    if target in RESPONDED and row["first_response_at"] is None:
        values["first_response_at"] = now
    if target in DONE and row["resolved_at"] is None:
        values["resolved_at"] = now
    if target is TicketStatus.CLOSED:
        values["closed_at"] = now
    conn.execute(update(t).where(t.c.id == ticket_id).values(**values))
    _step(conn, ticket_id, current, target, now, actor, note)
    language = current_language()
    memo = _("{kind} {id}: {status}").format(
        kind=kind.label(language), id=ticket_id, status=target.label(language)
    ) + (f" — {note}" if note else "")
    conn.execute(
        insert(Interaction.__table__).values(
            customer_id=row["customer_id"],
            occurred_at=now,
            channel=InteractionChannel.OTHER,
            direction=Direction.OUTBOUND,
            outcome=InteractionOutcome.RESOLVED if target in DONE else InteractionOutcome.FOLLOW_UP,
            memo=memo,
        )
    )
    if target is TicketStatus.CLOSED and survey is not None and any(v is not None for v in survey):
        csat, nps = survey
        if (csat is not None and not 1 <= csat <= 5) or (nps is not None and not 0 <= nps <= 10):
            raise ValueError(
                _("CSAT is 1–5 and NPS 0–10; got {csat} and {nps}").format(csat=csat, nps=nps)
            )
        conn.execute(
            insert(Survey.__table__).values(
                code=f"ticket-{ticket_id}",
                customer_id=row["customer_id"],
                answered_on=now.date(),
                csat=csat,
                nps=nps,
            )
        )


def _step(
    conn: Connection,
    ticket_id: int,
    current: TicketStatus | None,
    target: TicketStatus,
    now: dt.datetime,
    actor: str | None,
    note: str | None,
) -> None:
    conn.execute(
        insert(TicketStep.__table__).values(
            ticket_id=ticket_id,
            at=now,
            from_status=current,
            to_status=target,
            actor=actor,
            note=note,
        )
    )


def breaches(conn: Connection, now: dt.datetime) -> int:
    """Record every clock missed by now (once per ticket and clock); returns how many are new."""
    t, b = Ticket.__table__, SlaBreach.__table__
    known = {tuple(r) for r in conn.execute(select(b.c.ticket_id, b.c.clock))}
    rows = []
    for clock, due, met in (
        ("first_response", t.c.first_response_due, t.c.first_response_at),
        ("resolution", t.c.resolution_due, t.c.resolved_at),
    ):
        late = conn.execute(
            select(t.c.id, t.c.customer_id, due).where(
                due < now, (met.is_(None)) | (met > due), t.c.paused_since.is_(None)
            )
        ).all()
        rows += [
            {"ticket_id": i, "customer_id": c, "clock": clock, "due": d, "noticed_at": now}
            for i, c, d in late
            if (i, clock) not in known
        ]
    if rows:
        conn.execute(insert(b), rows)
    return len(rows)


def follow_tiers(conn: Connection, rules: OrgRules, cal: Calendar) -> int:
    """Re-prioritise and re-target the open tickets of customers whose tier changed."""
    e = TierEvent.__table__
    after = read_cursor(conn, "tickets:tier_events")
    changed = {
        row.customer_id
        for row in conn.execute(
            select(e.c.customer_id).where(e.c.id > after, e.c.kind == TierEventKind.TIER_CHANGED)
        )
    }
    latest = conn.execute(select(func.max(e.c.id))).scalar() or after
    moved = retarget(conn, rules, cal, changed)
    advance_cursor(conn, "tickets:tier_events", latest)
    return moved


def retarget(conn: Connection, rules: OrgRules, cal: Calendar, customer_ids: set[int]) -> int:
    """Re-prioritise and re-target the open tickets of these customers from their tier now;
    returns how many moved."""
    t = Ticket.__table__
    moved = 0
    for ticket in (
        conn.execute(
            select(t).where(t.c.customer_id.in_(customer_ids), t.c.status != TicketStatus.CLOSED)
        )
        .mappings()
        .all()
    ):
        tier, priority, level = _targets(conn, rules, ticket["customer_id"])
        opened, paused = as_utc(ticket["opened_at"]), ticket["paused_seconds"]
        values: dict[str, object] = {"tier": tier, "priority": priority}
        if ticket["first_response_at"] is None:
            values["first_response_due"] = cal.add(
                opened, level.first_response_hours * 3600 + paused
            )
        if ticket["resolved_at"] is None:
            values["resolution_due"] = cal.add(opened, level.resolution_hours * 3600 + paused)
        conn.execute(update(t).where(t.c.id == ticket["id"]).values(**values))
        moved += 1
    return moved
