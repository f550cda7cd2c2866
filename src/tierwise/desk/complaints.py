"""Who complained in a year and how it ended: the desk's section of the composition report."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from tierwise.analytics.composition import CompositionAsked
from tierwise.analytics.reports import Report
from tierwise.customers.models import Customer
from tierwise.customers.scopes import customer_filter
from tierwise.customers.surveys import Survey
from tierwise.db.base import as_utc
from tierwise.db.session import UnitOfWork
from tierwise.desk.models import Ticket, TicketStep
from tierwise.desk.workflow import TicketKind, TicketStatus
from tierwise.i18n import _, current_language

DAY_SECONDS = 86400


def outcome(ticket: Ticket, judged: bool) -> str:
    """How a complaint ended, in the words of its workflow: judged invalid, resolved with the
    effect evaluated, or where it still stands."""
    if ticket.status is TicketStatus.CLOSED:
        return _("resolved, effect evaluated") if judged else _("judged invalid")
    if ticket.status is TicketStatus.EVALUATED:
        return _("effect evaluated, not closed yet")
    return _("open: {status}").format(status=ticket.status.label(current_language()))


def complaints_of_year(uow: UnitOfWork, fact: CompositionAsked) -> dict[str, Any]:
    """Complaints opened in the year up to the snapshot, within the reader's scope: the customer,
    when, the responsible department, how it ended, the closing note and CSAT, days to resolve."""
    start = dt.datetime(fact.year, 1, 1, tzinfo=dt.UTC)
    end = min(dt.datetime(fact.year + 1, 1, 1, tzinfo=dt.UTC), _day_after(fact.as_of))
    query = (
        select(Ticket, Customer.code, Customer.name)
        .join(Customer, Customer.id == Ticket.customer_id)
        .where(
            Ticket.kind == TicketKind.COMPLAINT,
            Ticket.opened_at >= start,
            Ticket.opened_at < end,
            customer_filter(fact.principal),
        )
        .order_by(Ticket.opened_at, Ticket.id)
    )
    found = uow.session.execute(query).all()
    ids = [t.id for t, _code, _name in found]
    judged = set(
        uow.session.scalars(
            select(TicketStep.ticket_id).where(
                TicketStep.ticket_id.in_(ids), TicketStep.to_status == TicketStatus.JUDGED.value
            )
        )
    )
    closing = dict(
        uow.session.execute(
            select(TicketStep.ticket_id, TicketStep.note).where(
                TicketStep.ticket_id.in_(ids), TicketStep.to_status == TicketStatus.CLOSED.value
            )
        ).all()
    )
    csat = dict(
        uow.session.execute(
            select(Survey.code, Survey.csat).where(Survey.code.in_([f"ticket-{i}" for i in ids]))
        ).all()
    )
    rows, days = [], []
    for ticket, code, name in found:
        took = _days(ticket)
        if took is not None:
            days.append(took)
        rows.append(
            [
                code,
                name,
                ticket.tier or "—",
                as_utc(ticket.opened_at).date(),
                ticket.department or "—",
                outcome(ticket, ticket.id in judged),
                closing.get(ticket.id) or "—",
                csat.get(f"ticket-{ticket.id}"),
                took,
            ]
        )
    customers = len({r[0] for r in rows})
    notes = [
        _("{n} complaints from {customers} customers in {year}.").format(
            n=len(rows), customers=customers, year=fact.year
        )
    ]
    if days:
        notes.append(
            _(
                "Resolved in {mean:.1f} days on average (calendar days, opening to resolution)."
            ).format(mean=sum(days) / len(days))
        )
    report = Report(
        _("Complaints in {year} and how they ended").format(year=fact.year),
        [
            _("customer code"),
            _("customer"),
            _("tier"),
            _("opened"),
            _("responsible department"),
            _("how it ended"),
            _("closing note"),
            _("CSAT at closing"),
            _("days to resolve"),
        ],
        rows,
        notes,
    )
    return {"complaints": report}


def _day_after(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)


def _days(ticket: Ticket) -> float | None:
    """Calendar days from opening to resolution (an invalid complaint resolves when closed)."""
    if ticket.resolved_at is None:
        return None
    seconds = (as_utc(ticket.resolved_at) - as_utc(ticket.opened_at)).total_seconds()
    return round(seconds / DAY_SECONDS, 1)
