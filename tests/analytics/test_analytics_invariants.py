"""Invariants of the snapshot over random facts: scores in range, shares add up, CLV ≥ 0."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tierwise.analytics.extract import SCHEMAS, Facts
from tierwise.analytics.params import AnalyticsParams
from tierwise.analytics.snapshot import compute

from ..support.facts import active_enterprises

AS_OF = dt.date(2026, 11, 1)
CATEGORIES = ("A", "B", "C")


def _empty(name: str) -> pa.Table:
    return SCHEMAS[name].empty_table()


@st.composite
def facts(draw: st.DrawFn) -> Facts:
    """A small random business: customers, some of whom bought, some with losses and returns."""
    n = draw(st.integers(min_value=12, max_value=40))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    rng = np.random.default_rng(seed)
    rows = []
    order_id = 0
    for customer in range(1, n + 1):
        for _ in range(int(rng.poisson(rng.uniform(0, 8)))):
            order_id += 1
            day = AS_OF - dt.timedelta(days=int(rng.integers(0, 1200)))
            amount = float(np.round(rng.lognormal(5, 1.2), 2))
            margin = rng.uniform(-0.3, 0.6)
            rows.append(
                (
                    customer,
                    order_id,
                    day,
                    None,
                    int(rng.integers(1, 9)),
                    CATEGORIES[int(rng.integers(0, 3))],
                    amount,
                    float(np.round(amount * (1 - margin), 2)),
                    False,
                )
            )
            if rng.random() < 0.05:
                order_id += 1
                rows.append(
                    (
                        customer,
                        order_id,
                        day + dt.timedelta(days=3),
                        None,
                        rows[-1][4],
                        rows[-1][5],
                        -amount / 2,
                        -rows[-1][7] / 2,
                        True,
                    )
                )
    rows = [r for r in rows if r[2] <= AS_OF]
    lines = pa.Table.from_pylist(
        [dict(zip(SCHEMAS["lines"].names, r, strict=True)) for r in rows], schema=SCHEMAS["lines"]
    )
    customers = active_enterprises(n)
    return Facts(
        AS_OF, lines, customers, _empty("referrals"), _empty("first_contacts"), _empty("surveys")
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts())
def test_snapshot_invariants(sample: Facts) -> None:
    snapshot = compute(sample, AnalyticsParams())
    rows = snapshot.indicators.to_pylist()
    buyers = [r for r in rows if r["orders"]]
    assert len(rows) == sample.customers.num_rows
    for row in buyers:
        for score in ("r_score", "f_score", "m_score"):
            assert 1 <= row[score] <= 5
        assert row["rfm_segment"] is not None
        assert row["abc_class"] in {"vip", "major", "normal", "small"}
        if row["p_alive"] is not None:
            assert 0 <= row["p_alive"] <= 1
            assert row["expected_purchases"] >= 0
        if row["clv"] is not None:
            assert row["clv"] >= 0
        assert row["attitude"] is None  # nobody was surveyed: never an invented attitude
    for row in rows:
        if not row["orders"]:
            assert row["r_score"] is None and row["abc_class"] is None
    # Equal recency means equal R score: ties never split across quintiles.
    by_recency: dict[int, set[int]] = {}
    for row in buyers:
        by_recency.setdefault(row["recency_days"], set()).add(row["r_score"])
    assert all(len(scores) == 1 for scores in by_recency.values())
    # The whale curve ends at the total profit, and ranks are 1..n.
    ranked = sorted(buyers, key=lambda r: r["profit_rank"])
    assert [r["profit_rank"] for r in ranked] == list(range(1, len(ranked) + 1))
    total = sum(r["gross_profit"] or 0 for r in buyers)
    if buyers and abs(total) > 1e-6:
        assert ranked[-1]["profit_cum_share"] == pytest.approx(1.0)
    # ABC profit shares in the headline add up to the whole.
    shares = [s["profit_share"] for s in snapshot.headline["abc"].values()]
    if all(s is not None for s in shares) and buyers:
        assert sum(shares) == pytest.approx(1.0)
