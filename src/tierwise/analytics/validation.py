"""How far to trust the CLV models: BG/NBD fitted on a calibration period predicts a holdout
period, and what customers then bought is set beside it — in total, week by week (Fader, Hardie &
Lee's tracking plot) and by calibration frequency (their conditional-expectation plot).

The summary is the recompute's (``btyd_summary``): a customer's holdout purchases are the repeat
purchases of the summary as of the holdout end minus those as of the calibration end, so both
periods count purchases exactly as the models do. Only customers whose first purchase falls on or
before the calibration end take part.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import ibis
import numpy as np
import pyarrow as pa
from ibis.backends import BaseBackend
from sqlalchemy import Engine

from tierwise.analytics import clv
from tierwise.analytics.engines import connect, load
from tierwise.analytics.extract import SCHEMAS, fetch, queries
from tierwise.analytics.indicators import btyd_summary, purchases
from tierwise.analytics.params import AnalyticsParams
from tierwise.i18n import _

Stage = Callable[[str], None]
TOP_BUCKET = 7  # calibration frequencies of 7 and more share the last bucket, as in FHL's plot
WEEK_DAYS = 7
MIN_CUSTOMERS = 2  # BG/NBD needs customers of different ages to be fitted at all


class ValidationRefused(ValueError):
    """A holdout check that cannot run on these dates or these facts; the message says why."""


@dataclass(frozen=True)
class Observed:
    """What the facts say: per-customer summaries and the purchase calendar, in epoch days."""

    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    holdout: np.ndarray
    birth_days: np.ndarray  # distinct first-purchase days of the cohort
    births: np.ndarray  # customers born on each of those days
    repeat_days: np.ndarray  # distinct days with repeat purchases of the cohort
    repeats: np.ndarray  # repeat purchases on each of those days


@dataclass(frozen=True)
class Week:
    """One week of the tracking table: repeat purchases in it and since the start."""

    number: int  # 1 for the week of the first purchase
    ends: dt.date  # its last day (the holdout end for a shortened last week)
    in_holdout: bool
    actual: float
    predicted: float
    cumulative_actual: float
    cumulative_predicted: float


@dataclass(frozen=True)
class Bucket:
    """Customers with one calibration frequency (the last bucket: that many or more)."""

    frequency: int
    customers: int
    actual_mean: float
    predicted_mean: float


@dataclass(frozen=True)
class Validation:
    """A holdout check: the fit, the totals, the weekly tracking and the frequency buckets."""

    calibration_end: dt.date
    holdout_end: dt.date
    params: AnalyticsParams
    fit: clv.Fit
    customers: int
    calibration_actual: float
    calibration_predicted: float  # from each customer's first purchase date only
    holdout_actual: float
    holdout_predicted: float  # conditional on each customer's calibration summary
    weeks: list[Week]
    buckets: list[Bucket]


def error_percent(predicted: float, actual: float) -> float | None:
    """(predicted − actual) / actual in percent; None where nothing was bought."""
    return None if actual == 0 else (predicted - actual) / actual * 100.0


def check_dates(calibration_end: dt.date, holdout_end: dt.date) -> None:
    """Refuse a holdout that ends before it starts."""
    if holdout_end <= calibration_end:
        message = _("The holdout end {holdout} must come after the calibration end {calibration}.")
        raise ValidationRefused(message.format(holdout=holdout_end, calibration=calibration_end))


def validate(
    engine: Engine,
    calibration_end: dt.date,
    holdout_end: dt.date,
    params: AnalyticsParams,
    stage: Stage | None = None,
) -> Validation:
    """Read the order lines up to the holdout end, fit on the calibration period, compare."""
    step = stage or (lambda _name: None)
    check_dates(calibration_end, holdout_end)
    step("reading")
    wanted = {"lines": (queries(holdout_end)["lines"], SCHEMAS["lines"])}
    lines = fetch(engine, wanted)["lines"]
    step("summarising")
    observed = observe(lines, calibration_end, holdout_end, params)
    step("fitting")
    fit = fit_on(observed, calibration_end)
    step("predicting")
    return compare(observed, fit, calibration_end, holdout_end, params)


def fit_on(observed: Observed, calibration_end: dt.date) -> clv.Fit:
    """BG/NBD on the calibration summaries, refused where no customer has any history yet."""
    if not (observed.T > 0).any():
        raise ValidationRefused(
            _(
                "Every customer first bought on {day}: the calibration period holds no history "
                "to learn from."
            ).format(day=calibration_end)
        )
    return clv.fit_bg_nbd(observed.frequency, observed.recency, observed.T)


def observe(
    lines: pa.Table, calibration_end: dt.date, holdout_end: dt.date, params: AnalyticsParams
) -> Observed:
    """The calibration summaries, holdout purchases and purchase calendar of the cohort."""
    backend = connect("duckdb")
    table = load(backend, "lines", lines)
    calibration = btyd_summary(
        table.filter(table.order_date <= calibration_end), calibration_end, params
    )
    whole = btyd_summary(table.filter(table.order_date <= holdout_end), holdout_end, params)
    joined = calibration.join(whole, "customer_id", rname="{name}_whole")
    summary = backend.to_pyarrow(
        joined.select(
            frequency=joined.btyd_frequency,
            recency=joined.btyd_recency,
            T=joined.btyd_t,
            holdout=joined.btyd_frequency_whole - joined.btyd_frequency,
        ).order_by("frequency", "T", "recency", "holdout")
    )
    if summary.num_rows < MIN_CUSTOMERS:
        raise ValidationRefused(
            _(
                "Fewer than {n} customers bought on or before {day}: "
                "there is nothing to fit the purchase model on."
            ).format(n=MIN_CUSTOMERS, day=calibration_end)
        )
    births, repeats = _calendar(backend, table, calibration_end, holdout_end)
    column = {
        name: summary.column(name).to_numpy().astype(np.float64) for name in summary.column_names
    }
    return Observed(
        frequency=column["frequency"],
        recency=column["recency"],
        T=column["T"],
        holdout=column["holdout"],
        birth_days=births[0],
        births=births[1],
        repeat_days=repeats[0],
        repeats=repeats[1],
    )


def _calendar(
    backend: BaseBackend, table: ibis.Table, calibration_end: dt.date, holdout_end: dt.date
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Cohort customers born on each day, and their repeat purchases on each day (epoch days)."""
    sales = purchases(table.filter(table.order_date <= holdout_end))
    days = sales.select("customer_id", day=sales.order_date.epoch_days()).distinct()
    firsts = days.group_by("customer_id").aggregate(first=days.day.min())
    cohort = firsts.filter(firsts.first <= ibis.date(calibration_end).epoch_days())
    births = cohort.group_by("first").aggregate(n=cohort.count()).order_by("first")
    later = days.join(cohort, "customer_id")
    later = later.filter(later.day > later.first)
    repeats = later.group_by("day").aggregate(n=later.count()).order_by("day")

    def arrays(expression: ibis.Table, key: str) -> tuple[np.ndarray, np.ndarray]:
        result = backend.to_pyarrow(expression)
        return (
            result.column(key).to_numpy().astype(np.int64),
            result.column("n").to_numpy().astype(np.float64),
        )

    return arrays(births, "first"), arrays(repeats, "day")


def compare(
    observed: Observed,
    fit: clv.Fit,
    calibration_end: dt.date,
    holdout_end: dt.date,
    params: AnalyticsParams,
) -> Validation:
    """Predictions beside the observed purchases: totals, weeks and frequency buckets."""
    unit = float(params.unit_days)
    span = (holdout_end - calibration_end).days / unit
    predicted = clv.expected_purchases(fit, span, observed.frequency, observed.recency, observed.T)
    weeks = track(observed, fit, calibration_end, holdout_end, unit)
    calibration_predicted = cumulative_expected(
        fit, observed, np.array([_epoch_day(calibration_end)]), unit
    )[0]
    return Validation(
        calibration_end=calibration_end,
        holdout_end=holdout_end,
        params=params,
        fit=fit,
        customers=int(observed.frequency.size),
        calibration_actual=float(observed.frequency.sum()),
        calibration_predicted=float(calibration_predicted),
        holdout_actual=float(observed.holdout.sum()),
        holdout_predicted=float(predicted.sum()),
        weeks=weeks,
        buckets=buckets(observed.frequency, observed.holdout, predicted),
    )


def track(
    observed: Observed, fit: clv.Fit, calibration_end: dt.date, holdout_end: dt.date, unit: float
) -> list[Week]:
    """Weekly repeat purchases from the first purchase to the holdout end, actual and expected."""
    # The expectation by a day is Σ over customers of E[X(age that day)], BG/NBD's unconditional
    # expectation (eq. 9) from each first purchase; a week's is how much that sum grows over it.
    start = int(observed.birth_days.min())
    last = _epoch_day(holdout_end)
    count = -(-(last - start + 1) // WEEK_DAYS)
    ends = np.minimum(start + WEEK_DAYS * np.arange(1, count + 1) - 1, last)
    position = np.searchsorted(observed.repeat_days, ends, side="right")
    cumulative_actual = np.concatenate([[0.0], np.cumsum(observed.repeats)])[position]
    cumulative_predicted = cumulative_expected(fit, observed, ends, unit)
    actual = np.diff(cumulative_actual, prepend=0.0)
    expected = np.diff(cumulative_predicted, prepend=0.0)
    boundary = _epoch_day(calibration_end)
    return [
        Week(
            number=i + 1,
            ends=dt.date(1970, 1, 1) + dt.timedelta(days=int(end)),
            in_holdout=bool(end > boundary),
            actual=float(actual[i]),
            predicted=float(expected[i]),
            cumulative_actual=float(cumulative_actual[i]),
            cumulative_predicted=float(cumulative_predicted[i]),
        )
        for i, end in enumerate(ends)
    ]


def cumulative_expected(
    fit: clv.Fit, observed: Observed, ends: np.ndarray, unit: float
) -> np.ndarray:
    """Σ over cohort customers of their expected repeat purchases from birth to each end day."""
    ages = np.maximum(ends[None, :] - observed.birth_days[:, None], 0) / unit
    expected = clv.expected_purchases(fit, ages, 0.0, 0.0, 0.0)
    return np.asarray(observed.births @ expected, dtype=np.float64)


def buckets(frequency: np.ndarray, holdout: np.ndarray, predicted: np.ndarray) -> list[Bucket]:
    """Mean holdout purchases, actual and predicted, by calibration frequency 0, 1, …, 7+."""
    bucket = np.minimum(frequency, TOP_BUCKET).astype(np.int64)
    rows = []
    for value in range(TOP_BUCKET + 1):
        members = bucket == value
        if members.any():
            rows.append(
                Bucket(
                    frequency=value,
                    customers=int(members.sum()),
                    actual_mean=float(holdout[members].mean()),
                    predicted_mean=float(predicted[members].mean()),
                )
            )
    return rows


def _epoch_day(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days
