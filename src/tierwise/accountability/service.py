"""Use cases of the organisation: rules, the daily run, manual and bulk assignment, absences,
tasks and accountability items."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tierwise.accountability import assignment, items, tasks
from tierwise.accountability.models import (
    AccountabilityItem,
    AssignmentReason,
    ItemStatus,
    Task,
    TaskStatus,
)
from tierwise.customers.creation import CustomerCreated
from tierwise.customers.models import Customer
from tierwise.customers.service import get_customer
from tierwise.db.session import UnitOfWork
from tierwise.desk import queue, tickets, warnings
from tierwise.i18n import _
from tierwise.organisation.models import OrgPolicy, Staff, StaffAbsence, StaffRole
from tierwise.organisation.rules import load_rules
from tierwise.organisation.service import NoRules, active_rules
from tierwise.tiering.engine import active_policy
from tierwise.tiering.models import CustomerTier
from tierwise.tiering.regrade import TierChanged
from tierwise.tiering.rewards import grant_due


def apply_rules(uow: UnitOfWork, source: str, source_name: str, author: str | None) -> OrgPolicy:
    """Validate the rules against the active tier policy and make them the active version."""
    tier_policy = active_policy(uow.connection)
    codes = [t.code for t in tier_policy.policy.tiers] if tier_policy else None
    rules = load_rules(source, source_name, codes)
    latest = uow.session.scalar(select(func.max(OrgPolicy.version))) or 0
    table = OrgPolicy.__table__
    uow.connection.execute(update(table).where(table.c.active).values(active=False))
    row = OrgPolicy(
        version=latest + 1, name=rules.name, source=source, applied_by=author, active=True
    )
    uow.session.add(row)
    return row


@dataclass(frozen=True)
class DailyRan:
    """The daily run did its own work for `today`; what follows (notices) is wired by the root."""

    today: dt.date


@dataclass(frozen=True)
class DailyResult:
    """What one daily run did."""

    assigned: assignment.RunResult
    tasks: Counter[str]
    items: Counter[str]
    rewards: Counter[str] = field(default_factory=Counter)


def run_daily(
    uow: UnitOfWork, today: dt.date, timezone: str, author: str | None = None
) -> DailyResult:
    """Owners by the rules; the service desk follows tier changes, notes missed SLA clocks and
    warns staff of clocks running out; then tasks from cadence and events, then accountability
    items."""
    conn = uow.connection
    assignment.lock(conn)
    rules = active_rules(conn)
    assigned = assignment.run(conn, rules, today, author)
    calendar = tickets.calendar(rules, timezone)
    queue.follow_tiers(conn, rules)
    tickets.follow_tiers(conn, rules, calendar)
    noticed = dt.datetime.combine(today, dt.time(), dt.UTC)
    tickets.breaches(conn, noticed)
    warnings.raise_warnings(conn, rules, calendar, noticed)
    made = tasks.generate(conn, rules, today)
    raised = items.raise_items(conn, rules, today)
    granted = grant_due(uow, today, author)
    uow.happened(DailyRan(today))
    return DailyResult(assigned, made, raised, granted)


def owner_for_new_tier(uow: UnitOfWork, fact: TierChanged) -> dict[str, int]:
    """A customer whose tier moved between recomputes gets the owner and CSR its new tier's rules
    ask for at once, the old owner a hand-over task (the daily run finds nothing left to do)."""
    try:
        rules = active_rules(uow.connection)
    except NoRules:
        return {}
    moved = assignment.run(uow.connection, rules, fact.today, fact.author, only=fact.customer_id)
    return {"handovers": moved.handovers}


WINNERS = (StaffRole.ACCOUNT_MANAGER, StaffRole.SALES, StaffRole.MANAGER, StaffRole.AGENT)
"""Who wins customers: one of them adding a customer owns it (a CSR adding a caller does not)."""


def creator_owns_new_customer(uow: UnitOfWork, fact: CustomerCreated) -> dict[str, int]:
    """A customer added by someone who wins customers is theirs from today, on the assignment
    history like any owner; the tier's rules leave a prospect with whoever is winning it."""
    customer = uow.session.get(Customer, fact.customer_id)
    if fact.creator_staff_id is None or customer is None or customer.owner_id is not None:
        return {}
    person = assignment.staff(uow.connection, fact.today).get(fact.creator_staff_id)
    if person is None or not person.active or person.role not in WINNERS:
        return {}
    note = _("added the customer")
    assignment.move_owner(
        uow.connection,
        customer.id,
        None,
        person,
        fact.today,
        AssignmentReason.MANUAL,
        note,
        fact.author,
        0,
    )
    uow.session.expire(customer, ["owner_id"])
    return {"owner": person.id}


def _staff(session: Session, code: str) -> Staff:
    person = session.scalar(select(Staff).where(Staff.code == code))
    if person is None:
        raise LookupError(_("no staff member with code {code!r}").format(code=code))
    return person


def set_owner(
    uow: UnitOfWork,
    code: str,
    staff_code: str,
    reason: str,
    author: str,
    today: dt.date,
    force: bool,
) -> None:
    """Make a staff member a customer's owner by hand; refuses the unavailable or the full."""
    if not reason.strip():
        raise ValueError(_("a re-assignment needs a reason"))
    assignment.lock(uow.connection)
    rules = active_rules(uow.connection)
    customer = get_customer(uow.session, code)
    people = assignment.staff(uow.connection, today)
    new = people[_staff(uow.session, staff_code).id]
    if not new.active or new.absent:
        raise ValueError(_("{code} is inactive or away today").format(code=staff_code))
    tier = uow.session.get(CustomerTier, customer.id)
    rules_of = rules.for_tier(tier.tier if tier else None)
    weight = rules_of.weight if rules_of else 1.0
    new.load = assignment.load_of(uow.connection, rules, new.id)
    if not force and not new.room(weight):
        raise ValueError(
            _("{code} is at capacity ({load:g} of {capacity}); use --force to exceed it").format(
                code=staff_code, load=new.load, capacity=new.capacity
            )
        )
    old = people.get(customer.owner_id) if customer.owner_id else None
    assignment.move_owner(
        uow.connection,
        customer.id,
        old,
        new,
        today,
        AssignmentReason.MANUAL,
        reason.strip(),
        author,
        rules.handover_days,
    )


def move_all(
    uow: UnitOfWork,
    from_code: str,
    reason: str,
    author: str,
    today: dt.date,
    to_code: str | None = None,
    tier: str | None = None,
) -> tuple[int, int]:
    """Re-assign a person's customers (of a tier) to one person or by the rules, within capacity;
    returns how many moved and how many found nobody with room."""
    if not reason.strip():
        raise ValueError(_("a re-assignment needs a reason"))
    assignment.lock(uow.connection)
    rules = active_rules(uow.connection)
    source = _staff(uow.session, from_code)
    people = assignment.staff(uow.connection, today)
    for person in people.values():
        person.load = assignment.load_of(uow.connection, rules, person.id)
    c, ct = Customer.__table__, CustomerTier.__table__
    query = (
        select(c.c.id, ct.c.tier)
        .select_from(c.outerjoin(ct, ct.c.customer_id == c.c.id))
        .where(c.c.owner_id == source.id)
    )
    if tier:
        query = query.where(ct.c.tier == tier)
    moved = skipped = 0
    target = people[_staff(uow.session, to_code).id] if to_code else None
    people[source.id].active = False  # never back to the person being relieved
    turn: dict[str, int] = {}
    for customer_id, customer_tier in uow.connection.execute(query).all():
        tier_rules = rules.for_tier(customer_tier)
        weight = tier_rules.weight if tier_rules else 1.0
        new = target
        if new is None and tier_rules and tier_rules.owner:
            new = assignment.pick(people, tier_rules.owner, weight, customer_tier, turn)
        if new is None or not new.room(weight):
            skipped += 1
            continue
        assignment.move_owner(
            uow.connection,
            customer_id,
            people[source.id],
            new,
            today,
            AssignmentReason.BULK,
            reason.strip(),
            author,
            rules.handover_days,
        )
        new.load += weight
        moved += 1
    return moved, skipped


def add_absence(
    uow: UnitOfWork, code: str, starts: dt.date, ends: dt.date, reason: str | None
) -> None:
    """Record a period a staff member is away."""
    if ends < starts:
        raise ValueError(_("the absence ends before it starts"))
    person = _staff(uow.session, code)
    uow.session.add(StaffAbsence(staff_id=person.id, starts_on=starts, ends_on=ends, reason=reason))


def open_tasks(
    session: Session, staff_code: str | None, today: dt.date, overdue: bool
) -> list[Task]:
    """Open tasks, oldest due first; of one person, or only the overdue ones."""
    query = select(Task).where(Task.status == TaskStatus.OPEN).order_by(Task.due_on, Task.id)
    if staff_code:
        query = query.where(Task.staff_id == _staff(session, staff_code).id)
    if overdue:
        query = query.where(Task.due_on < today)
    return list(session.scalars(query.limit(500)))


def complete_task(session: Session, task_id: int, today: dt.date) -> Task:
    """Mark an open task done by hand (obligations are done by logging the contact)."""
    task = session.get(Task, task_id)
    if task is None or task.status != TaskStatus.OPEN:
        raise ValueError(_("no open task {id}").format(id=task_id))
    task.status = TaskStatus.DONE
    task.done_on = today
    return task


def list_items(
    session: Session, staff_code: str | None, status: ItemStatus | None
) -> list[AccountabilityItem]:
    """Accountability items, newest first."""
    query = select(AccountabilityItem).order_by(
        AccountabilityItem.raised_on.desc(), AccountabilityItem.id
    )
    if staff_code:
        query = query.where(AccountabilityItem.staff_id == _staff(session, staff_code).id)
    if status:
        query = query.where(AccountabilityItem.status == status)
    return list(session.scalars(query.limit(500)))
