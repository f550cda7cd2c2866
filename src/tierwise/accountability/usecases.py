"""The jobs of owners and their managers, the same from the CLI, the API and the console: scope
and permission checked once, the change, the audit entry; the entry point commits."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tierwise.accountability import items
from tierwise.accountability.assignment import owners_history
from tierwise.accountability.models import AccountabilityItem, ReasonCode, Task
from tierwise.accountability.reads import visible
from tierwise.accountability.service import complete_task, set_owner
from tierwise.customers.scopes import visible_customer
from tierwise.db.session import UnitOfWork
from tierwise.identity.access import Principal, require
from tierwise.identity.audit import record
from tierwise.identity.roles import Permission
from tierwise.organisation.models import Staff


def change_owner(
    uow: UnitOfWork,
    principal: Principal,
    code: str,
    staff_code: str,
    reason: str,
    today: dt.date,
    force: bool = False,
    author: str | None = None,
) -> None:
    """Hand a customer in scope to another owner, within capacity unless forced; audited with
    the owner before and after."""
    require(principal, Permission.ASSIGNMENTS_WRITE)
    customer = visible_customer(uow.session, principal, code)
    before = uow.session.get(Staff, customer.owner_id) if customer.owner_id else None
    old_owner = before.code if before else None
    set_owner(uow, customer.code, staff_code, reason, author or principal.username, today, force)
    change = {"owner": [old_owner, staff_code]}
    note = reason.strip() or None
    record(uow.session, principal, "assign", "customer", customer.code, changes=change, note=note)


def owners_of(uow: UnitOfWork, principal: Principal, code: str) -> list[dict[str, Any]]:
    """Every owner and dedicated CSR a customer in scope has had, newest first."""
    customer = visible_customer(uow.session, principal, code)
    return [dict(row) for row in owners_history(uow.connection, customer.id)]


def finish_task(uow: UnitOfWork, principal: Principal, task_id: int, today: dt.date) -> Task:
    """Mark by hand a task of a customer in scope done; audited."""
    require(principal, Permission.TASKS_WRITE)
    visible(uow.session, principal, Task, task_id)
    task = complete_task(uow.session, task_id, today)
    record(uow.session, principal, "done", "task", str(task_id))
    return task


def answer_item(
    uow: UnitOfWork, principal: Principal, item_id: int, reason: ReasonCode, explanation: str
) -> AccountabilityItem:
    """The owner's reason and explanation for an item in scope, audited old → new."""
    require(principal, Permission.ITEMS_ANSWER)
    before = visible(uow.session, principal, AccountabilityItem, item_id).reason_code
    item = items.answer(uow.session, item_id, reason, explanation)
    change = {"reason": [before.value if before else None, reason.value]}
    record(uow.session, principal, "answer", "accountability_item", str(item_id), changes=change)
    return item


def review_item(
    uow: UnitOfWork,
    principal: Principal,
    item_id: int,
    accept: bool,
    note: str | None,
    author: str | None = None,
) -> AccountabilityItem:
    """The manager accepts an answer or sends it back with the action required; audited."""
    require(principal, Permission.ITEMS_REVIEW)
    visible(uow.session, principal, AccountabilityItem, item_id)
    item = items.review(uow.session, item_id, accept, author or principal.username, note)
    change = {"accepted": [None, accept]}
    record(uow.session, principal, "review", "accountability_item", str(item_id), changes=change)
    return item
