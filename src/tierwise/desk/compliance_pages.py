"""The SLA compliance page per agent or team over a period, and its CSV download."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from tierwise.desk.compliance import (
    ComplianceReport,
    as_csv,
    cells,
    compliance,
    groupings,
    headers,
    period_of,
)
from tierwise.web.deps import AppDep, UowDep
from tierwise.web.pages import PagePrincipal
from tierwise.web.render import render

router = APIRouter(include_in_schema=False)
FromQuery = Annotated[str, Query(alias="from", description="first day, YYYY-MM-DD")]
ToQuery = Annotated[str, Query(alias="to", description="last day, YYYY-MM-DD")]


def _report(
    app: AppDep, uow: UowDep, principal: PagePrincipal, first: str, last: str, by: str
) -> ComplianceReport:
    """The figures the page and its download show, from the one use case."""
    return compliance(
        uow.connection,
        principal,
        app.settings.timezone,
        period_of(first, last, app.settings.today()),
        by,
        dt.datetime.now(dt.UTC),
    )


@router.get("/service/compliance", response_class=HTMLResponse)
def compliance_page(
    request: Request,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    first: FromQuery = "",
    last: ToQuery = "",
    by: str = "agent",
) -> HTMLResponse:
    """Who kept the first-response, resolution and answer targets; a bad period stays in the
    form with its reason."""
    form = {"first": first, "last": last, "by": by}
    try:
        found = _report(app, uow, principal, first, last, by)
    except ValueError as exc:
        return render(
            request,
            "compliance.html",
            principal,
            422,
            report=None,
            error=str(exc),
            form=form,
            choices=groupings(principal),
        )
    form = {"first": found.first.isoformat(), "last": found.last.isoformat(), "by": found.by}
    return render(
        request,
        "compliance.html",
        principal,
        report=found,
        form=form,
        choices=groupings(principal),
        columns=headers(found.by),
        rows=cells(found),
    )


@router.get("/service/compliance.csv")
def compliance_download(
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    first: FromQuery = "",
    last: ToQuery = "",
    by: str = "agent",
) -> Response:
    """The page's figures as CSV, headers in the reader's language (a spreadsheet opens it)."""
    found = _report(app, uow, principal, first, last, by)
    name = f"sla-compliance-{found.by}-{found.first}-{found.last}.csv"
    return Response(
        as_csv(found).encode("utf-8-sig"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
