"""The staffing page: agents needed per interval and tier against agents on duty, as a chart,
and the calls to expect per weekday × hour as a heat map."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from tierwise.desk.forecast import (
    DEFAULT_WEEKS,
    Forecast,
    forecast_calls,
    forecast_note,
    weekday_name,
)
from tierwise.desk.planning import StaffingPlan, plan_day, plan_source, roster_note
from tierwise.desk.report import calls_text, tier_name
from tierwise.desk.staffing import mm_ss
from tierwise.i18n import _
from tierwise.identity.access import require
from tierwise.identity.roles import Permission
from tierwise.web.deps import AppDep, UowDep
from tierwise.web.pages import PagePrincipal
from tierwise.web.render import render

router = APIRouter(include_in_schema=False)
INTERVALS = (1, 2, 4)  # hours an interval may last on the page


@router.get("/service/staffing", response_class=HTMLResponse)
def staffing_page(
    request: Request,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    date: str = "",
    hours: int = 1,
    weeks: int = DEFAULT_WEEKS,
) -> HTMLResponse:
    """The day's plan: what each tier needs alone, the pooled queue, and who is on duty; the
    forecast of the weeks before today beside it."""
    require(principal, Permission.QUEUE_WORK)
    zone = ZoneInfo(app.settings.timezone)
    today = app.settings.today()
    plan = plan_day(uow.connection, app.settings.timezone, date, today, hours, weeks)
    expected = forecast_calls(uow.connection, app.settings.timezone, today, weeks)
    return render(
        request,
        "staffing.html",
        principal,
        plan=plan,
        planned_day=plan.day,
        hours=plan.hours,
        intervals=INTERVALS,
        figure=_figure(plan, zone),
        rows=_rows(plan, zone),
        source=plan_source(plan),
        roster_note=roster_note(plan),
        weeks=expected.weeks_asked,
        forecast_note=forecast_note(expected),
        heat=_heat(expected),
        heat_rows=_heat_rows(expected),
    )


def _label(start: dt.datetime, zone: ZoneInfo) -> str:
    return f"{start.astimezone(zone):%H:%M}"


def _figure(plan: StaffingPlan, zone: ZoneInfo) -> dict[str, Any]:
    """Stacked bars of each tier's agents (Erlang A where its patience is known, else Erlang C),
    the pooled queue's agents as a line, and the agents on duty as a level."""
    x = [_label(i.start, zone) for i in plan.intervals]
    tiers = sorted({need.tier for i in plan.intervals for need in i.needs})
    bars = [
        {
            "type": "bar",
            "name": _("tier {tier} alone").format(tier=tier_name(tier)),
            "x": x,
            "y": [
                next(
                    (
                        n.erlang_a if n.erlang_a is not None else n.erlang_c
                        for n in i.needs
                        if n.tier == tier
                    ),
                    0,
                )
                for i in plan.intervals
            ],
        }
        for tier in tiers
    ]
    pooled = {
        "type": "scatter",
        "mode": "lines+markers",
        "name": _("all tiers in one queue"),
        "x": x,
        "y": [i.pooled for i in plan.intervals],
    }
    roster = {
        "type": "scatter",
        "mode": "lines+markers",
        "name": _("to roster"),
        "x": x,
        "y": [i.rostered for i in plan.intervals],
    }
    duty = {
        "type": "scatter",
        "mode": "lines",
        "name": _("on duty"),
        "x": x,
        "y": [plan.on_duty] * len(x),
        "line": {"dash": "dash"},
    }
    return {
        "data": [*bars, pooled, roster, duty],
        "layout": {
            "barmode": "stack",
            "xaxis": {"title": {"text": _("interval from")}},
            "yaxis": {"title": {"text": _("agents")}},
        },
    }


def _rows(plan: StaffingPlan, zone: ZoneInfo) -> list[list[str]]:
    """The plan as the table under the chart."""
    return [
        [
            _label(i.start, zone),
            tier_name(need.tier),
            calls_text(round(need.calls, 1)),
            "—" if need.patience_seconds is None else mm_ss(need.patience_seconds),
            str(need.erlang_c),
            "—" if need.erlang_a is None else str(need.erlang_a),
            str(i.pooled),
            str(i.rostered),
        ]
        for i in plan.intervals
        for need in i.needs
    ]


def _heat(expected: Forecast) -> dict[str, Any]:
    """The forecast as a heat map: weekdays down, hours across, expected calls as colour."""
    return {
        "data": [
            {
                "type": "heatmap",
                "x": [f"{hour:02d}:00" for hour in range(24)],
                "y": [weekday_name(day) for day in range(7)],
                "z": [[round(calls, 1) for calls in row] for row in expected.grid()],
                "colorscale": "YlOrRd",
                "reversescale": True,
                "colorbar": {"title": {"text": _("calls")}},
            }
        ],
        "layout": {
            "xaxis": {"title": {"text": _("hour")}},
            "yaxis": {"autorange": "reversed", "automargin": True},
        },
    }


def _heat_rows(expected: Forecast) -> list[list[str]]:
    """The forecast as the table under the heat map: one row per weekday and hour with calls."""
    return [
        [weekday_name(day), f"{hour:02d}:00", calls_text(round(calls, 1))]
        for day, row in enumerate(expected.grid())
        for hour, calls in enumerate(row)
        if calls
    ]
