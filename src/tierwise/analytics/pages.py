"""Recompute from the console: start a run as of a date and follow its stages as they pass."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from tierwise.analytics.labels import stage_labels
from tierwise.analytics.models import AnalyticsRun
from tierwise.analytics.service import RECOMPUTE, Recomputes
from tierwise.i18n import _
from tierwise.identity.access import require
from tierwise.identity.roles import Permission
from tierwise.jobs.runner import JobRefused, latest_job
from tierwise.web.deps import AppDep, UowDep, release
from tierwise.web.pages import PagePrincipal, redirect_with
from tierwise.web.render import render
from tierwise.web.types import IsoDate

router = APIRouter(include_in_schema=False)
STAGES = ("extract", "indicators", "models", "rules", "tiers", "store")


@router.get("/recompute", response_class=HTMLResponse)
def recompute_page(
    request: Request, app: AppDep, uow: UowDep, principal: PagePrincipal
) -> HTMLResponse:
    """Recent snapshots, the form for a new one, and the last recompute job's stages, read from
    the job table so every server process shows the same."""
    require(principal, Permission.RECOMPUTE_RUN)
    runs = list(
        uow.session.scalars(select(AnalyticsRun).order_by(AnalyticsRun.as_of.desc()).limit(12))
    )
    job = latest_job(uow, RECOMPUTE)
    labels = stage_labels()
    passed = set(job.stages) if job else set()
    steps = [(labels[s], s in passed) for s in STAGES]
    as_of = dt.date.fromisoformat(job.arguments["as_of"]) if job else None
    today = dt.datetime.now(ZoneInfo(app.settings.timezone)).date()
    return render(
        request,
        "recompute.html",
        principal,
        runs=runs,
        job=job,
        as_of=as_of,
        steps=steps,
        today=today,
    )


@router.post("/recompute")
def start(
    request: Request,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    as_of: Annotated[IsoDate, Form()],
) -> RedirectResponse:
    """Start a recompute in the background unless one is running; tiers only move forward."""
    require(principal, Permission.RECOMPUTE_RUN)
    release(uow)  # the job's row is written in a unit of its own, which SQLite would make wait
    try:
        Recomputes.of(app).start(as_of, principal.username)
    except JobRefused as exc:
        return redirect_with(request, "/recompute", str(exc))
    return redirect_with(
        request, "/recompute", _("Recompute as of {day} started.").format(day=as_of)
    )
