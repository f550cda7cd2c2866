"""Which tier each customer qualifies for by value (or as a prospect), in bulk and one at a time.

The bulk path compiles every tier's condition into one Ibis query on the analytics engine and
scores and ranks with NumPy; the single-customer path evaluates the same parsed policy in plain
Python against the population context the bulk path left behind. A property test holds them equal.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import ibis
import numpy as np
import pyarrow as pa

from tierwise.analytics.engines import load
from tierwise.tiering.document import SCORE, Factor, Scorecard, Tier
from tierwise.tiering.expressions import compile_condition, evaluate, indicator_schema
from tierwise.tiering.policy import Policy, quota_size

VALUE, PROSPECT = "value", "prospect"
PROSPECTS = "prospects"
"""The line of every distribution holding the prospects apart from the tiers (their grade is kept
and becomes their tier at their first purchase)."""
# A quota key is taken over a whole column in batch and of one value when an order lands.
QuotaValues = TypeVar("QuotaValues", np.ndarray, np.float64)


@dataclass(frozen=True)
class Context:
    """What grading one customer needs to know about everyone: percentile populations and quota
    cut-offs (the key value of the last place in each quota; ties at it all qualify)."""

    population: int
    percentiles: dict[str, list[float]] = field(default_factory=dict)
    prospect_percentiles: dict[str, list[float]] = field(default_factory=dict)
    cutoffs: dict[str, float | None] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The cut-offs and sizes for the evaluation record (percentile lists stay in memory)."""
        return {"population": self.population, "cutoffs": self.cutoffs}


@dataclass(frozen=True)
class Grades:
    """The bulk result, row-aligned with the input table."""

    qualified: np.ndarray
    basis: np.ndarray
    score: np.ndarray
    prospect_score: np.ndarray
    context: Context


# ---------------------------------------------------------------------------------------------
# Bulk


def grade(policy: Policy, table: pa.Table, as_of: dt.date, backend: Any | None = None) -> Grades:
    """Grade every row of a snapshot table (one row per customer) under the policy."""
    n = table.num_rows
    graded = _graded_on_value(policy, table)
    listed = np.asarray(table.column("status").to_pylist(), dtype=object) == "blacklisted"
    population = graded & ~listed
    conditions = _conditions(policy, table, as_of, backend)
    score = _score(policy.document.scorecard, table, population)
    prospects = ~graded & ~listed
    prospect_score = _score(policy.document.prospects, table, prospects)
    context = Context(
        population=int(population.sum()),
        percentiles=_populations(policy.document.scorecard, table, population),
        prospect_percentiles=_populations(policy.document.prospects, table, prospects),
    )
    lowest = policy.value_tiers[-1].code
    qualified = np.full(n, lowest, dtype=object)
    decided = np.zeros(n, dtype=bool)
    for tier in policy.value_tiers[:-1]:
        ok = graded & ~decided
        if tier.code in conditions:
            ok &= conditions[tier.code]
        if tier.min_score is not None:
            ok &= np.nan_to_num(score, nan=-1.0) >= tier.min_score
        if tier.by is not None:
            key = quota_key(score if tier.by == SCORE else _numbers(table, tier.by))
            cutoff = _cutoff(key[population], quota_size(tier, context.population))
            context.cutoffs[tier.code] = cutoff
            within = np.nan_to_num(key, nan=-np.inf) >= (np.inf if cutoff is None else cutoff)
            ok &= population & within
        qualified[ok] = tier.code
        decided |= ok
        if tier.prospect_min_score is not None:
            fit = (
                prospects
                & ~decided
                & (np.nan_to_num(prospect_score, nan=-1.0) >= tier.prospect_min_score)
            )
            qualified[fit] = tier.code
            decided |= fit
    basis = np.where(graded, VALUE, PROSPECT).astype(object)
    return Grades(qualified, basis, score, prospect_score, context)


def _graded_on_value(policy: Policy, table: pa.Table) -> np.ndarray:
    prospects = policy.document.prospects
    if prospects is None:
        return np.ones(table.num_rows, dtype=bool)
    orders = np.nan_to_num(_numbers(table, "orders"))
    tenure = np.nan_to_num(_numbers(table, "tenure_days"), nan=-1.0)
    return (orders >= prospects.min_orders) & (tenure >= prospects.min_days)


def _conditions(
    policy: Policy, table: pa.Table, as_of: dt.date, backend: Any | None
) -> dict[str, np.ndarray]:
    """Every tier condition as a boolean column, from one query on the analytics engine."""
    if not policy.conditions:
        return {}
    names = sorted({c for c in policy.indicators() if c in table.column_names})
    rows = table.select(names).append_column("_row", pa.array(np.arange(table.num_rows)))
    relation = load(backend or ibis.duckdb.connect(), "tier_input", rows)
    schema = indicator_schema()
    query = relation.select(
        "_row",
        **{
            f"c_{code}": compile_condition(node, relation, as_of, schema)
            for code, node in policy.conditions.items()
        },
    ).order_by("_row")
    result = query.to_pyarrow()
    return {
        code: result.column(f"c_{code}").to_numpy(zero_copy_only=False).astype(bool)
        for code in policy.conditions
    }


def _numbers(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)


def _populations(
    card: Scorecard | None, table: pa.Table, members: np.ndarray
) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for factor in card.factors if card else []:
        if factor.method == "percentile":
            values = _numbers(table, factor.indicator)[members]
            out[factor.indicator] = np.sort(values[~np.isnan(values)]).tolist()
    return out


def _score(card: Scorecard | None, table: pa.Table, members: np.ndarray) -> np.ndarray:
    """The 0–100 score of every member (NaN for everyone else)."""
    n = table.num_rows
    if card is None:
        return np.full(n, np.nan)
    total = np.zeros(n)
    weights = 0.0
    for factor in card.factors:
        if factor.method == "points":
            values = np.asarray(table.column(factor.indicator).to_pylist(), dtype=object)
            points = np.array([_points(factor, v) for v in values], dtype=np.float64)
        else:
            values = _numbers(table, factor.indicator)
            if factor.method == "bands":
                points = _band_points(factor, values)
            else:
                population = values[members]
                points = _percentile_points(
                    factor, values, np.sort(population[~np.isnan(population)])
                )
        total = total + factor.weight * points
        weights += factor.weight
    return np.where(members, total / weights, np.nan)


def _band_points(factor: Factor, values: np.ndarray) -> np.ndarray:
    assert factor.bands is not None
    thresholds = np.array([b[0] for b in factor.bands])
    points = np.array([b[1] for b in factor.bands])
    index = np.searchsorted(thresholds, np.nan_to_num(values, nan=-np.inf), side="right") - 1
    return np.where((index >= 0) & ~np.isnan(values), points[np.maximum(index, 0)], 0.0)


def _percentile_points(factor: Factor, values: np.ndarray, ordered: np.ndarray) -> np.ndarray:
    m = len(ordered)
    if m == 0:
        return np.zeros(len(values))
    if factor.higher_is_better:
        place = np.searchsorted(ordered, values, side="left").astype(np.float64)
    else:
        place = (m - np.searchsorted(ordered, values, side="right")).astype(np.float64)
    share = place / (m - 1) * 100 if m > 1 else np.full(len(values), 100.0)
    return np.where(np.isnan(values), 0.0, np.minimum(share, 100.0))


def quota_key(values: QuotaValues) -> QuotaValues:
    """Quota values to the cent: sums of money differ in their last bits from run to run, and a
    customer exactly at the cut-off must land on the same side every time."""
    return np.round(values, 2)


def _cutoff(keys: np.ndarray, places: int) -> float | None:
    """The key value of the last place in a quota; None when nobody has a key."""
    known = np.sort(keys[~np.isnan(keys)])[::-1]
    if len(known) == 0 or places <= 0:
        return None
    return float(known[min(places, len(known)) - 1])


# ---------------------------------------------------------------------------------------------
# One customer


@dataclass(frozen=True)
class RowGrade:
    """One customer's grade."""

    qualified: str
    basis: str
    score: float | None
    prospect_score: float | None


def grade_one(
    policy: Policy, row: Mapping[str, object], as_of: dt.date, context: Context
) -> RowGrade:
    """Grade one customer's row against the population context of the last bulk grading."""
    graded = _row_graded(policy, row)
    listed = row.get("status") == "blacklisted"
    score = (
        row_score(policy.document.scorecard, row, context.percentiles)
        if graded and not listed
        else None
    )
    prospect_score = (
        row_score(policy.document.prospects, row, context.prospect_percentiles)
        if not graded and not listed
        else None
    )
    for tier in policy.value_tiers[:-1]:
        if graded and qualifies(policy, tier, row, as_of, score, context, listed):
            return RowGrade(tier.code, VALUE, score, prospect_score)
        if (
            not graded
            and not listed
            and tier.prospect_min_score is not None
            and prospect_score is not None
            and prospect_score >= tier.prospect_min_score
        ):
            return RowGrade(tier.code, PROSPECT, score, prospect_score)
    return RowGrade(
        policy.value_tiers[-1].code, VALUE if graded else PROSPECT, score, prospect_score
    )


def qualifies(
    policy: Policy,
    tier: Tier,
    row: Mapping[str, object],
    as_of: dt.date,
    score: float | None,
    context: Context,
    listed: bool = False,
) -> bool:
    """Whether a customer graded on value meets every criterion of the tier."""
    node = policy.conditions.get(tier.code)
    if node is not None and not evaluate(node, row, as_of):
        return False
    if tier.min_score is not None and (score is None or score < tier.min_score):
        return False
    if tier.by is not None:
        raw = score if tier.by == SCORE else _float(row.get(tier.by))
        key = None if raw is None else float(quota_key(np.float64(raw)))
        cutoff = context.cutoffs.get(tier.code)
        if listed or key is None or cutoff is None or key < cutoff:
            return False
    return True


def _row_graded(policy: Policy, row: Mapping[str, object]) -> bool:
    prospects = policy.document.prospects
    if prospects is None:
        return True
    orders = _float(row.get("orders")) or 0.0
    tenure = _float(row.get("tenure_days"))
    return (
        orders >= prospects.min_orders
        and (tenure if tenure is not None else -1.0) >= prospects.min_days
    )


def row_score(
    card: Scorecard | None, row: Mapping[str, object], percentiles: Mapping[str, list[float]]
) -> float | None:
    """One customer's 0–100 score, computed exactly as the bulk path does."""
    if card is None:
        return None
    total = 0.0
    weights = 0.0
    for factor in card.factors:
        total = total + factor.weight * factor_points(
            factor, row.get(factor.indicator), percentiles
        )
        weights += factor.weight
    return total / weights


def factor_points(factor: Factor, value: object, percentiles: Mapping[str, list[float]]) -> float:
    """The points one value earns on one factor."""
    if factor.method == "points":
        return _points(factor, value)
    number = _float(value)
    if number is None:
        return 0.0
    if factor.method == "bands":
        assert factor.bands is not None
        index = bisect.bisect_right([b[0] for b in factor.bands], number) - 1
        return float(factor.bands[index][1]) if index >= 0 else 0.0
    ordered = percentiles.get(factor.indicator, [])
    m = len(ordered)
    if m == 0:
        return 0.0
    if factor.higher_is_better:
        place = float(bisect.bisect_left(ordered, number))
    else:
        place = float(m - bisect.bisect_right(ordered, number))
    return min(place / (m - 1) * 100, 100.0) if m > 1 else 100.0


def _points(factor: Factor, value: object) -> float:
    assert factor.points is not None
    return float(factor.points.get(str(value), 0.0)) if value is not None else 0.0


def _float(value: object) -> float | None:
    if value is None or isinstance(value, str | bool):
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if np.isnan(number) else number


def not_buying(
    basis: np.ndarray, orders: np.ndarray, tiers: np.ndarray, blacklist: str | None
) -> np.ndarray:
    """The prospects: graded on the prospect scorecard with no order yet, and not blacklisted."""
    bought = np.nan_to_num(np.asarray(orders, dtype=np.float64)) > 0
    return (np.asarray(basis, dtype=object) == PROSPECT) & ~bought & (tiers != blacklist)


def counts_apart(tiers: np.ndarray, prospects: np.ndarray) -> dict[str, int]:
    """Customers per tier, the prospects counted on their own line."""
    counts: dict[str, int] = {}
    for code in tiers[~prospects].tolist():
        counts[code] = counts.get(code, 0) + 1
    counts[PROSPECTS] = int(prospects.sum())
    return counts
