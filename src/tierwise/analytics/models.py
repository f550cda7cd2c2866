"""Where the read side writes back: a run per as-of date, an indicator row per customer per run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from tierwise.db.base import Base, IdMixin, Total, utcnow


class AnalyticsRun(IdMixin, Base):
    """A recompute as of a date; rerunning the same date replaces it atomically."""

    __tablename__ = "analytics_runs"

    as_of: Mapped[dt.date] = mapped_column(Date, unique=True)
    engine: Mapped[str] = mapped_column(String(20))
    time_unit: Mapped[str] = mapped_column(String(10))
    customers: Mapped[int]
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    headline: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class FittedModel(IdMixin, Base):
    """A buy-till-you-die model fitted in a run, with how well the fit went."""

    __tablename__ = "fitted_models"

    run_id: Mapped[int] = mapped_column(ForeignKey("analytics_runs.id", ondelete="CASCADE"))
    model: Mapped[str] = mapped_column(String(20))
    params: Mapped[dict[str, float]] = mapped_column(JSON)
    log_likelihood: Mapped[float] = mapped_column(Float)
    n: Mapped[int]
    converged: Mapped[bool]
    iterations: Mapped[int]
    message: Mapped[str] = mapped_column(String(200))
    # from the observed information; None where it is singular or the run predates them
    standard_errors: Mapped[dict[str, float] | None] = mapped_column(JSON(none_as_null=True))


class CategoryProfit(IdMixin, Base):
    """A cell of the customer × product-category profitability matrix."""

    __tablename__ = "category_profits"

    run_id: Mapped[int] = mapped_column(ForeignKey("analytics_runs.id", ondelete="CASCADE"))
    customer_label: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(100))
    category_label: Mapped[str] = mapped_column(String(20))
    customers: Mapped[int]
    profit: Mapped[Decimal] = mapped_column(Total)


class CustomerIndicator(Base):
    """Every indicator of one customer as of the run's date (definitions in docs/analytics.md)."""

    __tablename__ = "customer_indicators"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("analytics_runs.id", ondelete="CASCADE"), primary_key=True
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    # Value (existing-customer tiering factors)
    sales: Mapped[Decimal | None] = mapped_column(Total)
    cost: Mapped[Decimal | None] = mapped_column(Total)
    gross_profit: Mapped[Decimal | None] = mapped_column(Total)
    margin: Mapped[float | None] = mapped_column(Float)
    cost_coverage: Mapped[float | None] = mapped_column(Float)
    sales_12m: Mapped[Decimal | None] = mapped_column(Total)
    sales_prev_12m: Mapped[Decimal | None] = mapped_column(Total)
    growth_12m: Mapped[float | None] = mapped_column(Float)
    avg_monthly_sales: Mapped[Decimal | None] = mapped_column(Total)
    avg_quarterly_sales: Mapped[Decimal | None] = mapped_column(Total)
    avg_annual_sales: Mapped[Decimal | None] = mapped_column(Total)
    orders: Mapped[int] = mapped_column(Integer, default=0)
    returns_ratio: Mapped[float | None] = mapped_column(Float)
    product_lines: Mapped[int] = mapped_column(Integer, default=0)
    products: Mapped[int] = mapped_column(Integer, default=0)
    departments: Mapped[int] = mapped_column(Integer, default=0)
    tenure_days: Mapped[int | None]
    first_order: Mapped[dt.date | None] = mapped_column(Date)
    last_order: Mapped[dt.date | None] = mapped_column(Date)
    credit_rating: Mapped[str | None] = mapped_column(String(8))
    # RFM
    recency_days: Mapped[int | None]
    r_score: Mapped[int | None]
    f_score: Mapped[int | None]
    m_score: Mapped[int | None]
    rfm_cell: Mapped[str | None] = mapped_column(String(3))
    rfm_segment: Mapped[str | None] = mapped_column(String(30))
    # Buy-till-you-die summary, in the run's time unit
    btyd_frequency: Mapped[float | None] = mapped_column(Float)
    btyd_recency: Mapped[float | None] = mapped_column(Float)
    btyd_t: Mapped[float | None] = mapped_column(Float)
    btyd_monetary: Mapped[float | None] = mapped_column(Float)
    # ABC and profitability
    abc_class: Mapped[str | None] = mapped_column(String(10))
    profit_rank: Mapped[int | None]
    profit_cum_share: Mapped[float | None] = mapped_column(Float)
    profit_label: Mapped[str | None] = mapped_column(String(20))
    # Cost-to-serve and net profit, over the same history as gross profit
    cost_contacts: Mapped[Decimal | None] = mapped_column(Total)
    cost_visits: Mapped[Decimal | None] = mapped_column(Total)
    cost_tickets: Mapped[Decimal | None] = mapped_column(Total)
    cost_complaints: Mapped[Decimal | None] = mapped_column(Total)
    cost_returns: Mapped[Decimal | None] = mapped_column(Total)
    cost_credit: Mapped[Decimal | None] = mapped_column(Total)
    cost_rewards: Mapped[Decimal | None] = mapped_column(Total)
    cost_to_serve: Mapped[Decimal | None] = mapped_column(Total)
    net_profit: Mapped[Decimal | None] = mapped_column(Total)
    # CLV
    p_alive: Mapped[float | None] = mapped_column(Float)
    expected_purchases: Mapped[float | None] = mapped_column(Float)
    expected_purchases_low: Mapped[float | None] = mapped_column(Float)  # 90% interval
    expected_purchases_high: Mapped[float | None] = mapped_column(Float)
    expected_spend: Mapped[Decimal | None] = mapped_column(Total)
    clv: Mapped[Decimal | None] = mapped_column(Total)
    clv_low: Mapped[Decimal | None] = mapped_column(Total)  # 90% interval
    clv_high: Mapped[Decimal | None] = mapped_column(Total)
    # Lifecycle
    lifecycle_stage: Mapped[str | None] = mapped_column(String(20))
    development_stage: Mapped[str | None] = mapped_column(String(20))
    churn_risk: Mapped[float | None] = mapped_column(Float)
    churned: Mapped[bool | None]
    # Satisfaction and loyalty
    nps: Mapped[int | None]
    csat: Mapped[int | None]
    satisfaction_gap: Mapped[float | None] = mapped_column(Float)
    attitude: Mapped[str | None] = mapped_column(String(10))
    repeat_purchase_rate: Mapped[float | None] = mapped_column(Float)
    purchase_interval_days: Mapped[float | None] = mapped_column(Float)
    referrals: Mapped[int] = mapped_column(Integer, default=0)
    decision_days: Mapped[int | None]
    loyalty: Mapped[str | None] = mapped_column(String(10))
    relationship: Mapped[str | None] = mapped_column(String(12))
    share_of_wallet: Mapped[float | None] = mapped_column(Float)
    wallet_exceeded: Mapped[bool | None]
    # Analytics consent withdrawn: the profiling columns above are empty (docs/analytics.md)
    profiling_withheld: Mapped[bool | None]
    # Tier (written by the tier engine when a policy is active; never graded on)
    tier_score: Mapped[float | None] = mapped_column(Float)
    qualified_tier: Mapped[str | None] = mapped_column(String(16))
    tier: Mapped[str | None] = mapped_column(String(16))
    tier_basis: Mapped[str | None] = mapped_column(String(10))
