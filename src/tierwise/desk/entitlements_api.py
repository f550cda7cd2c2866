"""Service entitlements over HTTP: what a customer has left this period, and using some."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tierwise.db.base import utcnow
from tierwise.desk import entitlements
from tierwise.identity.access import Principal
from tierwise.identity.roles import Permission
from tierwise.organisation.choices import EntitlementKind, EntitlementPeriod
from tierwise.web.deps import AppDep, UowDep, allowed
from tierwise.web.problems import error_responses
from tierwise.web.types import MAX_ID

router = APIRouter(tags=["service desk"])


class BalanceOut(BaseModel):
    """One entitlement of the customer's tier in the period running now."""

    kind: EntitlementKind
    per: EntitlementPeriod
    allowance: float
    used: float
    left: float
    period_end: dt.date = Field(description="the period's last day, in the company's time zone")


class UseIn(BaseModel):
    """So much of an entitlement used, on a ticket of the customer's or not."""

    kind: EntitlementKind
    amount: float = Field(gt=0, le=100_000, examples=[2])
    ticket_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    override_reason: str | None = Field(
        default=None,
        max_length=500,
        description="why to go beyond the allowance; without it such a use is refused (409)",
    )


class UseOut(BaseModel):
    """The use recorded and what is left of its kind."""

    id: int
    beyond_allowance: bool
    balance: BalanceOut | None = Field(description="none when the tier is not entitled to it")


def _balance(balance: entitlements.Balance) -> BalanceOut:
    """The answer's form of a balance."""
    return BalanceOut(
        kind=balance.kind,
        per=balance.per,
        allowance=balance.allowance,
        used=balance.used,
        left=balance.left,
        period_end=balance.period_end,
    )


@router.get(
    "/customers/{code}/entitlements",
    response_model=list[BalanceOut],
    responses=error_responses(401, 403, 404),
)
def entitlements_left(
    code: str,
    app: AppDep,
    uow: UowDep,
    principal: Principal = allowed(Permission.CUSTOMERS_READ),
) -> list[BalanceOut]:
    """What the customer's tier is entitled to in the periods running now: allowance, used,
    left, and the last day of each period."""
    found = entitlements.entitlements_left(uow, principal, app.settings.timezone, code)
    return [_balance(b) for b in found]


@router.post(
    "/customers/{code}/entitlements/uses",
    response_model=UseOut,
    status_code=201,
    responses=error_responses(401, 403, 404, 409, 422),
)
def use_entitlement(
    code: str,
    body: UseIn,
    app: AppDep,
    uow: UowDep,
    principal: Principal = allowed(Permission.TICKETS_WRITE),
) -> UseOut:
    """Record a use; beyond what is left (or a service the tier is not entitled to) it is
    refused with 409 unless `override_reason` says why, which the ledger and the audit keep."""
    used = entitlements.use_entitlement(
        uow,
        principal,
        app.settings.timezone,
        code,
        body.kind,
        body.amount,
        body.ticket_id,
        body.override_reason,
        utcnow(),
    )
    uow.commit()
    balance = _balance(used.balance) if used.balance else None
    return UseOut(id=used.use_id, beyond_allowance=used.beyond_allowance, balance=balance)
