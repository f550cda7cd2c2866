"""Analytics in the console: start a recompute and follow its stages as they pass; read the
customer composition report and take it away as a workbook."""

from __future__ import annotations

import datetime as dt
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from tierwise.analytics.composition import Composition, composition
from tierwise.analytics.export import export_reports
from tierwise.analytics.labels import stage_labels, value_label
from tierwise.analytics.models import AnalyticsRun
from tierwise.analytics.reports import Report
from tierwise.analytics.service import RECOMPUTE, NoSnapshot, Recomputes, latest_run
from tierwise.i18n import _
from tierwise.identity.access import Principal, require
from tierwise.identity.roles import Permission
from tierwise.jobs.runner import JobRefused, latest_job
from tierwise.web.deps import AppDep, UowDep, release
from tierwise.web.pages import PagePrincipal, redirect_with
from tierwise.web.render import day, money, number, percent, render
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


YearQuery = Annotated[int | None, Query(ge=1900, le=9999)]
TopQuery = Annotated[int, Query(ge=1, le=500)]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cells(report: Report) -> list[list[str]]:
    """A report's rows as the page shows them: money, counts, shares and dates in the reader's
    conventions, stored codes by their labels."""

    def cell(column: int, value: Any) -> str:
        if column in report.percent:
            return percent(value)
        if isinstance(value, Decimal):
            return money(value)
        if isinstance(value, int | float):
            return number(value, 0 if isinstance(value, int) else 1)
        if isinstance(value, dt.date):
            return day(value)
        return "—" if value is None else value_label(value)

    return [[cell(i, v) for i, v in enumerate(row)] for row in report.rows]


def _composition(uow: Any, principal: Principal, year: int | None, top: int) -> Composition:
    require(principal, Permission.REPORTS_READ)
    return composition(uow, principal, latest_run(uow.session), year, top)


@router.get("/composition", response_class=HTMLResponse)
def composition_page(
    request: Request,
    uow: UowDep,
    principal: PagePrincipal,
    year: YearQuery = None,
    top: TopQuery = 10,
) -> HTMLResponse:
    """Who the biggest customers are, who was lost, who complained, and each tier's spend,
    mix and margin, in the reader's scope; the tiers over the whole company."""
    try:
        report = _composition(uow, principal, year, top)
    except NoSnapshot as exc:
        return render(request, "composition.html", principal, report=None, error=str(exc), top=top)
    sections = [(r, cells(r)) for r in report.sections]
    return render(request, "composition.html", principal, report=report, sections=sections, top=top)


@router.get("/composition.xlsx")
def composition_workbook(
    uow: UowDep, principal: PagePrincipal, year: YearQuery = None, top: TopQuery = 10
) -> Response:
    """The composition report as a workbook, one sheet a section; who took it is audited."""
    report = _composition(uow, principal, year, top)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"composition-{report.year}.xlsx"
        export_reports(uow, principal, "composition", report.sections, path)
        content = path.read_bytes()
    uow.commit()
    disposition = f'attachment; filename="composition-{report.year}.xlsx"'
    return Response(content, media_type=XLSX, headers={"Content-Disposition": disposition})
