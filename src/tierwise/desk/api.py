"""The service desk over HTTP: the tiered contact queue, callbacks, surveys and the day's report."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from tierwise.customers.models import Customer
from tierwise.customers.reads import audit_read
from tierwise.customers.scopes import customer_filter, only_customer, shown
from tierwise.customers.surveys import Survey
from tierwise.db.base import utcnow
from tierwise.desk import calls, queue
from tierwise.desk.report import report
from tierwise.identity.access import Principal
from tierwise.identity.roles import Permission
from tierwise.organisation.service import active_rules
from tierwise.web.deps import AppDep, UowDep, allowed
from tierwise.web.pagination import CursorQuery, LimitQuery, Page, page
from tierwise.web.problems import error_responses
from tierwise.web.types import IsoDate

router = APIRouter(tags=["service desk"])


class CallIn(BaseModel):
    """Someone calling: a customer code, a customer's or a contact's phone number."""

    caller: str = Field(min_length=1, max_length=64, examples=["13800138000"])


class Queued(BaseModel):
    """Where the call went: the contact id, the caller's tier and lane."""

    id: int
    customer: str | None
    tier: str | None
    lane: int = Field(description="0 green channel, 1 normal, 2 last")
    answer_seconds: int


class Taken(BaseModel):
    """The contact an agent answers next."""

    id: int
    customer: str | None
    tier: str | None
    arrived_at: dt.datetime


class Callback(BaseModel):
    """A callback owed, soonest first; the phone masked unless your role may read it."""

    id: int
    callback_due: dt.datetime
    code: str
    name: str
    phone: str | None
    tier: str | None


class SurveyOut(BaseModel):
    """An answered satisfaction survey: NPS, CSAT and the factor scores."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    answered_on: dt.date
    nps: int | None
    csat: int | None
    service_expected: int | None
    service_perceived: int | None


class ReportLine(BaseModel):
    """One tier in one interval: offered, answered within target, waits, callbacks."""

    tier: str
    interval: dt.datetime
    target: float
    answer_seconds: int
    offered: int
    answered: int
    within: int
    abandoned: int
    callbacks_due: int
    callbacks_on_time: int


@router.post(
    "/service/queue",
    response_model=Queued,
    status_code=201,
    responses=error_responses(401, 403, 404, 422),
)
def enqueue(
    body: CallIn,
    uow: UowDep,
    principal: Principal = allowed(Permission.QUEUE_WORK, Permission.QUEUE_ROUTE),
) -> dict[str, Any]:
    """Put a call in the queue: identified callers wait in their tier's lane and order. Calls
    the telephony side routes (`queue.route`) are identified among all customers and serve the
    customer to the agent who answers; a call queued by hand is identified only within the
    caller's own scope, and widens no one's."""
    contact_id, caller = queue.enqueue(
        uow.connection, active_rules(uow.connection), body.caller, utcnow(), principal
    )
    uow.commit()
    return {
        "id": contact_id,
        "customer": queue.visible_code(uow.connection, principal, caller.customer_id),
        "tier": caller.tier,
        "lane": caller.lane,
        "answer_seconds": caller.level.answer_seconds,
    }


@router.post(
    "/service/queue/take", response_model=Taken | None, responses=error_responses(401, 403, 422)
)
def take(
    uow: UowDep, principal: Principal = allowed(Permission.QUEUE_WORK)
) -> dict[str, Any] | None:
    """Answer the next contact (best lane, best tier, longest waiting); null when nobody waits."""
    row = calls.take_call(uow, principal, utcnow())
    uow.commit()
    if row is None:
        return None
    code = queue.visible_code(uow.connection, principal, row["customer_id"])  # type: ignore[arg-type]
    return {
        "id": row["id"],
        "customer": code,
        "tier": row["tier"] if code else None,
        "arrived_at": row["arrived_at"],
    }


@router.get(
    "/service/callbacks", response_model=list[Callback], responses=error_responses(401, 403)
)
def callbacks(
    uow: UowDep, principal: Principal = allowed(Permission.QUEUE_WORK)
) -> list[dict[str, Any]]:
    """Callbacks owed to the customers you may see, the soonest due first: for the desk, every
    callback due on a routed call."""
    rows = queue.callbacks_due(uow.connection, queue.openable(principal))
    audit_read(uow.session, principal, [str(r["code"]) for r in rows], ["phone"])
    uow.commit()
    return [
        {
            "id": r["id"],
            "callback_due": r["callback_due"],
            "code": r["code"],
            "name": r["name"],
            "phone": shown(principal, "phone", r["phone"]),
            "tier": r["tier"],
        }
        for r in rows
    ]


@router.get(
    "/surveys", response_model=Page[SurveyOut], responses=error_responses(401, 403, 404, 422)
)
def surveys(
    uow: UowDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
    customer: Annotated[str | None, Query(max_length=64)] = None,
    principal: Principal = allowed(Permission.SURVEYS_READ),
) -> dict[str, Any]:
    """Satisfaction surveys of the customers your role may see, newest first."""
    query = select(Survey).join(Customer, Customer.id == Survey.customer_id)
    query = query.where(customer_filter(principal))
    if customer is not None:
        query = query.where(only_customer(uow.session, principal, customer))
    rows, next_cursor = page(uow.session, query, Survey.id, Survey.id, True, cursor, limit)
    return {"items": rows, "next_cursor": next_cursor}


@router.get(
    "/service/report",
    response_model=list[ReportLine],
    responses=error_responses(401, 403, 404, 422),
)
def day_report(
    app: AppDep,
    uow: UowDep,
    date: Annotated[IsoDate, Query(description="the day, in the company's time zone")],
    hours: Annotated[int, Query(ge=1, le=24)] = 24,
    principal: Principal = allowed(Permission.REPORTS_READ),
) -> list[dict[str, Any]]:
    """Per tier and interval: offered, answered within the tier's target, abandoned, callbacks."""
    zone = ZoneInfo(app.settings.timezone)
    start = dt.datetime.combine(date, dt.time(), zone)
    lines = report(
        uow.connection, active_rules(uow.connection), start, start + dt.timedelta(days=1), hours
    )
    return [{k: getattr(line, k) for k in ReportLine.model_fields} for line in lines]
