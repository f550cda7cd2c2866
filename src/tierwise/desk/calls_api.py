"""The call in hand over HTTP: say who an unknown caller is, and wrap the call up."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tierwise.customers.choices import InteractionOutcome
from tierwise.db.base import utcnow
from tierwise.desk import calls
from tierwise.identity.access import Principal
from tierwise.identity.roles import Permission
from tierwise.web.deps import UowDep, allowed
from tierwise.web.problems import error_responses
from tierwise.web.types import IsoDateTime, RowId

router = APIRouter(tags=["service desk"])


class CallerIn(BaseModel):
    """The customer an unknown caller turned out to be."""

    customer: str = Field(min_length=1, max_length=64, examples=["C000127"])


class CallerOut(BaseModel):
    """The call with its customer and tier."""

    id: int
    customer: str
    tier: str | None


class ProspectIn(BaseModel):
    """The name of an unknown caller to add as a prospect with the number they called from."""

    name: str = Field(min_length=1, max_length=200, examples=["王先生"])


class WrapUpIn(BaseModel):
    """What came of the call, a memo, and when to follow up (a callback due then)."""

    outcome: InteractionOutcome
    memo: str | None = Field(default=None, max_length=2000)
    follow_up: IsoDateTime | None = None


class WrapUpOut(BaseModel):
    """The wrapped-up call and the owner's open tasks it did."""

    id: int
    tasks_done: int


@router.post(
    "/service/calls/{contact_id}/caller",
    response_model=CallerOut,
    responses=error_responses(401, 403, 404, 409, 422),
)
def attach_caller(
    contact_id: RowId,
    body: CallerIn,
    uow: UowDep,
    principal: Principal = allowed(Permission.QUEUE_WORK),
) -> dict[str, Any]:
    """Say who the unknown caller of a call in your hand is: a customer you may open."""
    answer = calls.attach_caller(uow, principal, contact_id, body.customer)
    uow.commit()
    return answer


@router.post(
    "/service/calls/{contact_id}/prospect",
    response_model=CallerOut,
    status_code=201,
    responses=error_responses(401, 403, 404, 409, 422),
)
def prospect_from_call(
    contact_id: RowId,
    body: ProspectIn,
    uow: UowDep,
    principal: Principal = allowed(Permission.QUEUE_WORK),
) -> dict[str, Any]:
    """Add the unknown caller of a call in your hand as a prospect with the number they called
    from; you serve them. A number another customer has gets 409."""
    answer = calls.prospect_from_call(uow, principal, contact_id, body.name)
    uow.commit()
    return answer


@router.post(
    "/service/calls/{contact_id}/wrap-up",
    response_model=WrapUpOut,
    responses=error_responses(401, 403, 404, 409, 422),
)
def wrap_up(
    contact_id: RowId,
    body: WrapUpIn,
    uow: UowDep,
    principal: Principal = allowed(Permission.QUEUE_WORK),
) -> dict[str, Any]:
    """Finish a call in your hand: the outcome and memo complete the customer's log entry, a
    follow-up becomes a callback; the owner's tasks the contact satisfies are done."""
    follow_up = body.follow_up.astimezone(dt.UTC) if body.follow_up else None
    done = calls.wrap_up(uow, principal, contact_id, body.outcome, body.memo, follow_up, utcnow())
    uow.commit()
    return {"id": contact_id, "tasks_done": done}
