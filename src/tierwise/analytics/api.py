"""Recompute runs over HTTP: start one as of a date, list what has been computed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from tierwise.analytics.models import AnalyticsRun
from tierwise.analytics.service import RECOMPUTE, Recomputes
from tierwise.i18n import _
from tierwise.identity.access import Principal
from tierwise.identity.roles import Permission
from tierwise.jobs.models import Job, JobStatus
from tierwise.web.deps import AppDep, UowDep, allowed, release
from tierwise.web.problems import error_responses
from tierwise.web.types import IsoDate, RowId

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
    """Compute indicators, models and tiers as of a date (tiers only move forward in time); 409
    while another recompute runs, its stages readable at /recompute-jobs meanwhile."""
    release(uow)
    result = Recomputes.of(app).run(body.as_of, principal.username)
    run = uow.session.get(AnalyticsRun, result.run_id)
    assert run is not None
    return run


class JobOut(BaseModel):
    """A recompute job as the job table holds it: stages passed, how it ended."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    status: JobStatus
    arguments: dict[str, Any]
    requested_by: str | None
    stage: str | None
    stages: list[str]
    requested_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    error: str | None
    result: dict[str, Any] | None


@router.get("/recompute-jobs", response_model=list[JobOut], responses=error_responses(401, 403))
def jobs(uow: UowDep, principal: Principal = allowed(Permission.RECOMPUTE_RUN)) -> list[Job]:
    """The latest recompute jobs, whichever server process runs or ran them, newest first."""
    query = select(Job).where(Job.kind == RECOMPUTE).order_by(Job.id.desc()).limit(20)
    return list(uow.session.scalars(query))


@router.get(
    "/recompute-jobs/{job_id}", response_model=JobOut, responses=error_responses(401, 403, 404)
)
def job(
    job_id: RowId, uow: UowDep, principal: Principal = allowed(Permission.RECOMPUTE_RUN)
) -> Job:
    """One recompute job: its stages so far, or how it ended."""
    found = uow.session.get(Job, job_id)
    if found is None or found.kind != RECOMPUTE:
        raise LookupError(_("there is no recompute job {id}").format(id=job_id))
    return found
