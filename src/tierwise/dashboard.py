"""The dashboard: the shape of the customer base at a glance, each chart with its numbers."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import Connection, func, select

from tierwise.analytics.labels import value_label
from tierwise.analytics.models import AnalyticsRun, CustomerIndicator
from tierwise.analytics.reports import build
from tierwise.analytics.service import latest_run
from tierwise.analytics.verdict import when_tiering_pays
from tierwise.customers.models import Customer
from tierwise.customers.scopes import customer_filter
from tierwise.db.base import as_utc
from tierwise.desk.models import QueueContact, Ticket
from tierwise.desk.report import report, tier_name
from tierwise.desk.workflow import TicketKind, TicketStatus
from tierwise.i18n import N_, _, current_language
from tierwise.identity.access import Principal
from tierwise.identity.roles import Permission, RowScope
from tierwise.organisation.service import active_rules
from tierwise.tiering.grading import PROSPECTS
from tierwise.tiering.models import CustomerTier, TierEvent, TierEventKind, TierHistory
from tierwise.tiering.simulate import distribution
from tierwise.web.deps import AppDep, UowDep, release
from tierwise.web.pages import PagePrincipal
from tierwise.web.render import number, percent, render

router = APIRouter(include_in_schema=False)
# The snapshot's charts are aggregates of a stored run: the same for every reader of a language
# until the next recompute replaces the run, so they are drawn from the database once per run.
SNAPSHOT_CHARTS: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
CACHED_RUNS = 8


def remember(key: tuple[Any, ...], charts: list[dict[str, Any]]) -> None:
    """Keep the charts of a few recent runs and languages, dropping the oldest."""
    if len(SNAPSHOT_CHARTS) >= CACHED_RUNS:
        SNAPSHOT_CHARTS.pop(next(iter(SNAPSHOT_CHARTS)))
    SNAPSHOT_CHARTS[key] = charts


CLV_SAMPLE = 5000
OPEN = [s for s in TicketStatus if s not in (TicketStatus.CLOSED, TicketStatus.RESOLVED)]


def _bar(x: list[Any], series: dict[str, list[Any]], **layout: Any) -> dict[str, Any]:
    return {
        "data": [{"type": "bar", "name": n, "x": x, "y": y} for n, y in series.items()],
        "layout": {"barmode": "group", **layout},
    }


def _report_chart(
    session: Any, run: AnalyticsRun, name: str, value: int, drawn: slice = slice(None)
) -> dict[str, Any]:
    """A report of the analytics as a bar chart of one column (of the `drawn` rows: a total row
    would dwarf the bars), with the whole table as numbers."""
    rep = build(session, run, name)
    bars = rep.rows[drawn]
    labels = [value_label(r[0]) for r in bars]
    rows = [
        [
            value_label(v)
            if i == 0
            else percent(v)
            if i in rep.percent
            else number(v, 2)
            if isinstance(v, float)
            else v
            for i, v in enumerate(r)
        ]
        for r in rep.rows
    ]
    figure = _bar(labels, {rep.columns[value]: [float(r[value] or 0) for r in bars]})
    columns = [value_label(c) for c in rep.columns]
    return {"id": name, "title": rep.title, "figure": figure, "columns": columns, "rows": rows}


def whale(session: Any, run: AnalyticsRun) -> dict[str, Any]:
    """Cumulative profit against customers ranked by profit: the whale curve."""
    rep = build(session, run, "pareto")
    x = ["0%"] + [r[0] for r in rep.rows]
    curves = [(_("gross profit"), 2), (_("net profit after cost to serve"), 3)]
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "x": x,
            "y": [0.0] + [None if r[at] is None else float(r[at]) for r in rep.rows],
        }
        for name, at in curves
        if any(r[at] is not None for r in rep.rows)
    ]
    figure = {"data": data, "layout": {"yaxis": {"tickformat": ".0%"}}}
    rows = [[r[0], number(r[1]), percent(r[2]), percent(r[3])] for r in rep.rows]
    return {
        "id": "whale",
        "title": rep.title,
        "figure": figure,
        "columns": rep.columns,
        "rows": rows,
    }


def rfm_heat(conn: Connection, run: AnalyticsRun) -> dict[str, Any]:
    """Customers per recency × frequency score."""
    ci = CustomerIndicator
    counts = {
        (r, f): n
        for r, f, n in conn.execute(
            select(ci.r_score, ci.f_score, func.count())
            .where(ci.run_id == run.id, ci.r_score.is_not(None))
            .group_by(ci.r_score, ci.f_score)
        )
    }
    scores = [1, 2, 3, 4, 5]
    z = [[counts.get((r, f), 0) for f in scores] for r in scores]
    figure = {
        "data": [
            {
                "type": "heatmap",
                "x": [f"F{f}" for f in scores],
                "y": [f"R{r}" for r in scores],
                "z": z,
                "colorscale": "Blues",
            }
        ],
        "layout": {},
    }
    rows = [[f"R{r}", *[number(v) for v in z[i]]] for i, r in enumerate(scores)]
    return {
        "id": "rfm",
        "title": _("RFM: customers by recency and frequency score"),
        "figure": figure,
        "columns": ["", *[f"F{f}" for f in scores]],
        "rows": rows,
    }


def migration(conn: Connection, session: Any, run: AnalyticsRun) -> dict[str, Any]:
    """Tier moves since the snapshot before the latest one."""
    previous = session.scalar(
        select(AnalyticsRun.as_of)
        .where(AnalyticsRun.as_of < run.as_of)
        .order_by(AnalyticsRun.as_of.desc())
        .limit(1)
    )
    h = TierHistory
    query = select(h.previous_tier, h.tier, func.count()).where(h.previous_tier.is_not(None))
    if previous is not None:
        query = query.where(h.effective_from > previous)
    moves = list(conn.execute(query.group_by(h.previous_tier, h.tier)))
    tiers = sorted({m[0] for m in moves if m[0] is not None} | {m[1] for m in moves})
    z = [
        [next((n for a, b, n in moves if a == old and b == new), 0) for new in tiers]
        for old in tiers
    ]
    figure = {
        "data": [{"type": "heatmap", "x": tiers, "y": tiers, "z": z, "colorscale": "Oranges"}],
        "layout": {"xaxis": {"title": {"text": _("to")}}, "yaxis": {"title": {"text": _("from")}}},
    }
    title = _("Tier moves since {day}").format(day=previous) if previous else _("Tier moves")
    rows = [[old, *[number(v) for v in z[i]]] for i, old in enumerate(tiers)]
    return {
        "id": "migration",
        "title": title,
        "figure": figure,
        "columns": [_("from \\ to"), *tiers],
        "rows": rows,
    }


def clv_spread(conn: Connection, run: AnalyticsRun) -> dict[str, Any]:
    """Customer lifetime values, from an even sample of at most CLV_SAMPLE customers."""
    ci = CustomerIndicator
    total = conn.execute(
        select(func.count()).where(ci.run_id == run.id, ci.clv.is_not(None))
    ).scalar_one()
    step = max(1, total // CLV_SAMPLE)
    values = [
        float(v)
        for (v,) in conn.execute(
            select(ci.clv).where(
                ci.run_id == run.id, ci.clv.is_not(None), ci.customer_id % step == 0
            )
        )
        if v is not None  # as the query asks; narrows the column's Optional type
    ]
    ordered = sorted(values)
    quantiles = (
        [ordered[int(q * (len(ordered) - 1))] for q in (0.1, 0.25, 0.5, 0.75, 0.9)]
        if ordered
        else []
    )
    figure = {"data": [{"type": "histogram", "x": values, "nbinsx": 40}], "layout": {}}
    rows = [
        [label, number(v)]
        for label, v in zip(("P10", "P25", "P50", "P75", "P90"), quantiles, strict=False)
    ]
    return {
        "id": "clv",
        "title": _("CLV distribution"),
        "figure": figure,
        "columns": [_("quantile"), "CLV"],
        "rows": rows,
    }


def service_levels(conn: Connection, zone: str) -> dict[str, Any] | None:
    """Share answered within target per tier on the latest day with calls."""
    last = conn.execute(select(func.max(QueueContact.arrived_at))).scalar()
    if last is None:
        return None
    tz = ZoneInfo(zone)
    day = as_utc(last).astimezone(tz).date()
    start = dt.datetime.combine(day, dt.time(), tz)
    lines = report(conn, active_rules(conn), start, start + dt.timedelta(days=1), 24)
    tiers = [tier_name(line.tier) for line in lines]
    figure = _bar(
        tiers,
        {
            _("answered in time"): [line.level or 0 for line in lines],
            _("target"): [line.target for line in lines],
        },
        yaxis={"tickformat": ".0%"},
    )
    rows = [
        [
            tier_name(line.tier),
            number(line.offered),
            percent(line.level),
            percent(line.target),
            percent(line.abandonment),
        ]
        for line in lines
    ]
    return {
        "id": "service",
        "title": _("Service level per tier on {day}").format(day=day),
        "figure": figure,
        "columns": [_("tier"), _("offered"), _("service level"), _("target"), _("abandoned")],
        "rows": rows,
    }


def at_risk(
    conn: Connection, principal: Principal, key_tiers: list[str], since: dt.date
) -> list[dict[str, Any]]:
    """Key accounts in the reader's scope with a downgrade coming or an open complaint."""
    if principal.pseudonymous:
        return []  # it names customers: analysts see the charts only
    warned = select(TierEvent.customer_id).where(
        TierEvent.kind == TierEventKind.DOWNGRADE_AT_RISK, TierEvent.occurs_on >= since
    )
    complaining = select(Ticket.customer_id).where(
        Ticket.kind == TicketKind.COMPLAINT, Ticket.status.in_(OPEN)
    )
    rows = conn.execute(
        select(
            Customer.code,
            Customer.name,
            CustomerTier.tier,
            Customer.id.in_(warned).label("warned"),
            Customer.id.in_(complaining).label("complaint"),
        )
        .join(CustomerTier, CustomerTier.customer_id == Customer.id)
        .where(
            CustomerTier.tier.in_(key_tiers),
            Customer.id.in_(warned) | Customer.id.in_(complaining),
            customer_filter(principal),
        )
        .order_by(CustomerTier.tier, Customer.code)
        .limit(50)
    ).mappings()
    return [dict(r) for r in rows]


def tier_chart(shares: list[Any]) -> dict[str, Any]:
    """Customers and 12-month sales, profit and CLV shares per tier."""
    total = max(1, sum(s.customers for s in shares))
    series = {
        _("customers share"): [s.customers / total for s in shares],
        _("sales share"): [s.sales_share or 0 for s in shares],
        _("profit share"): [s.profit_share or 0 for s in shares],
        _("CLV share"): [s.clv_share or 0 for s in shares],
    }
    columns = [_("tier"), _("customers"), _("sales share"), _("profit share"), _("CLV share")]
    names = [_("Prospects") if s.tier == PROSPECTS else s.tier for s in shares]
    rows = [
        [
            name,
            number(s.customers),
            percent(s.sales_share),
            percent(s.profit_share),
            percent(s.clv_share),
        ]
        for name, s in zip(names, shares, strict=True)
    ]
    figure = _bar(names, series, yaxis={"tickformat": ".0%"})
    return {
        "id": "tiers",
        "title": _("Tiers and their share of value"),
        "figure": figure,
        "columns": columns,
        "rows": rows,
    }


RISK_SCOPES = {
    RowScope.ALL: N_("the whole company"),
    RowScope.TEAM: N_("your team's customers"),
    RowScope.OWN: N_("your customers"),
    RowScope.SERVED: N_("the customers you serve"),
}
"""Whose key accounts the at-risk list holds, said on the page: the charts are the company's."""


@router.get("/", response_class=HTMLResponse, response_model=None)
def dashboard(
    request: Request, app: AppDep, uow: UowDep, principal: PagePrincipal
) -> HTMLResponse | RedirectResponse:
    """Tiers and their value, whale curve, RFM, ABC, migrations, CLV, matrices, service, risk;
    those with no reports but customers to work (account managers, CSRs) land on their day."""
    if not principal.can(Permission.REPORTS_READ):
        if principal.can(Permission.INTERACTIONS_WRITE):
            return RedirectResponse("/my-day", status_code=303)
        return render(request, "home.html", principal)
    session, conn = uow.session, uow.connection
    try:
        run = latest_run(session)
    except LookupError as exc:  # nothing computed yet: say what to do
        return render(
            request, "dashboard.html", principal, charts=[], risky=[], as_of=None, error=str(exc)
        )
    verdict = when_tiering_pays(session, run.headline)
    cache_key = (str(app.engine.url), run.id, run.computed_at, current_language())
    charts = SNAPSHOT_CHARTS.get(cache_key)
    if charts is None:
        charts = [
            whale(session, run),
            _report_chart(session, run, "pnl", 12, slice(0, -1)),
            rfm_heat(conn, run),
            _report_chart(session, run, "abc", 1),
            _report_chart(session, run, "development", 1),
            migration(conn, session, run),
            clv_spread(conn, run),
            _report_chart(session, run, "loyalty", 1),
            _report_chart(session, run, "relationship", 1),
        ]
        release(uow)
        try:
            _policy, shares, _as_of = distribution(app)
            charts.insert(0, tier_chart(shares))
        except LookupError:
            pass  # no tier policy yet: the analytics charts stand on their own
        remember(cache_key, charts)
    charts = list(charts)
    conn = uow.connection  # a fresh one, if the bulk read above ended the first
    risky: list[dict[str, Any]] = []
    try:
        rules = active_rules(conn)
    except LookupError:
        rules = None  # no organisation rules yet: no service levels, no key tiers
    if rules is not None:
        service = service_levels(conn, app.settings.timezone)
        if service:
            charts.append(service)
        key = rules.key_tiers or [t.tier for t in rules.tiers[:1]]
        risky = at_risk(conn, principal, key, run.as_of - dt.timedelta(days=60))
    return render(
        request,
        "dashboard.html",
        principal,
        charts=charts,
        risky=risky,
        risk_scope=_(RISK_SCOPES[principal.row_scope]) if not principal.pseudonymous else None,
        as_of=run.as_of,
        verdict=verdict,
        equity={k: run.headline.get(f"customer_equity{k}") for k in ("", "_low", "_high")},
    )
