"""What analytics adds to the customer list and file: the list filtered by RFM segment, and on
the 360 a few figures over the last snapshots."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tierwise.analytics.labels import value_label
from tierwise.analytics.models import AnalyticsRun, CustomerIndicator
from tierwise.customers.models import Customer
from tierwise.customers.service import CustomerFileRead, CustomersFiltered
from tierwise.db.session import UnitOfWork

TREND = (
    "sales_12m",
    "gross_profit",
    "net_profit",
    "cost_to_serve",
    "clv",
    "clv_low",
    "clv_high",
    "p_alive",
    "rfm_segment",
    "development_stage",
    "share_of_wallet",
    "wallet_exceeded",
    "profiling_withheld",  # the five judgements above are then empty, and the page says why
)
LABELLED = ("rfm_segment", "development_stage")  # stored codes the page shows by their labels
SNAPSHOTS_SHOWN = 6


def segment_condition(uow: UnitOfWork, fact: CustomersFiltered) -> dict[str, Any]:
    """The customers in the RFM segment asked for, in the latest snapshot."""
    if fact.segment is None:
        return {}
    latest = select(AnalyticsRun.id).order_by(AnalyticsRun.as_of.desc()).limit(1)
    members = select(CustomerIndicator.customer_id).where(
        CustomerIndicator.run_id == latest.scalar_subquery(),
        CustomerIndicator.rfm_segment == fact.segment,
    )
    return {"segment": Customer.id.in_(members)}


def trend_of_file(uow: UnitOfWork, fact: CustomerFileRead) -> dict[str, Any]:
    """On the 360: a few indicators of the customer in each of the last snapshots, oldest
    first."""
    if not fact.whole:
        return {}
    ci = CustomerIndicator
    rows = uow.session.execute(
        select(AnalyticsRun.as_of, *[getattr(ci, n) for n in TREND])
        .join(ci, ci.run_id == AnalyticsRun.id)
        .where(ci.customer_id == fact.customer_id)
        .order_by(AnalyticsRun.as_of.desc())
        .limit(SNAPSHOTS_SHOWN)
    ).mappings()
    trend = [
        {name: value_label(v) if name in LABELLED and v else v for name, v in row.items()}
        for row in rows
    ]
    return {"trend": trend[::-1]}
