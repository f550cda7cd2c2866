"""Hand-built facts for the analytics: a customer table of active enterprises and a Facts of
given order lines, so tests state only the purchases they are about."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from tierwise.analytics.extract import SCHEMAS, Facts


def active_enterprises(n: int) -> pa.Table:
    """Customers 1..n, active enterprises of credit A, with no prospect factors."""
    return pa.table(
        {
            "customer_id": pa.array(range(1, n + 1), pa.int64()),
            "kind": ["enterprise"] * n,
            "status": ["active"] * n,
            "credit_rating": ["A"] * n,
            "management_class": ["regular"] * n,
            "acquired_on": pa.array([None] * n, pa.date32()),
            "enterprise_nature": pa.array([None] * n, pa.string()),
            **{
                factor: pa.array([None] * n, pa.float64())
                for factor in (
                    "asset_scale",
                    "annual_revenue",
                    "growth_rate",
                    "potential_demand",
                    "wallet_estimate",
                )
            },
            "profiling_withheld": pa.array([False] * n),  # every one consents to analytics
        },
        schema=SCHEMAS["customers"],
    )


def facts_of(as_of: dt.date, lines: list[dict[str, Any]], customers: int) -> Facts:
    """The lines (dicts of the lines schema) of customers 1..n, with nothing else known."""
    empty = {
        name: SCHEMAS[name].empty_table() for name in ("referrals", "first_contacts", "surveys")
    }
    return Facts(
        as_of,
        pa.Table.from_pylist(lines, schema=SCHEMAS["lines"]),
        active_enterprises(customers),
        **empty,
    )
