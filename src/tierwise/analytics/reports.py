"""The analytics reports: grouped views of the latest snapshot, computed in SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, literal_column, select
from sqlalchemy.orm import Session

from tierwise.analytics.models import AnalyticsRun, CategoryProfit, CustomerIndicator
from tierwise.analytics.pnl import pnl_report
from tierwise.analytics.profiling import NOT_PROFILED, PROFILING
from tierwise.analytics.report_table import Report, share_of
from tierwise.analytics.verdict import when_tiering_pays
from tierwise.customers.surveys import SatisfactionFactor, Survey
from tierwise.i18n import _, current_language

DECILES = 10
DEVELOPMENT_STAGES = (
    "suspect",
    "prospect",
    "disqualified",
    "first_time",
    "repeat",
    "long_term",
    "member",
    "advocate",
    "partner",
    "churned",
)


def grouped_by(column: str) -> Any:
    """The snapshot column a report groups on; customers not profiled for want of analytics
    consent make a group of their own on a profiling column, apart from the unknowns."""
    key = getattr(CustomerIndicator, column)
    if column not in PROFILING:
        return key
    # A literal, not a bound parameter: PostgreSQL must see the same expression in GROUP BY.
    withheld = CustomerIndicator.profiling_withheld.is_(True)
    return case((withheld, literal_column(f"'{NOT_PROFILED}'")), else_=key)


def group_report(
    session: Session,
    run: AnalyticsRun,
    column: str,
    title: str,
    in_order: tuple[str, ...] | None = None,
) -> Report:
    """Buying customers, sales, profit, CLV and their shares per value of one snapshot column,
    most profitable first; with `in_order`, every customer and the groups in that order."""
    ci = CustomerIndicator
    key = grouped_by(column)
    query = (
        select(
            key,
            func.count(),
            func.sum(ci.sales),
            func.sum(ci.gross_profit),
            func.avg(ci.recency_days),
            func.sum(ci.clv),
        )
        .where(ci.run_id == run.id)
        .group_by(key)
        .order_by(func.sum(ci.gross_profit).desc())
    )
    if in_order is None:
        query = query.where(ci.orders > 0)
    rows = session.execute(query).all()
    if in_order is not None:
        rank = {value: place for place, value in enumerate(in_order)}
        rows = sorted(rows, key=lambda r: rank.get(r[0], len(rank)))
    customers = sum(r[1] for r in rows)
    sales = sum(float(r[2] or 0) for r in rows)
    profit = sum(float(r[3] or 0) for r in rows)
    return Report(
        title=title,
        columns=[
            _("group"),
            _("customers"),
            _("share"),
            _("sales share"),
            _("profit"),
            _("profit share"),
            _("avg days since purchase"),
            _("CLV"),
        ],
        rows=[
            [
                r[0],
                r[1],
                share_of(r[1], customers),
                share_of(float(r[2] or 0), sales),
                r[3],
                share_of(float(r[3] or 0), profit),
                r[4],
                r[5],
            ]
            for r in rows
        ],
        notes=[],
        percent=frozenset({2, 3, 5}),
    )


def pareto_report(session: Session, run: AnalyticsRun) -> Report:
    """The whale curve by deciles of customers ranked by profit, and when tiering pays."""
    ci = CustomerIndicator
    buyers = int(run.headline["buyers"])  # the customers ranked by profit
    ranks = {d: max(1, round(buyers * d / DECILES)) for d in range(1, DECILES + 1)}
    # One pass over the run for all ten ranks (ten lookups were ten scans: 4.5 s at 1M).
    shares = dict(
        session.execute(
            select(ci.profit_rank, ci.profit_cum_share).where(
                ci.run_id == run.id, ci.profit_rank.in_(set(ranks.values()))
            )
        ).all()
    )
    h = run.headline
    net = h.get("net_whale_deciles") or [None] * DECILES  # runs before cost-to-serve lack it
    rows = [[f"{d * 10}%", upto, shares.get(upto), net[d - 1]] for d, upto in ranks.items()]
    verdict = when_tiering_pays(session, h)
    notes = [
        _("Top {top:.0%} of customers carry {share:.0%} of profit.").format(
            top=h["top_share"], share=h["top_profit_share"] or 0
        ),
        _(
            "The curve peaks at {peak:.0%} of total profit after {n} customers; "
            "{losers} loss-making customers cost {cost:,.0f}."
        ).format(
            peak=h["whale_peak_share"] or 0,
            n=h["whale_peak_customers"],
            losers=h["loss_makers"],
            cost=h["loss_makers_cost"],
        ),
        *_net_notes(h),
        verdict.summary,
        *(f"{c.mark} {c}" for c in verdict.conditions),
    ]
    return Report(
        _("Whale curve (cumulative profit, customers ranked by profit)"),
        [
            _("customers"),
            _("count"),
            _("cumulative profit share"),
            _("cumulative net profit share (after cost to serve)"),
        ],
        rows,
        notes,
        percent=frozenset({2, 3}),
    )


def _net_notes(h: dict[str, Any]) -> list[str]:
    """The whale curve once serving is paid for: where it peaks and who eats the profit."""
    if "cost_to_serve" not in h:  # a run before cost-to-serve
        return []
    if h.get("net_whale_peak_share") is None:
        return [
            _(
                "After the cost to serve ({cost:,.0f}) the buying customers earn nothing: "
                "{net:,.0f} net in all; {losers} of them cost more than they earn."
            ).format(
                cost=h["cost_to_serve"], net=h["buyers_net_profit"], losers=h["net_loss_makers"]
            )
        ]
    return [
        _(
            "After the cost to serve ({cost:,.0f}), net profit peaks at {peak:.0%} of the total "
            "after {n} customers; {losers} customers cost more than they earn ({loss:,.0f})."
        ).format(
            cost=h["cost_to_serve"],
            peak=h["net_whale_peak_share"],
            n=h["net_whale_peak_customers"],
            losers=h["net_loss_makers"],
            loss=h["net_loss_makers_cost"],
        )
    ]


def matrix_report(session: Session, run: AnalyticsRun, column: str, title: str) -> Report:
    """Counts of customers per value of a 2×2 matrix column, unknowns included."""
    ci = CustomerIndicator
    key = grouped_by(column)
    rows = session.execute(
        select(key, func.count(), func.sum(ci.gross_profit))
        .where(ci.run_id == run.id, ci.orders > 0)
        .group_by(key)
    ).all()
    total = sum(r[1] for r in rows)
    return Report(
        title,
        [_("quadrant"), _("customers"), _("share"), _("profit")],
        [[r[0], r[1], share_of(r[1], total), r[2]] for r in rows],
        [],
        percent=frozenset({2}),
    )


def profitability_report(session: Session, run: AnalyticsRun) -> Report:
    """Profit per customer label × product category (with the category's own label)."""
    cp = CategoryProfit
    cells = session.execute(
        select(cp.category, cp.category_label, cp.customer_label, cp.profit)
        .where(cp.run_id == run.id)
        .order_by(cp.category)
    ).all()
    labels = ["high_profit", "profitable", "no_profit", "loss_making"]
    by_category: dict[tuple[str, str], dict[str, Any]] = {}
    for category, category_label, customer_label, profit in cells:
        by_category.setdefault((category, category_label), {})[customer_label] = profit
    rows = [
        [category, category_label, *(values.get(label) for label in labels)]
        for (category, category_label), values in by_category.items()
    ]
    return Report(
        _("Profit by product category × customer profitability"),
        [_("category"), _("category is"), *labels],
        rows,
        [],
    )


def satisfaction_report(session: Session, run: AnalyticsRun) -> Report:
    """Per satisfaction factor, on each customer's newest survey up to the snapshot: what was
    expected, what was perceived, the gap, and how many were let down (满意度 = 感知 − 期望)."""
    newest = (
        select(func.max(Survey.id))
        .where(Survey.answered_on <= run.as_of)
        .group_by(Survey.customer_id)
        .scalar_subquery()
    )
    rows = []
    for factor in SatisfactionFactor:
        expected = getattr(Survey, f"{factor.value}_expected")
        perceived = getattr(Survey, f"{factor.value}_perceived")
        both = and_(expected.is_not(None), perceived.is_not(None))
        answers, mean_expected, mean_perceived, let_down = session.execute(
            select(
                func.count(),
                func.avg(expected),
                func.avg(perceived),
                func.sum(case((perceived < expected, 1), else_=0)),
            ).where(Survey.id.in_(newest), both)
        ).one()
        gap = None if not answers else float(mean_perceived) - float(mean_expected)
        rows.append(
            [
                factor.label(current_language()),
                answers,
                None if not answers else float(mean_expected),
                None if not answers else float(mean_perceived),
                gap,
                share_of(float(let_down or 0), float(answers)),
            ]
        )
    notes = []
    answered = [r for r in rows if r[4] is not None]
    if answered:
        worst = min(answered, key=lambda r: r[4])
        if worst[4] < 0:
            notes.append(
                _(
                    "Customers are let down most on {factor}: perceived {perceived:.1f} "
                    "against {expected:.1f} expected."
                ).format(factor=worst[0], perceived=worst[3], expected=worst[2])
            )
    else:
        notes.append(_("No survey answered up to this snapshot: import surveys to see it."))
    return Report(
        _("Satisfaction by factor (perceived against expected, newest survey per customer)"),
        [
            _("factor"),
            _("answers"),
            _("mean expected"),
            _("mean perceived"),
            _("perceived − expected"),
            _("let down (perceived below expected)"),
        ],
        rows,
        notes,
        percent=frozenset({5}),
    )


def build(session: Session, run: AnalyticsRun, name: str) -> Report:
    """One report by name."""
    if name == "pareto":
        return pareto_report(session, run)
    if name == "abc":
        return group_report(session, run, "abc_class", _("Profit classes (ABC analysis)"))
    if name == "rfm":
        return group_report(session, run, "rfm_segment", _("RFM segments"))
    if name == "lifecycle":
        return group_report(session, run, "lifecycle_stage", _("Lifecycle stages"))
    if name == "development":
        title = _("Customer development stages")
        return group_report(session, run, "development_stage", title, DEVELOPMENT_STAGES)
    if name == "loyalty":
        return matrix_report(session, run, "loyalty", _("Loyalty matrix"))
    if name == "relationship":
        return matrix_report(session, run, "relationship", _("Relationship-quality matrix"))
    if name == "profitability":
        return profitability_report(session, run)
    if name == "satisfaction":
        return satisfaction_report(session, run)
    if name == "pnl":
        return pnl_report(session, run)
    raise ValueError(name)
