"""Tickets as a signed-in user works them (API and console alike): within their scope, audited."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tierwise.accountability.service import active_rules
from tierwise.customers.models import Customer
from tierwise.db.base import utcnow
from tierwise.db.session import UnitOfWork
from tierwise.i18n import _
from tierwise.identity.access import Principal, customer_filter, visible_customer
from tierwise.identity.audit import record
from tierwise.service import tickets
from tierwise.service.queue_models import Ticket
from tierwise.service.workflow import TicketKind, TicketStatus


def visible_ticket(session: Session, principal: Principal, ticket_id: int) -> Ticket:
    """The ticket if its customer is in the principal's scope; others look as if absent."""
    ticket = session.scalar(
        select(Ticket)
        .join(Customer, Customer.id == Ticket.customer_id)
        .where(Ticket.id == ticket_id, customer_filter(principal))
    )
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
) -> int:
    """Open a request or complaint for a customer in scope; its clocks start now."""
    customer = visible_customer(uow.session, principal, customer_code)
    rules = active_rules(uow.connection)
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
    record(uow.session, principal, "create", "ticket", str(ticket_id))
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
) -> None:
    """Move a ticket in scope along its workflow; the audit keeps the old and new status."""
    before = visible_ticket(uow.session, principal, ticket_id).status.value
    cal = tickets.calendar(active_rules(uow.connection), zone)
    tickets.move(
        uow.connection, cal, ticket_id, to, utcnow(), principal.username, note, department, survey
    )
    change = {"status": [before, to.value]}
    record(uow.session, principal, "move", "ticket", str(ticket_id), changes=change)
