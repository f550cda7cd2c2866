"""One recompute: facts → Ibis indicators → models and rules → a snapshot, written atomically."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tierwise.analytics import clv, costs, lifecycle, purchase, segments, uncertainty
from tierwise.analytics.engines import EngineName, connect, load, materialise
from tierwise.analytics.extract import Facts
from tierwise.analytics.indicators import (
    btyd_summary,
    decision_times,
    latest_surveys,
    value_indicators,
)
from tierwise.analytics.params import DAYS_PER_MONTH, PURCHASE_MODELS, AnalyticsParams
from tierwise.analytics.profiling import withheld_count, withhold

Stage = Callable[[str], None]
COUNTS = ("orders", "product_lines", "products", "departments", "referrals")
# What qualifies a customer who has not bought as a prospect rather than a suspect
# (docs/analytics.md): a prospect-grading fact on file, or a logged contact.
QUALIFYING_FACTS = (
    "enterprise_nature",
    "asset_scale",
    "annual_revenue",
    "growth_rate",
    "potential_demand",
    "wallet_estimate",
    "first_contact",
)


@dataclass(frozen=True)
class Snapshot:
    """Everything a run produces, before it is written."""

    as_of: dt.date
    engine: EngineName
    params: AnalyticsParams
    indicators: pa.Table
    category_profits: pa.Table
    fits: list[clv.Fit]
    headline: dict[str, Any]
    standard_errors: dict[str, dict[str, float] | None]  # by model; None where singular


def compute(
    facts: Facts,
    params: AnalyticsParams,
    engine: EngineName = "duckdb",
    stage: Stage | None = None,
) -> Snapshot:
    """Compute every indicator of every customer as of `facts.as_of`; writes nothing."""
    step = stage or (lambda _name: None)
    backend = connect(engine)
    step("indicators")
    lines = load(backend, "lines", facts.lines)
    customers = load(backend, "customers", facts.customers)
    referrals = load(backend, "referrals", facts.referrals)
    contacts = load(backend, "first_contacts", facts.first_contacts)
    surveys = load(backend, "surveys", facts.surveys)
    served = costs.cost_to_serve(
        lines,
        load(backend, "contacts", facts.contacts),
        load(backend, "credit", facts.credit),
        load(backend, "events", facts.events),
        params.costs,
        facts.as_of,
    )
    # Each per-customer table is materialised once: the engines would otherwise recompute a
    # shared expression for every place it is used (four scans of the lines for `value`).
    value = materialise(backend, "value", value_indicators(lines, facts.as_of))
    summary = materialise(backend, "btyd", btyd_summary(lines, facts.as_of, params))
    buyers = value.filter(value.orders > 0)
    labels = materialise(backend, "labels", segments.profit_labels(buyers, params))
    joined = customers
    for part in (
        value,
        summary,
        segments.rfm(buyers, params),
        segments.abc(buyers, params),
        labels,
        referrals,
        decision_times(lines, contacts),
        contacts,
        latest_surveys(surveys),
        served,
    ):
        joined = joined.left_join(part, "customer_id").drop("customer_id_right")
    cost_columns = [f"cost_{kind}" for kind in costs.KINDS] + ["cost_to_serve"]
    joined = joined.mutate(**{name: joined[name].fill_null(0.0) for name in cost_columns})
    joined = joined.mutate(net_profit=costs.net_profit(joined))
    table = backend.to_pyarrow(joined.order_by("customer_id"))
    matrix = backend.to_pyarrow(segments.category_matrix(lines, labels, params))
    step("models")
    table, fits, spreads, equity = _apply_models(table, params)
    step("rules")
    table = _apply_rules(table, params)
    # Aggregates first, over everyone; then the withheld customers' profiles are emptied.
    counted = {**headline(table, params), **equity, "profiling_withheld": withheld_count(table)}
    table = withhold(backend, table)
    return Snapshot(
        as_of=facts.as_of,
        engine=engine,
        params=params,
        indicators=table,
        category_profits=matrix,
        fits=fits,
        headline=counted,
        standard_errors={model: s.standard_errors() for model, s in spreads.items()},
    )


def _column(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)


def _apply_models(
    table: pa.Table, params: AnalyticsParams
) -> tuple[pa.Table, list[clv.Fit], dict[str, uncertainty.Spread], dict[str, float | None]]:
    """Fit the purchase models and Gamma-Gamma on buyers; add P(alive), expected purchases,
    spend and CLV from the purchase model the parameters choose, with their intervals, and
    return the fits, their covariances and the interval of customer equity."""
    freq, rec, age = (_column(table, f"btyd_{n}") for n in ("frequency", "recency", "t"))
    monetary = _column(table, "btyd_monetary")
    buyer = ~np.isnan(freq)
    n = len(table)
    out = {name: np.full(n, np.nan) for name in ("p_alive", *PREDICTED)}
    fits: list[clv.Fit] = []
    spreads: dict[str, uncertainty.Spread] = {}
    equity: dict[str, float | None] = {"customer_equity_low": None, "customer_equity_high": None}
    if buyer.sum() >= 10:
        f, r, t, m = freq[buyer], rec[buyer], age[buyer], monetary[buyer]
        fits = [purchase.MODELS[name].fit(f, r, t) for name in PURCHASE_MODELS]
        spreads = {fit.model: uncertainty.purchase_spread(fit, f, r, t) for fit in fits}
        used = spreads[params.purchase_model]
        model = purchase.MODELS[params.purchase_model]
        month = DAYS_PER_MONTH / params.unit_days
        horizon = params.horizon_months * month
        out["p_alive"][buyer] = model.p_alive(used.fit, f, r, t)
        purchases = uncertainty.purchases_interval(used, horizon, f, r, t)
        _put(out, buyer, "expected_purchases", purchases)
        spent = (f > 0) & (m > 0)  # repeat purchases all at ¥0 say nothing of spend
        if spent.sum() >= 10:
            gg = clv.fit_gamma_gamma(f, m, weights=spent.astype(np.float64))
            fits.append(gg)
            spreads[gg.model] = uncertainty.gamma_gamma_spread(gg, f, m, spent.astype(np.float64))
            margins = _column(table, "margin")[buyer]
            overall = np.nanmedian(margins) if np.isfinite(margins).any() else 0.0
            margin = np.clip(np.where(np.isnan(margins), overall, margins), 0.0, 1.0)
            # With q ≤ 1 the model's population mean is infinite; one-time buyers then get the
            # mean spend of repeat buyers instead (docs/analytics.md).
            population = float(np.mean(m[f > 0]))
            out["expected_spend"][buyer] = clv.expected_spend(
                gg.params, f, m, population_mean=population
            )
            clvs, total = uncertainty.clv_intervals(
                used,
                spreads[gg.model],
                uncertainty.Customers(f, r, t, m, margin, population),
                horizon_periods=params.horizon_months,
                period_length=month,
                discount_rate_per_period=params.monthly_discount_rate,
            )
            _put(out, buyer, "clv", clvs)
            equity = {
                "customer_equity_low": _known(total.low[0]),
                "customer_equity_high": _known(total.high[0]),
            }
    for name, values in out.items():
        table = table.append_column(name, pa.array(values, mask=np.isnan(values)))
    return table, fits, spreads, equity


PREDICTED = (
    *("expected_purchases", "expected_purchases_low", "expected_purchases_high"),
    *("expected_spend", "clv", "clv_low", "clv_high"),
)


def _known(value: float) -> float | None:
    """A number for the run's headline (JSON), or None where it is not known."""
    return float(value) if np.isfinite(value) else None


def _put(
    out: dict[str, np.ndarray], rows: np.ndarray, name: str, values: uncertainty.Interval
) -> None:
    """A prediction and its interval's ends into ``name``, ``name_low`` and ``name_high``."""
    out[name][rows], out[f"{name}_low"][rows], out[f"{name}_high"][rows] = (
        values.value,
        values.low,
        values.high,
    )


def _apply_rules(table: pa.Table, params: AnalyticsParams) -> pa.Table:
    """Stages, churn, loyalty, relationship and share of wallet from the indicators
    (docs/analytics.md)."""
    orders = _column(table, "orders")
    tenure = _column(table, "tenure_days")
    recency = _column(table, "recency_days")
    freq = _column(table, "btyd_frequency")
    with np.errstate(invalid="ignore", divide="ignore"):
        interval = np.where(
            freq > 0, _column(table, "btyd_recency") * params.unit_days / freq, np.nan
        )
        repeat_rate = freq / (freq + 1)
    p_alive = _column(table, "p_alive")
    status = np.asarray(table.column("status").to_pylist(), dtype=object)
    gone = lifecycle.churned(status, p_alive, params) & ~np.isnan(orders)
    attitudes = lifecycle.attitude(_column(table, "nps"), _column(table, "csat"), params)
    loyalties = lifecycle.loyalty(attitudes, _column(table, "f_score"), params)
    abc_class = np.asarray(table.column("abc_class").to_pylist(), dtype=object)
    management = np.asarray(table.column("management_class").to_pylist(), dtype=object)
    promoter = attitudes == "high"
    referrals = _column(table, "referrals")
    qualified = np.zeros(len(table), dtype=bool)
    for name in QUALIFYING_FACTS:
        qualified |= table.column(name).is_valid().to_numpy(zero_copy_only=False)
    wallet_share, wallet_exceeded = lifecycle.share_of_wallet(
        _column(table, "sales_12m"), _column(table, "wallet_estimate")
    )
    added = {
        "lifecycle_stage": lifecycle.lifecycle_stage(
            orders, tenure, recency, interval, _column(table, "growth_12m"), p_alive, gone
        ),
        "development_stage": lifecycle.development_stage(
            orders,
            tenure,
            referrals,
            management,
            promoter,
            gone,
            disqualified=status == "disqualified",
            qualified=qualified,
        ),
        "churn_risk": 1 - p_alive,
        "churned": np.where(np.isnan(orders), np.array(None), gone).astype(object),
        "attitude": attitudes,
        "repeat_purchase_rate": repeat_rate,
        "purchase_interval_days": interval,
        "loyalty": loyalties,
        "relationship": lifecycle.relationship(abc_class, loyalties),
        "share_of_wallet": wallet_share,
        "wallet_exceeded": wallet_exceeded,
    }
    for name, values in added.items():
        if values.dtype == object:
            array = pa.array(list(values), type=pa.bool_() if name == "wallet_exceeded" else None)
        else:
            array = pa.array(values, mask=np.isnan(values))
        table = table.append_column(name, array)
    for name in COUNTS:  # a customer without orders bought nothing, rather than unknown
        table = table.set_column(
            table.column_names.index(name), name, pc.fill_null(table.column(name), 0)
        )
    return table


def headline(table: pa.Table, params: AnalyticsParams) -> dict[str, Any]:
    """What `make demo` and the reports lead with, including when tiering pays (DOMAIN.md)."""
    profit = np.nan_to_num(_column(table, "gross_profit"))
    sales = np.nan_to_num(_column(table, "sales"))
    buyers = np.nan_to_num(_column(table, "orders")) > 0
    ranked = np.sort(profit[buyers])[::-1]
    top_n = max(1, round(len(ranked) * params.top_share))
    total_profit = float(ranked.sum())
    abc_class = np.asarray(table.column("abc_class").to_pylist(), dtype=object)
    shares = {}
    for klass in ("vip", "major", "normal", "small"):
        member = abc_class == klass
        shares[klass] = {
            "customers": int(member.sum()),
            "profit_share": float(profit[member].sum() / total_profit) if total_profit else None,
        }
    cumulative = np.cumsum(ranked)
    # Net of serving, the way the P&L adds it up: known gross profit less every cost; the curve
    # ranks the buying customers (serving prospects is in the total, not on the curve).
    served = np.nan_to_num(_column(table, "cost_to_serve"))
    net = np.sort((profit - served)[buyers])[::-1]
    net_cumulative = np.cumsum(net)
    buyers_net = float(net.sum())
    equity = np.nansum(_column(table, "clv"))
    purchased = float(np.nansum(_column(table, "purchase_value")))
    repeat_buyers = np.nan_to_num(_column(table, "btyd_frequency")) > 0
    return {
        "customers": len(table),
        "buyers": int(buyers.sum()),
        "total_sales": float(sales.sum()),
        "total_profit": total_profit,
        "top_share": params.top_share,
        "top_profit_share": float(ranked[:top_n].sum() / total_profit) if total_profit else None,
        "abc": shares,
        "whale_peak_share": float(cumulative.max() / total_profit) if total_profit else None,
        "whale_peak_customers": int(cumulative.argmax() + 1) if len(cumulative) else 0,
        "loss_makers": int((ranked < 0).sum()),
        "loss_makers_cost": float(-ranked[ranked < 0].sum()),
        "largest_customer_sales_share": float(sales.max() / sales.sum()) if sales.sum() else None,
        "repeat_sales_share": (
            float(np.nansum(_column(table, "repeat_value")) / purchased) if purchased else None
        ),
        "repeat_buyers_share": (
            float(repeat_buyers.sum() / buyers.sum()) if buyers.sum() else None
        ),
        "customer_equity": float(equity),
        "cost_to_serve": float(served.sum()),
        "total_net_profit": float(profit.sum() - served.sum()),
        "buyers_net_profit": buyers_net,
        "net_whale_peak_share": (
            float(net_cumulative.max() / buyers_net) if len(net) and buyers_net > 0 else None
        ),
        "net_whale_peak_customers": int(net_cumulative.argmax() + 1) if len(net) else 0,
        "net_loss_makers": int((net < 0).sum()),
        "net_loss_makers_cost": float(-net[net < 0].sum()),
        "net_whale_deciles": _deciles(net_cumulative, buyers_net),
    }


def _deciles(cumulative: np.ndarray, total: float) -> list[float | None]:
    """The cumulative share of the total after each tenth of the ranked customers."""
    n = len(cumulative)
    if not n or total <= 0:
        return [None] * 10
    return [float(cumulative[max(1, round(n * d / 10)) - 1] / total) for d in range(1, 11)]
