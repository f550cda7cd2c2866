"""SLA warnings before a breach: as an open ticket's clock uses up shares of its business-time
target, the people who can still save it are told, escalating agent → owner → manager.

At the first share of `sla_warnings` the ticket's assignee is warned (nobody assigned: the desk's
CSRs), at a later share also the customer's owner, at the breach also the owner's manager — once
per ticket, clock and threshold. Time outside business hours and time waiting on the customer do
not count, as for the due dates themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from tierwise.customers.models import Customer
from tierwise.db.base import as_utc
from tierwise.desk import tickets
from tierwise.desk.calendar import Calendar
from tierwise.desk.models import Ticket
from tierwise.desk.workflow import TicketStatus
from tierwise.i18n import N_, _
from tierwise.organisation import inbox
from tierwise.organisation.models import Staff, StaffNotification, StaffRole
from tierwise.organisation.rules import OrgRules
from tierwise.organisation.service import active_rules

WARNING, BREACH = "sla_warning", "sla_breach"
CLOCKS = {"first_response": N_("first response"), "resolution": N_("resolution")}
"""The clocks of a ticket, by the name notifications keep, with the words readers see."""


@dataclass(frozen=True)
class Clock:
    """How far one unmet clock of an open ticket has run."""

    ticket_id: int
    subject: str
    clock: str
    due: dt.datetime
    share: float


def elapsed_share(
    cal: Calendar,
    opened: dt.datetime,
    due: dt.datetime,
    paused_seconds: float,
    paused_since: dt.datetime | None,
    now: dt.datetime,
) -> float:
    """The share of its business-time target a clock has used by now: the due date already
    carries the waits that ended, so the target is the business time to it less those waits."""
    target = cal.between(opened, due) - paused_seconds
    waiting = cal.between(paused_since, now) if paused_since is not None else 0.0
    used = cal.between(opened, now) - paused_seconds - waiting
    return used / target if target > 0 else 1.0


def running_clocks(conn: Connection, cal: Calendar, now: dt.datetime) -> list[Clock]:
    """Every clock not yet met on the tickets still open, with the share it has used."""
    t = Ticket.__table__
    rows = conn.execute(
        select(t).where(
            t.c.status != TicketStatus.CLOSED,
            t.c.first_response_at.is_(None) | t.c.resolved_at.is_(None),
        )
    ).mappings()
    clocks = []
    for row in rows:
        paused = as_utc(row["paused_since"]) if row["paused_since"] else None
        for clock, met in (("first_response", "first_response_at"), ("resolution", "resolved_at")):
            if row[met] is not None:
                continue
            due = as_utc(row[f"{clock}_due"])
            share = elapsed_share(
                cal, as_utc(row["opened_at"]), due, row["paused_seconds"], paused, now
            )
            clocks.append(Clock(row["id"], row["subject"], clock, due, share))
    return clocks


def _key(ticket_id: int, clock: str, threshold: float | None) -> str:
    level = "breach" if threshold is None else f"{threshold:g}"
    return f"sla:{ticket_id}:{clock}:{level}"


def _reached(shares: list[float], share: float) -> tuple[int, float | None] | None:
    """The highest level a share has reached: (rank, threshold), the breach with no threshold
    and rank len(shares); None before the first threshold."""
    if share >= 1:
        return len(shares), None
    passed = [i for i, s in enumerate(shares) if share >= s]
    return (passed[-1], shares[passed[-1]]) if passed else None


def _recipients(conn: Connection, ticket_id: int, rank: int, last: int) -> list[int]:
    """Who hears of a level: the assignee (a ticket nobody works: the customer's CSR, else its
    owner), from the second level the owner, at the breach (rank `last`) the owner's manager
    (the team lead). Only people whose scope holds the customer: a warning names the ticket."""
    t, c = Ticket.__table__, Customer.__table__
    assignee, csr, owner = conn.execute(
        select(t.c.assignee_id, c.c.csr_id, c.c.owner_id)
        .join(c, c.c.id == t.c.customer_id)
        .where(t.c.id == ticket_id)
    ).one()
    first = assignee if assignee is not None else csr if csr is not None else owner
    people = [] if first is None else [first]
    if (rank >= 1 or rank == last) and owner is not None:
        people.append(owner)
    if rank >= last and owner is not None:
        manager = _manager_of(conn, owner)
        if manager is not None:
            people.append(manager)
    return list(dict.fromkeys(people))


def _manager_of(conn: Connection, staff_id: int) -> int | None:
    """The staff member's manager; without one named, an active manager of their team."""
    s = Staff.__table__
    manager, team = conn.execute(select(s.c.manager_id, s.c.team).where(s.c.id == staff_id)).one()
    if manager is not None or team is None:
        return manager
    return conn.execute(
        select(s.c.id)
        .where(s.c.team == team, s.c.role == StaffRole.MANAGER, s.c.active, s.c.id != staff_id)
        .order_by(s.c.id)
        .limit(1)
    ).scalar()


def raise_warnings(conn: Connection, rules: OrgRules, cal: Calendar, now: dt.datetime) -> int:
    """Warn about every open ticket's clocks that reached a new threshold (or the breach) by
    `now`; each ticket, clock and threshold once. Returns how many notifications were raised."""
    shares = rules.sla_warnings
    reached = {
        clock: level
        for clock in running_clocks(conn, cal, now)
        if (level := _reached(shares, clock.share)) is not None
    }
    known = inbox.raised(conn, {_key(c.ticket_id, c.clock, t) for c, (_, t) in reached.items()})
    count = 0
    for clock, (rank, threshold) in reached.items():
        key = _key(clock.ticket_id, clock.clock, threshold)
        if key in known:
            continue
        parameters: dict[str, Any] = {
            "ticket": clock.ticket_id,
            "subject": clock.subject,
            "clock": clock.clock,
            "share": threshold,
            "due": clock.due.isoformat(),
        }
        for person in _recipients(conn, clock.ticket_id, rank, len(shares)):
            count += inbox.notify(
                conn,
                person,
                BREACH if threshold is None else WARNING,
                parameters,
                key,
                now,
                link=f"/service/tickets/{clock.ticket_id}",
            )
    return count


def warn(conn: Connection, zone: str, now: dt.datetime) -> int:
    """Raise the warnings due by `now` under the active organisation rules (the command's job)."""
    rules = active_rules(conn)
    return raise_warnings(conn, rules, tickets.calendar(rules, zone), now)


def describe(kind: str, parameters: dict[str, Any]) -> str:
    """A desk notification in the reader's language."""
    clock = _(CLOCKS[parameters["clock"]])
    if kind == BREACH:
        return _("Ticket {id} “{subject}” missed its {clock} deadline.").format(
            id=parameters["ticket"], subject=parameters["subject"], clock=clock
        )
    return _("Ticket {id} “{subject}” has used {share:.0%} of its {clock} time.").format(
        id=parameters["ticket"],
        subject=parameters["subject"],
        clock=clock,
        share=parameters["share"],
    )


def open_warnings(conn: Connection, staff_id: int | None) -> list[dict[str, Any]]:
    """The staff member's warnings whose clock still runs, the latest per ticket and clock,
    newest first, each with the words to show and its link."""
    if staff_id is None:
        return []
    n, t = StaffNotification.__table__, Ticket.__table__
    rows = conn.execute(
        select(n.c.kind, n.c.parameters, n.c.link, n.c.created_at)
        .where(n.c.recipient_id == staff_id, n.c.kind.in_((WARNING, BREACH)))
        .order_by(n.c.created_at.desc(), n.c.id.desc())
        .limit(inbox.NEWEST)
    ).all()
    tickets = {
        row.id: row
        for row in conn.execute(
            select(t.c.id, t.c.status, t.c.first_response_at, t.c.resolved_at).where(
                t.c.id.in_({r.parameters["ticket"] for r in rows})
            )
        )
    }
    met = {"first_response": "first_response_at", "resolution": "resolved_at"}
    shown: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:
        p = row.parameters
        ticket = tickets.get(p["ticket"])
        if ticket is None or ticket.status == TicketStatus.CLOSED:
            continue
        if getattr(ticket, met[p["clock"]]) is not None or (p["ticket"], p["clock"]) in shown:
            continue
        shown[p["ticket"], p["clock"]] = {
            "text": describe(row.kind, p),
            "link": row.link,
            "breached": row.kind == BREACH,
            "created_at": row.created_at,
        }
    return list(shown.values())
