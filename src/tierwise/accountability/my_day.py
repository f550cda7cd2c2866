"""My day: what a person has to do today, on their own customers, in business words; for those
who review others' work, the team's overdue tasks and the answers waiting, per person."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, select

from tierwise.accountability.models import AccountabilityItem, ItemStatus, Task, TaskStatus
from tierwise.customers.models import Customer
from tierwise.db.base import as_utc
from tierwise.db.session import UnitOfWork
from tierwise.desk import queue
from tierwise.desk.models import Ticket
from tierwise.desk.workflow import TicketKind, TicketStatus
from tierwise.i18n import _, current_language
from tierwise.identity.access import Principal, require
from tierwise.identity.roles import Permission
from tierwise.organisation.models import Staff, TaskKind
from tierwise.tiering.models import CustomerTier, TierEvent, TierEventKind, TierReason

RECENT_DAYS = 7
"""How far back a tier change or a complaint still counts as news."""
SHOWN = 100
"""At most this many rows per list."""


@dataclass(frozen=True)
class DueTask:
    """A task as its doer reads it: for which customer, what, by when, how late."""

    id: int
    code: str
    name: str
    what: str
    due_on: dt.date
    days_late: int
    person_id: int | None


@dataclass(frozen=True)
class Line:
    """One row about a customer: what happened or is waiting, worded, and when."""

    code: str
    name: str
    what: str
    when: dt.date | dt.datetime | None
    ticket: int | None = None
    person_id: int | None = None


@dataclass(frozen=True)
class PersonsWork:
    """The rows of one member of the team."""

    person: str
    rows: list[DueTask | Line]


@dataclass
class MyDay:
    """Every list of the day; None where the reader's role does not do that work."""

    today: dt.date
    tasks: list[DueTask] | None = None
    callbacks: list[Line] = field(default_factory=list)
    to_answer: list[Line] | None = None
    tier_news: list[Line] | None = None
    complaints: list[Line] | None = None
    team_overdue: list[PersonsWork] | None = None
    to_review: list[PersonsWork] | None = None


def my_day(uow: UnitOfWork, principal: Principal, now: dt.datetime, zone: str) -> MyDay:
    """Gather the reader's day at `now` (the day as the company's clock reads it), every list
    within the customers the reader may open."""
    require(principal, Permission.INTERACTIONS_WRITE)
    today = now.astimezone(ZoneInfo(zone)).date()
    mine = queue.openable(principal)
    day = MyDay(today, callbacks=_callbacks(uow, mine, today, ZoneInfo(zone)))
    if principal.can(Permission.TASKS_READ):
        day.tasks = _tasks(
            uow, mine, today, Task.due_on <= today, Task.staff_id == principal.staff_id
        )
    if principal.can(Permission.ITEMS_READ):
        day.to_answer = _items(
            uow, mine, [ItemStatus.OPEN, ItemStatus.ACTION_REQUIRED], me=principal
        )
    if principal.can(Permission.TIERS_READ):
        day.tier_news = _tier_news(uow, mine, today)
    if principal.can(Permission.TICKETS_READ):
        day.complaints = _complaints(uow, mine, now)
    if principal.can(Permission.ITEMS_REVIEW):
        day.team_overdue = _per_person(uow, _tasks(uow, mine, today, Task.due_on < today))
        day.to_review = _per_person(uow, _items(uow, mine, [ItemStatus.ANSWERED], me=None))
    return day


def _names(uow: UnitOfWork, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """Customers' codes and names by id."""
    rows = uow.session.execute(
        select(Customer.id, Customer.code, Customer.name).where(Customer.id.in_(set(ids)))
    ).all()
    return {row.id: (row.code, row.name) for row in rows}


def _tasks(
    uow: UnitOfWork, mine: ColumnElement[bool], today: dt.date, *which: ColumnElement[bool]
) -> list[DueTask]:
    """Open tasks on the reader's customers that `which` keeps, the longest overdue first."""
    query = (
        select(Task)
        .join(Customer, Customer.id == Task.customer_id)
        .where(mine, Task.status == TaskStatus.OPEN, *which)
    )
    rows = list(uow.session.scalars(query.order_by(Task.due_on, Task.id).limit(SHOWN)))
    names, lang = _names(uow, (t.customer_id for t in rows)), current_language()
    return [
        DueTask(
            t.id,
            *names[t.customer_id],
            " · ".join(filter(None, [TaskKind(t.kind).label(lang), t.note])),
            t.due_on,
            max((today - t.due_on).days, 0),
            t.staff_id,
        )
        for t in rows
    ]


def _callbacks(
    uow: UnitOfWork, mine: ColumnElement[bool], today: dt.date, zone: ZoneInfo
) -> list[Line]:
    """Callbacks not yet made that fall due by the end of today."""
    tonight = dt.datetime.combine(today + dt.timedelta(days=1), dt.time(), zone)
    lines: list[Line] = []
    for c in queue.callbacks_due(uow.connection, mine):  # the soonest first
        due = as_utc(c["callback_due"])  # type: ignore[arg-type]
        if due >= tonight or len(lines) == SHOWN:
            break
        lines.append(Line(str(c["code"]), str(c["name"]), _("call back"), due))
    return lines


def _items(
    uow: UnitOfWork, mine: ColumnElement[bool], statuses: list[ItemStatus], me: Principal | None
) -> list[Line]:
    """Accountability items in these states: the reader's own, or everyone's in scope."""
    query = (
        select(AccountabilityItem)
        .join(Customer, Customer.id == AccountabilityItem.customer_id)
        .where(mine, AccountabilityItem.status.in_(statuses))
    )
    if me is not None:
        query = query.where(AccountabilityItem.staff_id == me.staff_id)
    rows = list(uow.session.scalars(query.order_by(AccountabilityItem.raised_on).limit(SHOWN)))
    names, lang = _names(uow, (i.customer_id for i in rows)), current_language()
    return [
        Line(
            *names[i.customer_id],
            f"{i.kind.label(lang)}: {i.detail}",
            i.raised_on,
            None,
            i.staff_id,
        )
        for i in rows
    ]


def _tier_news(uow: UnitOfWork, mine: ColumnElement[bool], today: dt.date) -> list[Line]:
    """Customers whose tier changed in the last week, and those warned of a coming downgrade
    who still stand in the tier they would leave."""
    since = today - dt.timedelta(days=RECENT_DAYS)
    changed = TierEvent.kind == TierEventKind.TIER_CHANGED
    warned = (TierEvent.kind == TierEventKind.DOWNGRADE_AT_RISK) & (
        CustomerTier.tier == TierEvent.previous_tier
    )
    rows = uow.session.execute(
        select(TierEvent, Customer.code, Customer.name)
        .join(Customer, Customer.id == TierEvent.customer_id)
        .join(CustomerTier, CustomerTier.customer_id == Customer.id)
        .where(mine)
        .where(
            (changed & (TierEvent.occurs_on > since) & (TierEvent.occurs_on <= today))
            | (warned & (TierEvent.occurs_on >= today))
        )
        .order_by(TierEvent.occurs_on, TierEvent.id)
    ).all()
    lines: dict[tuple[str, TierEventKind], Line] = {}
    for event, code, name in rows:
        lines[(code, event.kind)] = Line(code, name, _tier_words(event), event.occurs_on)
    return list(lines.values())[:SHOWN]


def _tier_words(event: TierEvent) -> str:
    """A tier event as a sentence."""
    if event.kind == TierEventKind.DOWNGRADE_AT_RISK:
        return _("at risk: goes down from {old} to {new} unless its value recovers").format(
            old=event.previous_tier, new=event.tier
        )
    reason = TierReason(event.reason).label(current_language()) if event.reason else ""
    moved = _("tier changed from {old} to {new}").format(
        old=event.previous_tier or _("no tier"), new=event.tier
    )
    return f"{moved} ({reason})" if reason else moved


def _complaints(uow: UnitOfWork, mine: ColumnElement[bool], now: dt.datetime) -> list[Line]:
    """Complaint tickets opened on the reader's customers in the last week, newest first."""
    since = now - dt.timedelta(days=RECENT_DAYS)
    rows = uow.session.execute(
        select(Ticket, Customer.code, Customer.name)
        .join(Customer, Customer.id == Ticket.customer_id)
        .where(mine, Ticket.kind == TicketKind.COMPLAINT, Ticket.opened_at >= since)
        .order_by(Ticket.opened_at.desc())
        .limit(SHOWN)
    ).all()
    lang = current_language()
    return [
        Line(
            code,
            name,
            f"{ticket.subject} · {TicketStatus(ticket.status).label(lang)}",
            ticket.opened_at,
            ticket.id,
        )
        for ticket, code, name in rows
    ]


def _per_person(uow: UnitOfWork, rows: list[DueTask] | list[Line]) -> list[PersonsWork]:
    """Rows grouped by the person they are for, people by name."""
    groups: dict[int | None, list[DueTask | Line]] = {}
    for row in rows:
        groups.setdefault(row.person_id, []).append(row)
    ids = [p for p in groups if p is not None]
    names = dict(uow.session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(ids))).all())
    work = [
        PersonsWork(names.get(person, _("nobody")) if person else _("nobody"), found)
        for person, found in groups.items()
    ]
    return sorted(work, key=lambda w: w.person)
