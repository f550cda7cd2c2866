"""Grading by rules, scorecard and quota; prospects; and bulk grading equal to one-at-a-time."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tierwise.tiering.grading import grade, grade_one
from tierwise.tiering.policy import default_policy_text, load_policy

AS_OF = dt.date(2026, 11, 1)
HEAD = 'name = "t"\n'
TIER = '\n[[tiers]]\ncode = "{code}"\nname_zh = "{code}级"\nname_en = "{code}"\nrank = {rank}\n'


def tiers(*specs: str) -> str:
    """Tiers A, B, C … in order, each with its extra TOML lines; the last one asks nothing."""
    codes = "ABCDEFG"
    text = "".join(TIER.format(code=codes[i], rank=i + 1) + spec for i, spec in enumerate(specs))
    return text + TIER.format(code="Z", rank=len(specs) + 1)


def table(**columns: list[object]) -> pa.Table:
    """A snapshot-like table: customer ids, active status, then the given columns."""
    n = len(next(iter(columns.values())))
    base: dict[str, object] = {"customer_id": list(range(1, n + 1)), "status": ["active"] * n}
    return pa.table({**base, **columns})


def graded(source: str, data: pa.Table) -> list[str]:
    """The qualified tier of every row."""
    return list(grade(load_policy(source), data, AS_OF).qualified)


def test_rules_first_tier_from_the_top_wins_and_missing_never_qualifies() -> None:
    source = HEAD + tiers('when = "sales_12m >= 100"', 'when = "sales_12m >= 10"')
    data = table(sales_12m=[150.0, 50.0, 5.0, None])
    assert graded(source, data) == ["A", "B", "Z", "Z"]


def test_rules_can_read_text_and_combine_indicators() -> None:
    source = HEAD + tiers('when = "sales_12m >= 100 and credit_rating != \\"C\\""')
    data = table(sales_12m=[150.0, 150.0, 150.0], credit_rating=["A", "C", None])
    assert graded(source, data) == ["A", "Z", "Z"]


def test_scorecard_bands_and_percentiles_give_the_hand_computed_score() -> None:
    source = (
        HEAD
        + '[scorecard]\nfactors = [{ indicator = "sales_12m", weight = 1 },'
        + ' { indicator = "margin", weight = 1, bands = [[0.1, 50], [0.2, 100]] }]\n'
        + tiers("min_score = 70", "min_score = 40")
    )
    data = table(sales_12m=[100.0, 200.0, 300.0, None], margin=[0.05, 0.25, None, 0.5])
    result = grade(load_policy(source), data, AS_OF)
    # percentile among [100, 200, 300]: 0, 50, 100, missing 0; bands: 0, 100, 0, 100
    assert result.score.tolist() == [0.0, 75.0, 50.0, 50.0]
    assert list(result.qualified) == ["Z", "A", "B", "B"]


def test_scorecard_lower_is_better_and_text_points() -> None:
    source = (
        HEAD
        + '[scorecard]\nfactors = [{ indicator = "recency_days", weight = 3,'
        + " higher_is_better = false },"
        + ' { indicator = "credit_rating", weight = 1, points = { AAA = 100, A = 40 } }]\n'
        + tiers("min_score = 90")
    )
    data = table(recency_days=[10.0, 20.0, 30.0], credit_rating=["AAA", "A", "C"])
    score = grade(load_policy(source), data, AS_OF).score
    assert score.tolist() == [(3 * 100 + 100) / 4, (3 * 50 + 40) / 4, 0.0]


def test_quota_ties_at_the_last_place_all_qualify() -> None:
    source = HEAD + tiers('by = "gross_profit"\ntop_percent = 50')
    data = table(gross_profit=[30.0, 20.0, 20.0, 20.0])
    result = grade(load_policy(source), data, AS_OF)
    assert list(result.qualified) == ["A", "A", "A", "A"]  # two places, the cut-off ties three
    assert result.context.cutoffs == {"A": 20.0}


def test_quota_counts_from_the_top_and_skips_missing_and_blacklisted() -> None:
    source = HEAD + tiers('by = "gross_profit"\ntop_n = 1', 'by = "gross_profit"\ntop_n = 3')
    data = table(gross_profit=[10.0, 50.0, None, 40.0, 30.0, 5.0])
    data = data.set_column(1, "status", pa.array(["active", "blacklisted", *["active"] * 4]))
    result = grade(load_policy(source), data, AS_OF)
    assert list(result.qualified) == ["B", "Z", "Z", "A", "B", "Z"]  # 40 | 30, 10 (not 50)
    assert result.context.population == 5


def test_prospects_are_graded_by_their_scorecard_until_they_have_history() -> None:
    source = (
        HEAD
        + "[prospects]\nmin_orders = 2\nmin_days = 90\nfactors = ["
        + '{ indicator = "enterprise_nature", weight = 1, points = { state_owned = 100 } }]\n'
        + tiers('when = "sales_12m >= 100"\nprospect_min_score = 80')
    )
    data = table(
        orders=[0, 1, 3, 3],
        tenure_days=[None, 400.0, 30.0, 400.0],
        sales_12m=[None, 500.0, 500.0, 500.0],
        enterprise_nature=["state_owned", "private", "state_owned", "private"],
    )
    result = grade(load_policy(source), data, AS_OF)
    assert list(result.basis) == ["prospect", "prospect", "prospect", "value"]
    assert list(result.qualified) == ["A", "Z", "A", "A"]
    assert result.prospect_score[:3].tolist() == [100.0, 0.0, 100.0]


# ---------------------------------------------------------------------------------------------
# Bulk = one at a time, on the default policy (rules, scorecard, quota and prospects)

maybe_money = st.one_of(st.none(), st.sampled_from([0.0, 500.0, 40_000.0]), st.floats(-5e3, 2e5))
maybe_share = st.one_of(st.none(), st.sampled_from([0.12, 0.3]), st.floats(-1, 1))
row = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["active", "active", "dormant", "blacklisted", "prospect"]),
        "orders": st.one_of(st.none(), st.integers(0, 5)),
        "tenure_days": st.one_of(st.none(), st.integers(0, 400)),
        "sales_12m": maybe_money,
        "gross_profit": maybe_money,
        "margin": maybe_share,
        "p_alive": st.one_of(st.none(), st.floats(0, 1)),
        "growth_12m": maybe_share,
        "credit_rating": st.sampled_from([None, "A", "B", "AAA"]),
        "enterprise_nature": st.sampled_from([None, "state_owned", "private", "foreign"]),
        "annual_revenue": maybe_money.map(lambda v: v if v is None else v * 100),
        "asset_scale": maybe_money.map(lambda v: v if v is None else v * 100),
        "growth_rate": maybe_share,
        "potential_demand": maybe_money,
    }
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(row, min_size=1, max_size=40))
def test_bulk_grading_equals_grading_one_customer_at_a_time(rows: list[dict[str, object]]) -> None:
    policy = load_policy(default_policy_text())
    data = pa.Table.from_pylist(
        [{"customer_id": i + 1, **r} for i, r in enumerate(rows)],
        schema=pa.schema(
            [("customer_id", pa.int64()), ("status", pa.string()), ("orders", pa.int64())]
            + [("tenure_days", pa.int64())]
            + [(n, pa.float64()) for n in ("sales_12m", "gross_profit", "margin", "p_alive")]
            + [("growth_12m", pa.float64()), ("credit_rating", pa.string())]
            + [("enterprise_nature", pa.string())]
            + [(n, pa.float64()) for n in ("annual_revenue", "asset_scale", "growth_rate")]
            + [("potential_demand", pa.float64())]
        ),
    )
    bulk = grade(policy, data, AS_OF)
    for i, values in enumerate(data.to_pylist()):
        one = grade_one(policy, values, AS_OF, bulk.context)
        assert (one.qualified, one.basis) == (bulk.qualified[i], bulk.basis[i]), values
        for single, many in (
            (one.score, bulk.score[i]),
            (one.prospect_score, bulk.prospect_score[i]),
        ):
            assert (single is None and math.isnan(many)) or single == many
    assert set(np.unique(bulk.qualified)) <= {t.code for t in policy.value_tiers}


def test_quota_values_equal_to_the_cent_tie_whatever_their_last_bits() -> None:
    source = HEAD + tiers('by = "gross_profit"\ntop_n = 1')
    data = table(gross_profit=[78.0, 77.99999999999999, 77.5])
    assert graded(source, data) == ["A", "A", "Z"]  # a float sum's noise never splits a tie
