"""Ticket views as a helpdesk has them — mine, my team's, unassigned, breaching soon, by tier and
status — read once here for the list page, the board, the API and the command line."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import or_, select

from tierwise.customers.models import Customer
from tierwise.customers.scopes import customer_filter, shown
from tierwise.db.base import as_utc
from tierwise.db.choices import Choice
from tierwise.db.session import UnitOfWork
from tierwise.desk import tickets
from tierwise.desk.calendar import Calendar
from tierwise.desk.models import Ticket
from tierwise.desk.usecases import Clock, clock_of
from tierwise.desk.workflow import TicketKind, TicketStatus, Urgency, urgency_of
from tierwise.i18n import N_, _
from tierwise.identity.access import Principal, require
from tierwise.identity.roles import Permission
from tierwise.organisation.models import Staff
from tierwise.organisation.service import active_rules
from tierwise.web.pagination import page

BREACHING_SHARE = 0.25
"""A clock is breaching soon when less than this share of its business-time target is left."""


class View(Choice):
    """Which tickets a list shows."""

    ALL = "all", "All tickets", "全部工单"
    MINE = "mine", "Mine", "我的"
    TEAM = "team", "My team's", "我团队的"
    UNASSIGNED = "unassigned", "Unassigned (the desk's queue)", "未分配（服务台队列）"
    BREACHING = "breaching", "Breaching soon", "即将超时"


@dataclass(frozen=True)
class TicketLine:
    """A ticket as lists show it: customer, assignee, priority in words, the clock most at risk."""

    ticket: Ticket
    customer_code: str
    customer_name: str
    assignee_code: str | None
    assignee: str | None
    urgency: Urgency
    clock: Clock | None
    share_left: float | None


def _at_risk(cal: Calendar, now: dt.datetime, t: Ticket) -> tuple[Clock | None, float | None]:
    """The unmet clock with the smallest share of its target left, and that share (none when
    both clocks are met or the ticket waits on the customer)."""
    if t.paused_since is not None or t.status is TicketStatus.CLOSED:
        return None, None
    worst: tuple[Clock | None, float | None] = (None, None)
    opened = as_utc(t.opened_at)
    for name, due, met in (
        (N_("First response"), t.first_response_due, t.first_response_at),
        (N_("Resolution"), t.resolution_due, t.resolved_at),
    ):
        if met is not None:
            continue
        clock = clock_of(cal, now, False, name, as_utc(due), None)
        target = max(cal.between(opened, as_utc(due)) - t.paused_seconds, 1.0)
        share = clock.left_seconds / target
        if worst[1] is None or share < worst[1]:
            worst = (clock, share)
    return worst


def ticket_view(
    uow: UnitOfWork,
    principal: Principal,
    zone: str,
    now: dt.datetime,
    view: View = View.ALL,
    status: TicketStatus | None = None,
    tier: str | None = None,
    kind: TicketKind | None = None,
    cursor: str | None = None,
    limit: int = 100,
) -> tuple[list[TicketLine], str | None]:
    """The tickets of a view in the principal's scope, most urgent first (open ones unless a
    status is asked for), with the cursor of the next page; `now` reads the clocks."""
    require(principal, Permission.TICKETS_READ)
    query = select(Ticket).join(Customer, Customer.id == Ticket.customer_id)
    query = query.where(customer_filter(principal))
    query = query.where(
        Ticket.status == status if status is not None else Ticket.status != TicketStatus.CLOSED
    )
    if tier:
        query = query.where(Ticket.tier == tier)
    if kind is not None:
        query = query.where(Ticket.kind == kind)
    if view is View.MINE:
        if principal.staff_id is None:
            raise ValueError(_("your user is not linked to a staff member, so nothing is yours"))
        query = query.where(Ticket.assignee_id == principal.staff_id)
    elif view is View.TEAM:
        if principal.team is None:
            raise ValueError(_("your user belongs to no team, so there is no team view"))
        team = select(Staff.id).where(Staff.team == principal.team)
        query = query.where(Ticket.assignee_id.in_(team))
    elif view is View.UNASSIGNED:
        query = query.where(Ticket.assignee_id.is_(None))
    elif view is View.BREACHING:
        query = query.where(
            Ticket.paused_since.is_(None),
            or_(Ticket.first_response_at.is_(None), Ticket.resolved_at.is_(None)),
        )
    found, next_cursor = page(uow.session, query, Ticket.priority, Ticket.id, False, cursor, limit)
    cal = tickets.calendar(active_rules(uow.connection), zone)
    customers = {
        row.id: row
        for row in uow.session.execute(
            select(Customer.id, Customer.code, Customer.name).where(
                Customer.id.in_({t.customer_id for t in found})
            )
        )
    }
    staff = {
        row.id: row
        for row in uow.session.execute(
            select(Staff.id, Staff.code, Staff.name).where(
                Staff.id.in_({t.assignee_id for t in found})
            )
        )
    }
    lines = []
    for t in found:
        clock, share = _at_risk(cal, now, t)
        if view is View.BREACHING and (share is None or share >= BREACHING_SHARE):
            continue
        customer, assignee = customers[t.customer_id], staff.get(t.assignee_id or 0)
        lines.append(
            TicketLine(
                ticket=t,
                customer_code=customer.code,
                customer_name=shown(principal, "name", customer.name),
                assignee_code=assignee.code if assignee else None,
                assignee=assignee.name if assignee else None,
                urgency=urgency_of(t.priority),
                clock=clock,
                share_left=share,
            )
        )
    return lines, next_cursor
