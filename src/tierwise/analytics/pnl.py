"""A profit and loss per tier: revenue, product margin, the cost to serve by kind and what is
left — which tiers pay for the service they get (DOMAIN.md: cost-to-serve)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tierwise.analytics.models import AnalyticsRun, CustomerIndicator
from tierwise.analytics.params import COST_KINDS as KINDS
from tierwise.analytics.report_table import Report
from tierwise.i18n import N_, _

COST_NAMES = {
    "contacts": N_("contacts handled"),
    "visits": N_("visits"),
    "tickets": N_("service tickets"),
    "complaints": N_("complaints"),
    "returns": N_("returns handled"),
    "credit": N_("credit"),
    "rewards": N_("rewards"),
}


def pnl_report(session: Session, run: AnalyticsRun) -> Report:
    """One row per tier (customers without one apart), and the company's total."""
    ci = CustomerIndicator
    costs = [func.sum(getattr(ci, f"cost_{kind}")) for kind in KINDS]
    query = (
        select(
            ci.tier,
            func.count(),
            func.sum(ci.sales),
            func.sum(ci.gross_profit),
            *costs,
            func.sum(ci.cost_to_serve),
        )
        .where(ci.run_id == run.id)
        .group_by(ci.tier)
    )
    # Net is the tier's known gross profit less all it cost to serve, so rows and total add up.
    grouped = [
        [*(round(float(v or 0)) if i > 1 else v for i, v in enumerate(r))]
        for r in session.execute(query)
    ]
    for r in grouped:
        r.append(r[3] - r[-1])
    grouped.sort(key=lambda r: -r[-1])
    sums = (sum(r[i] for r in grouped) for i in range(2, len(KINDS) + 6))
    total = ["", sum(r[1] for r in grouped), *sums]
    rows = [_row(str(r[0] or _("no tier")), r) for r in grouped]
    rows.append(_row(_("all customers"), total))
    return Report(
        _("Profit and loss per tier: gross profit less the cost to serve by kind"),
        [
            _("tier"),
            _("customers"),
            _("sales"),
            _("gross profit"),
            *(_(COST_NAMES[kind]) for kind in KINDS),
            _("cost to serve"),
            _("net profit"),
            _("net per customer"),
            _("cost ÷ gross profit"),
        ],
        rows,
        _notes(grouped),
        percent=frozenset({7 + len(KINDS)}),
    )


def _row(name: str, r: list[Any]) -> list[Any]:
    """A tier's figures with its net per customer and how much of its margin serving eats."""
    customers, gross, cost, net = r[1], r[3], r[-2], r[-1]
    return [
        name,
        *r[1:],
        net / customers if customers else None,
        cost / gross if gross > 0 else None,
    ]


def _notes(grouped: list[list[Any]]) -> list[str]:
    """The tiers whose service costs more than their goods earn."""
    losing = [r for r in grouped if r[-1] < 0 and r[0] is not None]
    if not losing:
        return [_("Every tier earns more than serving it costs.")]
    return [
        _(
            "Tier {tier} loses {loss:,.0f} after serving: gross profit {gross:,.0f}, "
            "cost to serve {cost:,.0f}."
        ).format(tier=r[0], loss=-r[-1], gross=r[3], cost=r[-2])
        for r in losing
    ]
