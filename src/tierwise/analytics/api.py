"""Recompute runs over HTTP: start one as of a date, list what has been computed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from tierwise.analytics.models import AnalyticsRun
from tierwise.analytics.params import AnalyticsParams
from tierwise.analytics.service import recompute
from tierwise.identity.access import Principal
from tierwise.identity.roles import Permission
from tierwise.tiering.service import TierStep
from tierwise.web.deps import AppDep, UowDep, allowed, release
from tierwise.web.problems import error_responses
from tierwise.web.types import IsoDate

router = APIRouter(tags=["recompute"])


class RunIn(BaseModel):
    """The date to compute every indicator and tier as of."""

    as_of: IsoDate = Field(examples=["2026-11-01"])


class RunOut(BaseModel):
    """A stored snapshot."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    as_of: dt.date
    engine: str
    time_unit: str
    customers: int
    headline: dict[str, Any]
    computed_at: dt.datetime


@router.get("/recompute-runs", response_model=list[RunOut], responses=error_responses(401, 403))
def runs(
    uow: UowDep, principal: Principal = allowed(Permission.REPORTS_READ)
) -> list[AnalyticsRun]:
    """Every snapshot, latest as-of first."""
    return list(uow.session.scalars(select(AnalyticsRun).order_by(AnalyticsRun.as_of.desc())))


@router.post(
    "/recompute-runs",
    response_model=RunOut,
    status_code=201,
    responses=error_responses(401, 403, 409, 422),
)
def start_run(
    body: RunIn, app: AppDep, uow: UowDep, principal: Principal = allowed(Permission.RECOMPUTE_RUN)
) -> AnalyticsRun:
    """Compute indicators, models and tiers as of a date (tiers only move forward in time)."""
    release(uow)
    result = recompute(
        app, body.as_of, AnalyticsParams(), "duckdb", None, (TierStep(),), principal.username
    )
    run = uow.session.get(AnalyticsRun, result.run_id)
    assert run is not None
    return run
