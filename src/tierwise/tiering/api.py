"""Tiers over HTTP: a customer's tier with its explanation and history, policies, simulation."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from tierwise.analytics import profiling
from tierwise.analytics.service import indicators_of
from tierwise.db.base import plain
from tierwise.identity.access import Principal
from tierwise.identity.roles import Permission
from tierwise.tiering import service
from tierwise.tiering.simulate import distribution, simulate
from tierwise.web.deps import AppDep, UowDep, allowed, release
from tierwise.web.problems import error_responses
from tierwise.web.types import IsoDate

router = APIRouter(tags=["tiers"])


class CriterionOut(BaseModel):
    """One criterion as it applies to the customer: value, threshold, pass or fail, the gap."""

    text: str = Field(examples=["sales_12m >= 500000"])
    passed: bool
    value: Any = None
    threshold: Any = None
    gap: str | None = Field(default=None, examples=["+¥12,300 近12个月销售额"])


class TierCheckOut(BaseModel):
    """A tier's criteria for this customer."""

    tier: str
    name: str
    passed: bool
    criteria: list[CriterionOut]


class ExplanationOut(BaseModel):
    """Why the customer holds its tier and what the next tier up needs (服务升级规划)."""

    tier: str | None
    qualified: str
    basis: str = Field(examples=["value"])
    score: float | None
    as_of: dt.date
    policy_version: int
    since: dt.date | None
    below_since: dt.date | None = Field(
        default=None, description="below its tier since this date: a downgrade is pending"
    )
    below_count: int = 0
    checks: list[TierCheckOut]


class HistoryOut(BaseModel):
    """One tier the customer held, from when to when, and why."""

    tier: str
    effective_from: dt.date
    effective_to: dt.date | None
    reason: str
    policy_version: int | None
    author: str | None
    note: str | None


class PolicyIn(BaseModel):
    """A tier policy in TOML (docs/tiering.md), as the CLI's file would hold it."""

    source: str = Field(min_length=1, max_length=200_000, examples=['[[tiers]]\ncode = "A"\n…'])
    name: str = Field(default="api", min_length=1, max_length=200)


class PolicyOut(BaseModel):
    """A stored policy version."""

    model_config = ConfigDict(from_attributes=True)
    version: int
    name: str
    source: str
    applied_at: dt.datetime
    applied_by: str | None
    active: bool


class ShareOut(BaseModel):
    """Customers in a tier and its share of 12-month sales, profit and CLV; the line of tier
    "prospects" holds the prospects apart, with how many were graded into each tier."""

    tier: str
    customers: int
    sales_share: float | None
    profit_share: float | None
    clv_share: float | None
    grades: dict[str, int] = Field(default_factory=dict, examples=[{"A": 12, "B": 26}])


class DistributionOut(BaseModel):
    """Customers and value per tier as of the latest snapshot."""

    as_of: dt.date
    tiers: list[ShareOut]


class SimulationOut(BaseModel):
    """Tiers now and under the proposed policy, and who would move where."""

    as_of: dt.date
    current: list[ShareOut]
    proposed: list[ShareOut]
    moves: list[dict[str, Any]] = Field(description="from, to, customers")
    warnings: list[str] = Field(
        default_factory=list, description="what the policy allows but probably does not mean"
    )


class OverrideIn(BaseModel):
    """A tier set by hand: fixed, or a floor the customer can still rise above, with a reason."""

    tier: str = Field(min_length=1, max_length=16, examples=["A"])
    reason: str = Field(min_length=1, max_length=500, examples=["战略合作伙伴"])
    until: IsoDate | None = Field(default=None, description="the last day; default: no end")
    floor: bool = False


class TierNow(BaseModel):
    """The customer's tier after the change."""

    code: str
    tier: str


def _shares(shares: list[Any]) -> list[dict[str, Any]]:
    return [vars(s) for s in shares]


@router.get(
    "/customers/{code}/tier",
    response_model=ExplanationOut,
    responses=error_responses(401, 403, 404),
)
def explanation(
    code: str, uow: UowDep, principal: Principal = allowed(Permission.TIERS_READ)
) -> dict[str, Any]:
    """The customer's tier, each criterion of it and of the next tier up, and the gaps."""
    return service.tier_of(uow.session, principal, code)


@router.get(
    "/customers/{code}/tier-history",
    response_model=list[HistoryOut],
    responses=error_responses(401, 403, 404),
)
def tier_history(
    code: str, uow: UowDep, principal: Principal = allowed(Permission.TIERS_READ)
) -> list[dict[str, Any]]:
    """Every tier the customer held, newest first, with reason, author and policy version."""
    entries = service.tier_history_of(uow.session, principal, code)
    versions: dict[int | None, int] = {
        p.id: p.version for p in service.policy_versions(uow.session)
    }
    return [
        {
            "tier": e.row.tier,
            "effective_from": e.row.effective_from,
            "effective_to": e.effective_to,
            "reason": e.row.reason.value,
            "policy_version": versions.get(e.row.policy_id),
            "author": e.row.author,
            "note": e.row.note,
        }
        for e in entries
    ]


@router.post(
    "/customers/{code}/tier-override",
    response_model=TierNow,
    status_code=201,
    responses=error_responses(401, 403, 404, 422),
)
def override_tier(
    code: str,
    body: OverrideIn,
    app: AppDep,
    uow: UowDep,
    principal: Principal = allowed(Permission.TIERS_APPLY),
) -> dict[str, str]:
    """Set the customer's tier by hand; it applies at once, with what a tier change brings."""
    tier = service.override(
        uow, principal, code, body.tier, body.reason, app.settings.today(), body.until, body.floor
    )
    uow.commit()
    return {"code": code, "tier": tier}


@router.get(
    "/customers/{code}/indicators",
    response_model=dict[str, Any],
    responses=error_responses(401, 403, 404),
)
def indicators(
    code: str, uow: UowDep, principal: Principal = allowed(Permission.CUSTOMERS_READ)
) -> dict[str, Any]:
    """The customer's indicators as of the latest snapshot (definitions in docs/analytics.md);
    `not_profiled_reason` says why the profiling values are null, when they were withheld."""
    run, row = indicators_of(uow.session, principal, code)
    values = {c.name: plain(getattr(row, c.name)) for c in row.__table__.columns}
    return {**values, "as_of": str(run.as_of), "not_profiled_reason": profiling.reason(row)}


@router.get("/tiers/policy", response_model=PolicyOut, responses=error_responses(401, 403, 404))
def active_policy(uow: UowDep, principal: Principal = allowed(Permission.TIERS_READ)) -> Any:
    """The tier policy in force."""
    row, _ = service.policy_version(uow.session)
    return row


@router.get("/tiers/policies", response_model=list[PolicyOut], responses=error_responses(401, 403))
def policies(uow: UowDep, principal: Principal = allowed(Permission.TIERS_READ)) -> Any:
    """Every policy version ever applied."""
    return service.policy_versions(uow.session)


@router.post(
    "/tiers/policies",
    response_model=PolicyOut,
    status_code=201,
    responses=error_responses(401, 403, 422),
)
def apply_policy(
    body: PolicyIn, app: AppDep, uow: UowDep, principal: Principal = allowed(Permission.TIERS_APPLY)
) -> Any:
    """Check and apply a policy; it grades customers from the next recompute on."""
    row = service.apply_policy(uow, principal, body.source, body.name)
    uow.commit()
    return row


@router.post(
    "/tiers/simulate", response_model=SimulationOut, responses=error_responses(401, 403, 404, 422)
)
def simulate_policy(
    body: PolicyIn,
    app: AppDep,
    uow: UowDep,
    principal: Principal = allowed(Permission.TIERS_SIMULATE),
) -> dict[str, Any]:
    """Grade the latest snapshot under a proposed policy; nothing is written."""
    release(uow)
    result = simulate(app, body.source, body.name)
    moves = [
        {"from": old, "to": new, "customers": n}
        for (old, new), n in sorted(result.matrix.items())
        if n
    ]
    return {
        "as_of": result.as_of,
        "current": _shares(result.current),
        "proposed": _shares(result.proposed),
        "moves": moves,
        "warnings": list(result.policy.warnings),
    }


@router.get(
    "/tiers/distribution", response_model=DistributionOut, responses=error_responses(401, 403, 404)
)
def tier_distribution(
    app: AppDep, uow: UowDep, principal: Principal = allowed(Permission.REPORTS_READ)
) -> Any:
    """Customers and value shares per tier (an aggregate: no one customer is shown)."""
    release(uow)
    _policy, shares, as_of = distribution(app)
    return {"as_of": as_of, "tiers": _shares(shares)}
