"""RFM scores and segments, ABC classes with the whale curve, and profitability labels, in Ibis."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from tierwise.analytics.params import AnalyticsParams


def quintile(column: ir.Column, higher_is_better: bool = True) -> ir.IntegerValue:
    """Score 1–5 by percent rank; tied values share the lower rank and so the same score."""
    order = column if higher_is_better else ibis.desc(column)
    rank = ibis.percent_rank().over(ibis.window(order_by=order))
    return ibis.least((rank * 5).floor() + 1, 5).cast("int64")


def rfm(buyers: ir.Table, params: AnalyticsParams) -> ir.Table:
    """R, F and M scores of customers who bought, their cell ('545') and named segment."""
    scored = buyers.select(
        "customer_id",
        r_score=quintile(buyers.recency_days, higher_is_better=False),
        f_score=quintile(buyers.orders),
        m_score=quintile(buyers.sales),
    )
    r, f = scored.r_score, scored.f_score
    segment = ibis.cases(
        *((r.between(*rule.r) & f.between(*rule.f), rule.segment) for rule in params.rfm_rules),
        else_=ibis.null("string"),
    )
    cell = r.cast("string") + f.cast("string") + scored.m_score.cast("string")
    return scored.mutate(rfm_cell=cell, rfm_segment=segment)


def abc(buyers: ir.Table, params: AnalyticsParams) -> ir.Table:
    """VIP / major / normal / small by cumulative share of profit (or revenue); the whale curve."""
    basis = buyers.gross_profit if params.abc_basis == "profit" else buyers.sales
    t = buyers.select("customer_id", basis=basis.fill_null(0.0))
    order = [ibis.desc(t.basis), t.customer_id]
    positive = ibis.greatest(t.basis, 0.0)
    running = ibis.cumulative_window(order_by=order)
    t = t.mutate(
        rank=ibis.row_number().over(ibis.window(order_by=order)) + 1,
        before=positive.sum().over(running) - positive,
        total_positive=positive.sum().over(),
        cumulative=t.basis.sum().over(running),
        total=t.basis.sum().over(),
    )
    share_before = t.before / ibis.greatest(t.total_positive, 1e-9)
    vip, major, normal = params.abc_cutoffs
    klass = ibis.cases(
        (t.basis <= 0, "small"),
        (share_before < vip, "vip"),
        (share_before < major, "major"),
        (share_before < normal, "normal"),
        else_="small",
    )
    return t.select(
        "customer_id",
        abc_class=klass,
        profit_rank=t.rank,
        profit_cum_share=ibis.ifelse(t.total != 0, t.cumulative / t.total, ibis.null("float64")),
    )


def profit_labels(buyers: ir.Table, params: AnalyticsParams) -> ir.Table:
    """High-profit / profitable / no-profit / loss-making; unknown where no line has a cost."""
    profit = buyers.gross_profit
    rank = ibis.row_number().over(ibis.window(order_by=[ibis.desc(profit), buyers.customer_id]))
    top = buyers.count().as_scalar() * params.top_share
    label = ibis.cases(
        (profit.isnull(), ibis.null("string")),
        ((profit > 0) & (rank < top), "high_profit"),
        (profit > 0, "profitable"),
        (profit < 0, "loss_making"),
        else_="no_profit",
    )
    return buyers.select("customer_id", profit_label=label)


def category_matrix(lines: ir.Table, labels: ir.Table, params: AnalyticsParams) -> ir.Table:
    """Profit in each (customer label × product category) cell, with each category's own label."""
    costed = lines.filter(lines.cost.notnull()).mutate(
        category=lines.category.fill_null("—"), profit=lines.amount - lines.cost
    )
    by_category = costed.group_by("category").aggregate(
        margin=costed.profit.sum() / ibis.greatest(costed.amount.sum(), 1e-9)
    )
    band = params.category_no_profit_band
    category_label = ibis.cases(
        (by_category.margin >= params.category_high_margin, "high_profit"),
        (by_category.margin > band, "profitable"),
        (by_category.margin < -band, "loss_making"),
        else_="no_profit",
    )
    categories = by_category.select("category", category_label=category_label)
    cells = (
        costed.group_by("customer_id", "category")
        .aggregate(profit=costed.profit.sum())
        .join(labels.filter(labels.profit_label.notnull()), "customer_id")
        .join(categories, "category")
    )
    return cells.group_by(
        customer_label=cells.profit_label,
        category=cells.category,
        category_label=cells.category_label,
    ).aggregate(customers=cells.customer_id.nunique(), profit=cells.profit.sum())
