"""Recompute from the console: start a run as of a date and follow its stages as they pass."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass, field
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from tierwise.analytics.labels import stage_labels
from tierwise.analytics.models import AnalyticsRun
from tierwise.analytics.params import AnalyticsParams
from tierwise.analytics.service import recompute
from tierwise.bootstrap import App
from tierwise.i18n import _
from tierwise.identity.access import require
from tierwise.identity.roles import Permission
from tierwise.tiering.service import TierStep
from tierwise.web.deps import AppDep, UowDep
from tierwise.web.pages import PagePrincipal, redirect_with
from tierwise.web.render import render
from tierwise.web.types import IsoDate

router = APIRouter(include_in_schema=False)
STAGES = ("extract", "indicators", "models", "rules", "tiers", "store")


@dataclass
class Job:
    """The recompute this server process is running or ran last, for the progress page."""

    as_of: dt.date
    requested_by: str
    stages: list[str] = field(default_factory=list)
    done: bool = False
    error: str | None = None
    customers: int | None = None


JOBS: dict[str, Job] = {}  # one per database URL; a recompute at a time
LOCK = threading.Lock()


def _run(app: App, job: Job) -> None:
    """Run the recompute in the background, noting each stage as it starts."""
    try:
        result = recompute(
            app,
            job.as_of,
            AnalyticsParams(),
            "duckdb",
            job.stages.append,
            (TierStep(),),
            job.requested_by,
        )
        job.customers = result.customers
    except Exception as exc:  # the page shows what failed; the previous snapshot stays
        job.error = str(exc) or exc.__class__.__name__
    finally:
        job.done = True


@router.get("/recompute", response_class=HTMLResponse)
def recompute_page(
    request: Request, app: AppDep, uow: UowDep, principal: PagePrincipal
) -> HTMLResponse:
    """Recent snapshots, the form for a new one, and the progress of the running one."""
    require(principal, Permission.RECOMPUTE_RUN)
    runs = list(
        uow.session.scalars(select(AnalyticsRun).order_by(AnalyticsRun.as_of.desc()).limit(12))
    )
    job = JOBS.get(str(app.engine.url))
    labels = stage_labels()
    steps = [
        (
            labels[s],
            s in (job.stages if job else []),
        )
        for s in STAGES
    ]
    today = dt.datetime.now(ZoneInfo(app.settings.timezone)).date()
    return render(
        request, "recompute.html", principal, runs=runs, job=job, steps=steps, today=today
    )


@router.post("/recompute")
def start(
    request: Request, app: AppDep, principal: PagePrincipal, as_of: Annotated[IsoDate, Form()]
) -> RedirectResponse:
    """Start a recompute in the background unless one is running; tiers only move forward."""
    require(principal, Permission.RECOMPUTE_RUN)
    key = str(app.engine.url)
    with LOCK:
        running = JOBS.get(key)
        if running is not None and not running.done:
            return redirect_with(request, "/recompute", _("A recompute is running already."))
        job = JOBS[key] = Job(as_of=as_of, requested_by=principal.username)
    threading.Thread(target=_run, args=(app, job), daemon=True).start()
    return redirect_with(
        request, "/recompute", _("Recompute as of {day} started.").format(day=as_of)
    )
