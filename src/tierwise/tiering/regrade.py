"""One customer between recomputes: an order, an override or the blacklist moves its tier now.

The customer's row is its latest snapshot row with the value indicators recomputed from its own
order lines (same Ibis expressions); it is graded by the same parsed policy against the latest
evaluation's population (percentiles and quota cut-offs), and only what takes effect at once moves:
upgrades, overrides, the blacklist, and returns that undo a recent upgrade. Downgrade clocks wait
for the next recompute.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
from sqlalchemy import Connection, select, true

from tierwise.analytics.extract import SCHEMAS, queries
from tierwise.analytics.indicators import value_indicators
from tierwise.analytics.models import AnalyticsRun, CustomerIndicator
from tierwise.customers.creation import CustomerCreated
from tierwise.customers.models import Customer
from tierwise.db.session import UnitOfWork
from tierwise.sales.service import OrderRecorded
from tierwise.tiering import engine, store
from tierwise.tiering.grading import VALUE, Context, Grades, RowGrade, grade_one
from tierwise.tiering.kinds import CUSTOMER_FILE_COLUMNS, PROSPECT_FACTORS
from tierwise.tiering.models import CustomerTier, TierEvaluation
from tierwise.tiering.policy import Policy

REFRESHED = (
    "sales",
    "cost",
    "gross_profit",
    "margin",
    "cost_coverage",
    "sales_12m",
    "sales_prev_12m",
    "growth_12m",
    "avg_monthly_sales",
    "avg_quarterly_sales",
    "avg_annual_sales",
    "orders",
    "returns_ratio",
    "product_lines",
    "products",
    "departments",
    "first_order",
    "last_order",
    "recency_days",
    "tenure_days",
)
"""The snapshot columns one customer's own lines recompute exactly; the rest (ranks, CLV) wait."""


def regrade(
    conn: Connection, customer_id: int, today: dt.date, author: str | None, note: str | None
) -> str | None:
    """Move one customer's tier for what takes effect at once; its tier now (None: no policy)."""
    active = engine.active_policy(conn)
    if active is None:
        return None
    policy = active.policy
    row, graded, context = grade_now(conn, policy, customer_id, today)
    grades = Grades(
        qualified=np.array([graded.qualified], dtype=object),
        basis=np.array([graded.basis], dtype=object),
        score=np.array([np.nan if graded.score is None else graded.score]),
        prospect_score=np.array(
            [np.nan if graded.prospect_score is None else graded.prospect_score]
        ),
        context=context,
    )
    names = sorted(policy.indicators() | {"customer_id", "status"})
    table = pa.Table.from_pylist([{n: row.get(n) for n in names}])
    ev = engine.evaluate_rows(conn, active, table, grades, today)
    store.write(conn, ev, table, None, author=author, note=note)
    return str(ev.tier_codes(ev.outcome.state.tier)[0])


@dataclass(frozen=True)
class TierChanged:
    """A customer's tier moved between recomputes (an order, an override, the blacklist)."""

    customer_id: int
    tier: str
    today: dt.date
    author: str | None


def regrade_now(
    uow: UnitOfWork, customer_id: int, today: dt.date, author: str | None, note: str | None
) -> str | None:
    """Regrade one customer in the unit (see `regrade`); a tier that moved is stated as a fact,
    so its consequences follow at once."""
    conn = uow.connection
    before = conn.execute(
        select(CustomerTier.tier).where(CustomerTier.customer_id == customer_id)
    ).scalar()
    tier = regrade(conn, customer_id, today, author, note)
    if tier is not None and tier != before:
        uow.happened(TierChanged(customer_id, tier, today, author))
    return tier


def regrade_after_order(uow: UnitOfWork, fact: OrderRecorded) -> dict[str, str | None]:
    """An order moves its customer's tier at once if it earns it (or a return undoes it)."""
    tier = regrade_now(uow, fact.customer_id, fact.effective, fact.author, fact.order_code)
    return {"tier": tier}


def grade_new_customer(uow: UnitOfWork, fact: CustomerCreated) -> dict[str, str | None]:
    """A customer added by hand is graded at once (a prospect on the prospect scorecard), so its
    tier's owner rules apply without waiting for the next recompute."""
    tier = regrade_now(uow, fact.customer_id, fact.today, fact.author, "created")
    return {"tier": tier}


def grade_now(
    conn: Connection, policy: Policy, customer_id: int, today: dt.date
) -> tuple[dict[str, Any], RowGrade, Context]:
    """One customer's row with fresh value indicators, its grade, and the population used."""
    row, context = _latest(conn, customer_id, policy)
    row.update(_fresh_values(conn, customer_id, today))
    # Net profit follows the fresh gross profit; what serving cost waits for the next recompute.
    gross, served = row.get("gross_profit"), row.get("cost_to_serve")
    if gross is not None:
        row["net_profit"] = float(gross) - float(served or 0)
    return row, grade_one(policy, row, today, context), context


def _latest(conn: Connection, customer_id: int, policy: Policy) -> tuple[dict[str, Any], Context]:
    """The customer's latest snapshot row and file columns, and the population it was graded in."""
    ci, c = CustomerIndicator.__table__, Customer.__table__
    runs, evaluations = AnalyticsRun.__table__, TierEvaluation.__table__
    latest = conn.execute(
        select(runs.c.id, evaluations.c.context)
        .join(evaluations, evaluations.c.run_id == runs.c.id)
        .order_by(runs.c.as_of.desc())
        .limit(1)
    ).first()
    file_columns = [c.c[n] for n in ("id", "status", *CUSTOMER_FILE_COLUMNS, *PROSPECT_FACTORS)]
    customer = conn.execute(select(*file_columns).where(c.c.id == customer_id)).mappings().one()
    row: dict[str, Any] = {n: v for n, v in customer.items() if n != "id"}
    row["customer_id"] = customer_id
    if latest is None:
        return row, Context(population=0)
    stored = (
        conn.execute(select(ci).where(ci.c.run_id == latest.id, ci.c.customer_id == customer_id))
        .mappings()
        .first()
    )
    for name, value in (stored or {}).items():
        if name not in row:
            row[name] = value
    raw = latest.context or {}
    context = Context(
        population=int(raw.get("population", 0)),
        percentiles=_population(conn, latest.id, policy),
        cutoffs={k: (None if v is None else float(v)) for k, v in raw.get("cutoffs", {}).items()},
    )
    return row, context


def _population(conn: Connection, run_id: int, policy: Policy) -> dict[str, list[float]]:
    """The sorted values of each percentile factor among the customers graded on value."""
    card = policy.document.scorecard
    ci = CustomerIndicator.__table__
    blacklist = policy.blacklist.code if policy.blacklist else None
    out: dict[str, list[float]] = {}
    for factor in card.factors if card else []:
        if factor.method != "percentile" or factor.indicator not in ci.c:
            continue
        column = ci.c[factor.indicator]
        query = (
            select(column)
            .where(ci.c.run_id == run_id, ci.c.tier_basis == VALUE, column.is_not(None))
            .where(ci.c.tier != blacklist if blacklist else true())
            .order_by(column)
        )
        out[factor.indicator] = [float(v) for v in conn.execute(query).scalars()]
    return out


def _fresh_values(conn: Connection, customer_id: int, today: dt.date) -> dict[str, Any]:
    """The value indicators of one customer from its own order lines, as of today."""
    query = queries(today)["lines"]
    lines = conn.execute(query.where(query.selected_columns[0] == customer_id)).all()
    schema = SCHEMAS["lines"]
    table = pa.Table.from_pylist([dict(zip(schema.names, r, strict=True)) for r in lines], schema)
    if table.num_rows == 0:
        return {}
    backend = ibis.duckdb.connect()
    values = backend.to_pyarrow(value_indicators(backend.create_table("lines", table), today))
    found = values.to_pylist()[0]
    return {name: found.get(name) for name in REFRESHED}
