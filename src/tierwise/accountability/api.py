"""Owners and accountability over HTTP: staff, owners, tasks, accountability items, scorecards."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from tierwise.accountability import usecases
from tierwise.accountability.models import (
    AccountabilityItem,
    AssignmentReason,
    AssignmentRole,
    ItemKind,
    ItemStatus,
    ReasonCode,
    Task,
    TaskStatus,
)
from tierwise.accountability.reads import visible_scorecards
from tierwise.accountability.scorecard import period_bounds
from tierwise.customers.models import Customer
from tierwise.customers.scopes import customer_filter
from tierwise.identity.access import Principal
from tierwise.identity.roles import Permission
from tierwise.organisation.models import Staff, StaffLevel, StaffRole, TaskKind
from tierwise.web.deps import AppDep, UowDep, allowed, as_of_today
from tierwise.web.pagination import CursorQuery, LimitQuery, Page, page
from tierwise.web.problems import error_responses
from tierwise.web.types import RowId

router = APIRouter(tags=["owners and accountability"])
PERIOD = r"^20\d{2}-(0[1-9]|1[0-2]|Q[1-4])$"


class StaffOut(BaseModel):
    """A staff member who can own or serve customers."""

    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    role: StaffRole
    level: StaffLevel
    team: str | None
    capacity: int | None
    active: bool


class OwnerIn(BaseModel):
    """A new owner for a customer, and why."""

    staff: str = Field(min_length=1, max_length=64, examples=["S012"])
    reason: str = Field(min_length=1, max_length=500)
    force: bool = Field(default=False, description="exceed the owner's capacity")


class AssignmentOut(BaseModel):
    """An owner or dedicated CSR of the customer, from when to when, and why."""

    staff: str
    name: str
    role: AssignmentRole
    starts_on: dt.date
    ends_on: dt.date | None
    reason: AssignmentReason
    note: str | None
    author: str | None


class TaskOut(BaseModel):
    """Something an owner must do for a customer by a date."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: TaskKind
    status: TaskStatus
    opened_on: dt.date
    due_on: dt.date
    source: str
    note: str | None
    done_on: dt.date | None


class ItemOut(BaseModel):
    """A missed obligation or lost value traced to its owner."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: ItemKind
    status: ItemStatus
    raised_on: dt.date
    value_at_stake: Decimal | None
    detail: str
    reason_code: ReasonCode | None
    explanation: str | None
    reviewer: str | None
    review_note: str | None


class AnswerIn(BaseModel):
    """The owner's reason code and explanation."""

    reason: ReasonCode
    explanation: str = Field(min_length=1, max_length=5000)


class ReviewIn(BaseModel):
    """Accept the answer, or send it back with the action required."""

    accept: bool
    note: str | None = Field(default=None, max_length=5000)


class CardOut(BaseModel):
    """One owner's figures for a period (definitions in docs/accountability.md)."""

    code: str
    name: str
    team: str | None
    customers: int
    by_tier: dict[str, int]
    sales_12m: float
    profit: float
    clv: float
    up: int
    down: int
    churned: int
    lost_value: float
    compliance: float | None
    sla_compliance: float | None
    complaints: int
    mean_csat: float | None
    mean_nps: float | None
    referrals_won: int


@router.get("/staff", response_model=list[StaffOut], responses=error_responses(401, 403))
def staff(uow: UowDep, principal: Principal = allowed(Permission.STAFF_READ)) -> list[Staff]:
    """Everyone who can own or serve customers."""
    return list(uow.session.scalars(select(Staff).order_by(Staff.code)))


@router.put(
    "/customers/{code}/owner", status_code=204, responses=error_responses(401, 403, 404, 422)
)
def change_owner(
    code: str,
    body: OwnerIn,
    app: AppDep,
    uow: UowDep,
    principal: Principal = allowed(Permission.ASSIGNMENTS_WRITE),
) -> None:
    """Hand a customer to another owner (within capacity unless forced); history is kept."""
    usecases.change_owner(uow, principal, code, body.staff, body.reason, as_of_today(), body.force)
    uow.commit()


@router.get(
    "/customers/{code}/assignments",
    response_model=list[AssignmentOut],
    responses=error_responses(401, 403, 404),
)
def assignments(
    code: str, uow: UowDep, principal: Principal = allowed(Permission.CUSTOMERS_READ)
) -> list[dict[str, Any]]:
    """Every owner and dedicated CSR the customer has had, newest first."""
    return [
        {**{k: row[k] for k in AssignmentOut.model_fields if k in row}, "staff": row["code"]}
        for row in usecases.owners_of(uow, principal, code)
    ]


@router.get("/tasks", response_model=Page[TaskOut], responses=error_responses(401, 403, 422))
def tasks(
    uow: UowDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
    status: TaskStatus | None = TaskStatus.OPEN,
    overdue: bool = False,
    principal: Principal = allowed(Permission.TASKS_READ),
) -> dict[str, Any]:
    """Tasks for the customers your role may see, by id; `overdue` keeps those past due."""
    query = (
        select(Task)
        .join(Customer, Customer.id == Task.customer_id)
        .where(customer_filter(principal))
    )
    if status is not None:
        query = query.where(Task.status == status)
    if overdue:
        query = query.where(Task.due_on < as_of_today())
    rows, next_cursor = page(uow.session, query, Task.id, Task.id, False, cursor, limit)
    return {"items": rows, "next_cursor": next_cursor}


@router.post(
    "/tasks/{task_id}/done", response_model=TaskOut, responses=error_responses(401, 403, 404, 422)
)
def task_done(
    task_id: RowId, uow: UowDep, principal: Principal = allowed(Permission.TASKS_WRITE)
) -> Task:
    """Mark a task done by hand (obligations are done by logging the contact)."""
    task = usecases.finish_task(uow, principal, task_id, as_of_today())
    uow.commit()
    return task


@router.get(
    "/accountability-items", response_model=Page[ItemOut], responses=error_responses(401, 403, 422)
)
def accountability_items(
    uow: UowDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
    status: ItemStatus | None = None,
    kind: ItemKind | None = None,
    principal: Principal = allowed(Permission.ITEMS_READ),
) -> dict[str, Any]:
    """Accountability items for the customers your role may see, newest first."""
    query = select(AccountabilityItem).join(Customer, Customer.id == AccountabilityItem.customer_id)
    query = query.where(customer_filter(principal))
    if status is not None:
        query = query.where(AccountabilityItem.status == status)
    if kind is not None:
        query = query.where(AccountabilityItem.kind == kind)
    rows, next_cursor = page(
        uow.session, query, AccountabilityItem.id, AccountabilityItem.id, True, cursor, limit
    )
    return {"items": rows, "next_cursor": next_cursor}


@router.post(
    "/accountability-items/{item_id}/answer",
    response_model=ItemOut,
    responses=error_responses(401, 403, 404, 422),
)
def answer_item(
    item_id: RowId,
    body: AnswerIn,
    uow: UowDep,
    principal: Principal = allowed(Permission.ITEMS_ANSWER),
) -> AccountabilityItem:
    """The owner's answer: a reason code and an explanation."""
    item = usecases.answer_item(uow, principal, item_id, body.reason, body.explanation)
    uow.commit()
    return item


@router.post(
    "/accountability-items/{item_id}/review",
    response_model=ItemOut,
    responses=error_responses(401, 403, 404, 422),
)
def review_item(
    item_id: RowId,
    body: ReviewIn,
    uow: UowDep,
    principal: Principal = allowed(Permission.ITEMS_REVIEW),
) -> AccountabilityItem:
    """The manager accepts the answer or sends it back with the action required."""
    item = usecases.review_item(uow, principal, item_id, body.accept, body.note)
    uow.commit()
    return item


@router.get("/scorecards", response_model=list[CardOut], responses=error_responses(401, 403, 422))
def owner_scorecards(
    uow: UowDep,
    period: Annotated[str, Query(pattern=PERIOD, examples=["2026-10"])],
    principal: Principal = allowed(Permission.SCORECARDS_READ),
) -> list[dict[str, Any]]:
    """Scorecards for a month or quarter: your own, your team's, or everyone's, by role."""
    period_bounds(period)
    _all, cards = visible_scorecards(uow.connection, uow.session, principal, period, as_of_today())
    return [{name: getattr(card, name) for name in CardOut.model_fields} for card in cards]
