"""Who works a ticket and what is said on it: assignment to a person or the queue, comments."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from tierwise.customers.models import Customer
from tierwise.customers.scopes import customer_filter
from tierwise.db.session import UnitOfWork
from tierwise.desk.models import TicketComment
from tierwise.desk.usecases import visible_ticket
from tierwise.i18n import _
from tierwise.identity.access import Principal, require
from tierwise.identity.accounts import principal_for
from tierwise.identity.audit import record
from tierwise.identity.models import User
from tierwise.identity.roles import Permission
from tierwise.organisation.models import Staff, StaffRole

WORKERS = (StaffRole.MANAGER, StaffRole.ACCOUNT_MANAGER, StaffRole.CSR, StaffRole.SALES)
"""Roles of staff who work tickets; agents and distributors are outside the company's desk."""

COMMENT_LENGTH = 2000


def workers(session: Session) -> list[Staff]:
    """The active staff a ticket can be assigned to, by name."""
    query = select(Staff).where(Staff.active.is_(True), Staff.role.in_(WORKERS))
    return list(session.scalars(query.order_by(Staff.name, Staff.code)))


def find_worker(session: Session, who: str) -> Staff:
    """The active staff member who works tickets, by staff code or by their user's name."""
    linked = select(User.staff_id).where(User.username == who)
    staff = session.scalar(select(Staff).where(or_(Staff.code == who, Staff.id.in_(linked))))
    if staff is None:
        raise ValueError(_("assignee: no staff member or user {who}").format(who=who))
    if not staff.active or staff.role not in WORKERS:
        raise ValueError(
            _(
                "{name} ({code}) does not work tickets: only active managers, account managers, "
                "customer service representatives and sales staff do"
            ).format(name=staff.name, code=staff.code)
        )
    return staff


def assign_ticket(
    uow: UnitOfWork, principal: Principal, ticket_id: int, to: str | None
) -> Staff | None:
    """Give a ticket in scope to a staff member who works tickets (`to`: staff code or user
    name), or back to the desk's queue (`to` None); audited with the old and new assignee."""
    require(principal, Permission.TICKETS_WRITE)
    session = uow.session
    ticket = visible_ticket(session, principal, ticket_id)
    staff = find_worker(session, to) if to is not None else None
    if staff is not None:
        _check_sees(session, staff, ticket.customer_id)
    before = session.get(Staff, ticket.assignee_id) if ticket.assignee_id else None
    if (before and before.id) == (staff and staff.id):
        return staff
    ticket.assignee_id = staff.id if staff else None
    change = {"assignee": [before.code if before else None, staff.code if staff else None]}
    record(session, principal, "assign", "ticket", str(ticket_id), changes=change)
    return staff


def _check_sees(session: Session, staff: Staff, customer_id: int) -> None:
    """Refuse an assignee whose own scope does not hold the ticket's customer: they could not
    open the work they were given."""
    user = session.scalar(select(User).where(User.staff_id == staff.id, User.active.is_(True)))
    if user is None:
        return  # no sign-in: nothing to open, the desk's lists show it to no one else
    theirs = principal_for(session, user, "assignee")
    held = session.scalar(
        select(Customer.id).where(Customer.id == customer_id, customer_filter(theirs))
    )
    if held is None:
        raise ValueError(
            _("{name} ({code}) cannot open this customer's file, so cannot work its ticket").format(
                name=staff.name, code=staff.code
            )
        )


def comment_on(
    uow: UnitOfWork,
    principal: Principal,
    ticket_id: int,
    body: str,
    internal: bool,
    now: dt.datetime,
) -> TicketComment:
    """Add a reply for the customer or an internal note to a ticket in scope, audited."""
    require(principal, Permission.TICKETS_WRITE)
    visible_ticket(uow.session, principal, ticket_id)
    text = body.strip()
    if not text:
        raise ValueError(_("a comment needs some text"))
    if len(text) > COMMENT_LENGTH:
        raise ValueError(
            _("a comment is at most {most} characters; this one has {n}").format(
                most=COMMENT_LENGTH, n=len(text)
            )
        )
    comment = TicketComment(
        ticket_id=ticket_id, author=principal.username, at=now, body=text, internal=internal
    )
    uow.session.add(comment)
    uow.session.flush()
    record(uow.session, principal, "comment", "ticket", str(ticket_id))
    return comment


def comments_of(session: Session, principal: Principal, ticket_id: int) -> list[TicketComment]:
    """A ticket's comments in scope, oldest first."""
    require(principal, Permission.TICKETS_READ)
    visible_ticket(session, principal, ticket_id)
    query = select(TicketComment).where(TicketComment.ticket_id == ticket_id)
    return list(session.scalars(query.order_by(TicketComment.at, TicketComment.id)))
