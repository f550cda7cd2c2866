"""Tickets as a signed-in user works them (API and console alike): within their scope, audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tierwise.customers.choices import ChurnType
from tierwise.customers.models import Customer
from tierwise.customers.privacy import ERASED, PersonErased
from tierwise.customers.scopes import scoped, shown, visible_customer
from tierwise.customers.service import ContactLogged, CustomerFileRead
from tierwise.db.base import as_utc, utcnow
from tierwise.db.session import UnitOfWork
from tierwise.desk import queue, tickets
from tierwise.desk.calendar import Calendar
from tierwise.desk.entitlements import check_channel
from tierwise.desk.models import QueueContact, Ticket, TicketComment, TicketStep
from tierwise.desk.workflow import MOVES, TicketKind, TicketStatus, Urgency, urgency_of
from tierwise.i18n import N_, _
from tierwise.identity.access import Principal, require
from tierwise.identity.audit import changes_of, record
from tierwise.identity.roles import Permission
from tierwise.organisation.models import Staff
from tierwise.organisation.rules import OrgRules
from tierwise.organisation.service import NoRules, active_rules
from tierwise.tiering.regrade import TierChanged

LATEST_TICKETS = 20


def visible_ticket(session: Session, principal: Principal, ticket_id: int) -> Ticket:
    """The ticket if its customer is in the principal's scope; others look as if absent."""
    ticket = session.scalar(scoped(select(Ticket).where(Ticket.id == ticket_id), principal))
    if ticket is None:
        raise LookupError(_("no ticket {id}").format(id=ticket_id))
    return ticket


def open_ticket(
    uow: UnitOfWork,
    principal: Principal,
    zone: str,
    customer_code: str,
    kind: TicketKind,
    subject: str,
    channel: str,
    override_reason: str | None = None,
) -> int:
    """Open a request or complaint for a customer in scope; its clocks start now. A channel the
    customer's tier does not take is refused unless a reason is given, which the audit keeps."""
    customer = visible_customer(uow.session, principal, customer_code)
    rules = active_rules(uow.connection)
    overridden = check_channel(uow.connection, rules, customer.id, channel, override_reason)
    ticket_id = tickets.open_ticket(
        uow.connection,
        rules,
        tickets.calendar(rules, zone),
        customer.code,
        kind,
        subject,
        channel,
        utcnow(),
        principal.username,
    )
    note = None
    if overridden:
        note = _("by {channel}, not a channel of the tier: {reason}").format(
            channel=channel, reason=overridden
        )
    record(uow.session, principal, "create", "ticket", str(ticket_id), note=note)
    return ticket_id


def move_ticket(
    uow: UnitOfWork,
    principal: Principal,
    zone: str,
    ticket_id: int,
    to: TicketStatus,
    note: str | None,
    department: str | None,
    survey: tuple[int | None, int | None] | None = None,
    churn_type: ChurnType | None = None,
) -> None:
    """Move a ticket in scope along its workflow; the audit keeps the old and new status, and the
    contact the move logs does what any contact does (a resolution closes complaint follow-ups).
    Closing can record why the customer was lost, on the customer and in the audit."""
    require(principal, Permission.TICKETS_WRITE)
    ticket = visible_ticket(uow.session, principal, ticket_id)
    if churn_type is not None and to is not TicketStatus.CLOSED:
        raise ValueError(_("a churn type is recorded when the ticket is closed"))
    before, customer_id = ticket.status.value, ticket.customer_id
    rules = active_rules(uow.connection)
    check_department(rules, department)
    cal = tickets.calendar(rules, zone)
    tickets.move(
        uow.connection, cal, ticket_id, to, utcnow(), principal.username, note, department, survey
    )
    change = {"status": [before, to.value]}
    record(uow.session, principal, "move", "ticket", str(ticket_id), changes=change)
    if churn_type is not None:
        _record_churn_type(uow.session, principal, customer_id, churn_type, ticket_id)
    uow.happened(ContactLogged(customer_id))


def check_department(rules: OrgRules, department: str | None) -> None:
    """Refuse a department the organisation rules do not list (any goes when they list none)."""
    if department and rules.departments and department not in rules.departments:
        raise ValueError(
            _("department: {department} is not one of the organisation's: {known}").format(
                department=department, known=", ".join(rules.departments)
            )
        )


def _record_churn_type(
    session: Session, principal: Principal, customer_id: int, churn_type: ChurnType, ticket_id: int
) -> None:
    """The churn type a closed ticket found, on the customer, audited as an edit of it."""
    customer = session.get_one(Customer, customer_id)
    diff = changes_of({"churn_type": customer.churn_type}, {"churn_type": churn_type})
    customer.churn_type = churn_type
    if diff:
        note = _("found when ticket {id} was closed").format(id=ticket_id)
        record(session, principal, "update", "customer", customer.code, sorted(diff), diff, note)


def follows_new_tier(zone: str) -> Callable[[UnitOfWork, TierChanged], dict[str, int]]:
    """The desk's reaction to a tier that moved between recomputes: the customer's waiting
    contacts re-queued and open tickets re-targeted at once (the daily run finds them done)."""

    def follow(uow: UnitOfWork, fact: TierChanged) -> dict[str, int]:
        try:
            rules = active_rules(uow.connection)
        except NoRules:
            return {}
        conn, cal = uow.connection, tickets.calendar(rules, zone)
        return {
            "requeued": queue.requeue(conn, rules, fact.customer_id, fact.tier),
            "retargeted": tickets.retarget(conn, rules, cal, {fact.customer_id}),
        }

    return follow


def forget_person(uow: UnitOfWork, fact: PersonErased) -> dict[str, int]:
    """An erased person's calls keep only their code, and their tickets lose subject and notes."""
    session, cid = uow.session, fact.customer_id
    session.execute(
        update(QueueContact)
        .where(QueueContact.customer_id == cid)
        .values(caller=fact.code, memo=None)
    )
    session.execute(update(Ticket).where(Ticket.customer_id == cid).values(subject=ERASED))
    steps = select(Ticket.id).where(Ticket.customer_id == cid)
    session.execute(update(TicketStep).where(TicketStep.ticket_id.in_(steps)).values(note=None))
    session.execute(
        update(TicketComment).where(TicketComment.ticket_id.in_(steps)).values(body=ERASED)
    )
    return {}


def tickets_of_file(uow: UnitOfWork, fact: CustomerFileRead) -> dict[str, Any]:
    """On the 360: the customer's latest tickets, newest first."""
    if not fact.whole:
        return {}
    query = select(Ticket).where(Ticket.customer_id == fact.customer_id)
    latest = query.order_by(Ticket.opened_at.desc()).limit(LATEST_TICKETS)
    return {"tickets": list(uow.session.scalars(latest))}


@dataclass(frozen=True)
class Clock:
    """One SLA clock as an agent reads it: due, met when, or the business time left or overdue."""

    name: str
    due: dt.datetime
    met_at: dt.datetime | None
    paused: bool
    left_seconds: float
    overdue_seconds: float


@dataclass(frozen=True)
class TimelineStep:
    """One step of a ticket's life: when, from and to which status, who, and their note."""

    at: dt.datetime
    from_status: TicketStatus | None
    to_status: TicketStatus
    actor: str | None
    note: str | None


@dataclass(frozen=True)
class TimelineComment:
    """A comment in a ticket's timeline: when, who, and whether the customer is meant to read it."""

    at: dt.datetime
    author: str
    body: str
    internal: bool


@dataclass(frozen=True)
class TicketFile:
    """Everything the ticket page shows: the ticket, its customer, who works it, clocks, the
    timeline of steps and comments, and next moves."""

    ticket: Ticket
    customer_code: str
    customer_name: str
    assignee: str | None
    urgency: Urgency
    clocks: list[Clock]
    timeline: list[TimelineStep | TimelineComment]
    moves: tuple[TicketStatus, ...]
    departments: list[str]


def ticket_file(uow: UnitOfWork, principal: Principal, zone: str, ticket_id: int) -> TicketFile:
    """The ticket in scope with its clocks measured in business time from now (as breaches are
    counted: a clock is late once its due moment passed unmet) and its timeline oldest first."""
    require(principal, Permission.TICKETS_READ)
    ticket = visible_ticket(uow.session, principal, ticket_id)
    customer = uow.session.get_one(Customer, ticket.customer_id)
    rules = active_rules(uow.connection)
    cal, now = tickets.calendar(rules, zone), utcnow()
    paused = ticket.paused_since is not None
    clocks = [
        clock_of(cal, now, paused, name, as_utc(due), met and as_utc(met))
        for name, due, met in (
            (N_("First response"), ticket.first_response_due, ticket.first_response_at),
            (N_("Resolution"), ticket.resolution_due, ticket.resolved_at),
        )
    ]
    steps = select(TicketStep).where(TicketStep.ticket_id == ticket_id).order_by(TicketStep.id)
    comments = select(TicketComment).where(TicketComment.ticket_id == ticket_id)
    timeline: list[TimelineStep | TimelineComment] = [
        TimelineStep(
            as_utc(s.at),
            TicketStatus(s.from_status) if s.from_status else None,
            TicketStatus(s.to_status),
            s.actor,
            s.note,
        )
        for s in uow.session.scalars(steps)
    ]
    timeline += [
        TimelineComment(as_utc(c.at), c.author, c.body, c.internal)
        for c in uow.session.scalars(comments.order_by(TicketComment.id))
    ]
    assignee = uow.session.get(Staff, ticket.assignee_id) if ticket.assignee_id else None
    return TicketFile(
        ticket=ticket,
        customer_code=customer.code,
        customer_name=shown(principal, "name", customer.name),
        assignee=assignee.name if assignee else None,
        urgency=urgency_of(ticket.priority),
        clocks=clocks,
        timeline=sorted(timeline, key=lambda entry: entry.at),
        moves=MOVES[ticket.kind][ticket.status],
        departments=list(rules.departments),
    )


def clock_of(
    cal: Calendar,
    now: dt.datetime,
    paused: bool,
    name: str,
    due: dt.datetime,
    met_at: dt.datetime | None,
) -> Clock:
    """The clock read at `now`: business time left while unmet, business time past due if late."""
    until = met_at or now
    return Clock(
        name=name,
        due=due,
        met_at=met_at,
        paused=paused and met_at is None,
        left_seconds=cal.between(now, due) if met_at is None else 0.0,
        overdue_seconds=cal.between(due, until) if until > due else 0.0,
    )
