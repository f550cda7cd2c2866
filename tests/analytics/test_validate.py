"""`tierwise analytics validate`: a small order file whose holdout purchases are counted by hand,
the CDNOW sample against `lifetimes`, and the command's refusals, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from tierwise.analytics import clv, validation
from tierwise.analytics.extract import SCHEMAS
from tierwise.analytics.params import AnalyticsParams
from tierwise.cli import build
from tierwise.i18n import set_language

from ..support.postgres import database_for
from .test_literature import DATASETS, orders_file

CALIBRATION_END, HOLDOUT_END = dt.date(2024, 1, 28), dt.date(2024, 2, 25)
WEEK = AnalyticsParams(time_unit="week")
# customer, order date, amount. Counted by hand (calibration up to 28 Jan, holdout to 25 Feb):
#   A  1 Jan twice (one purchase day), 15 Jan | 5 Feb, 20 Feb (free, still a purchase)
#      calibration frequency 1, recency 2 weeks, T 27/7; holdout 2
#   B  8 Jan | 25 Feb (the holdout end counts), 26 Feb (after it: not counted)
#      frequency 0, T 20/7; holdout 1
#   C  3, 10, 20 and 28 Jan (the calibration end counts)
#      frequency 3, recency 25/7, T 25/7; holdout 0
#   F  22 Jan: frequency 0, T 6/7; holdout 0
#   E  first buys on 1 Feb, after the calibration end: not in the check at all
ORDERS = [
    ("A", "2024-01-01", "10"),
    ("A", "2024-01-01", "5"),
    ("A", "2024-01-15", "20"),
    ("A", "2024-02-05", "15"),
    ("A", "2024-02-20", "0"),
    ("B", "2024-01-08", "30"),
    ("B", "2024-02-25", "12"),
    ("B", "2024-02-26", "12"),
    ("C", "2024-01-03", "8"),
    ("C", "2024-01-10", "8"),
    ("C", "2024-01-20", "9"),
    ("C", "2024-01-28", "7"),
    ("F", "2024-01-22", "40"),
    ("E", "2024-02-01", "25"),
    ("E", "2024-02-10", "25"),
]
HAND = {  # frequency, recency, T in weeks, holdout purchases
    "A": (1, 2.0, 27 / 7, 2),
    "B": (0, 0.0, 20 / 7, 1),
    "C": (3, 25 / 7, 25 / 7, 0),
    "F": (0, 0.0, 6 / 7, 0),
}
# Weeks from Monday 1 Jan: repeat purchases of A, B, C and F in each (E's are not counted).
HAND_WEEKS = [0, 1, 2, 1, 0, 1, 0, 2]


def lines_of(rows: list[tuple[int, dt.date, float]]) -> pa.Table:
    """Order lines as the extract hands them over: one sale line per order."""
    n = len(rows)
    return pa.table(
        {
            "customer_id": [r[0] for r in rows],
            "order_id": list(range(n)),
            "order_date": [r[1] for r in rows],
            "department": [None] * n,
            "product_id": [None] * n,
            "category": [None] * n,
            "amount": [r[2] for r in rows],
            "cost": [None] * n,
            "is_return": [False] * n,
        },
        schema=SCHEMAS["lines"],
    )


def small_lines() -> pa.Table:
    ids = {code: i for i, code in enumerate("ABCEF", 1)}
    return lines_of([(ids[c], dt.date.fromisoformat(d), float(amount)) for c, d, amount in ORDERS])


def hand_summary() -> tuple[np.ndarray, ...]:
    """The hand-counted (frequency, recency, T, holdout) columns, in the order of `observe`."""
    rows = sorted(HAND.values(), key=lambda v: (v[0], v[2], v[1], v[3]))
    return tuple(np.array(column, dtype=np.float64) for column in zip(*rows, strict=True))


def test_the_small_file_is_counted_as_by_hand() -> None:
    observed = validation.observe(small_lines(), CALIBRATION_END, HOLDOUT_END, WEEK)
    frequency, recency, T, holdout = hand_summary()
    np.testing.assert_allclose(observed.frequency, frequency)
    np.testing.assert_allclose(observed.recency, recency)
    np.testing.assert_allclose(observed.T, T)
    np.testing.assert_allclose(observed.holdout, holdout)
    fit = clv.fit_bg_nbd(frequency, recency, T)
    result = validation.compare(observed, fit, CALIBRATION_END, HOLDOUT_END, WEEK)
    assert result.customers == 4
    assert (result.calibration_actual, result.holdout_actual) == (4, 3)
    expected = clv.expected_purchases(fit, 4.0, frequency, recency, T).sum()
    assert result.holdout_predicted == pytest.approx(expected, rel=1e-12)
    assert [w.actual for w in result.weeks] == HAND_WEEKS
    assert [w.cumulative_actual for w in result.weeks] == list(np.cumsum(HAND_WEEKS))
    assert [w.in_holdout for w in result.weeks] == [False] * 4 + [True] * 4
    assert result.weeks[-1].ends == HOLDOUT_END
    # The week's expectation is the growth of Σ E[X(age)] over it, from each first purchase.
    births = [dt.date(2024, 1, d) for d in (1, 8, 3, 22)]
    ages = [(HOLDOUT_END - b).days / 7 for b in births]
    total = clv.expected_purchases(fit, np.array(ages), 0, 0, 0).sum()
    assert result.weeks[-1].cumulative_predicted == pytest.approx(total, rel=1e-12)
    assert sum(w.predicted for w in result.weeks) == pytest.approx(total, rel=1e-12)
    buckets = [(b.frequency, b.customers, b.actual_mean) for b in result.buckets]
    assert buckets == [(0, 2, 0.5), (1, 1, 2.0), (3, 1, 0.0)]


def test_a_calibration_period_without_history_is_refused() -> None:
    lines = lines_of([(1, CALIBRATION_END, 5.0), (2, CALIBRATION_END, 6.0)])
    observed = validation.observe(lines, CALIBRATION_END, HOLDOUT_END, WEEK)
    with pytest.raises(validation.ValidationRefused, match="no history"):
        validation.fit_on(observed, CALIBRATION_END)


def test_frequencies_of_seven_and_more_share_the_last_bucket() -> None:
    frequency = np.array([0, 7, 12, 3])
    rows = validation.buckets(frequency, np.array([1, 4, 6, 0]), np.array([0.5, 3, 5, 1]))
    assert [(b.frequency, b.customers, b.actual_mean) for b in rows] == [
        (0, 1, 1.0),
        (3, 1, 0.0),
        (7, 2, 5.0),
    ]


def test_the_error_is_relative_to_what_was_bought() -> None:
    assert validation.error_percent(90, 100) == pytest.approx(-10)
    assert validation.error_percent(1, 0) is None


def cdnow_lines() -> pa.Table:
    rows = []
    for line in (DATASETS / "CDNOW_sample.txt").read_text().splitlines():
        _master, sample, day, _cds, dollars = line.split()
        rows.append(
            (int(sample), dt.date(int(day[:4]), int(day[4:6]), int(day[6:])), float(dollars))
        )
    return lines_of(rows)


def lifetimes_check() -> tuple[pd.DataFrame, object, pd.DataFrame]:
    """lifetimes' calibration/holdout summary, its fitted BG/NBD and its transactions."""
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import calibration_and_holdout_data

    lines = cdnow_lines()
    transactions = pd.DataFrame(
        {
            "id": lines.column("customer_id").to_numpy(),
            "date": pd.to_datetime(lines.column("order_date").to_pandas()),
            # With pandas 3 the holdout count needs a value column to aggregate.
            "amount": lines.column("amount").to_numpy(),
        }
    )
    summary = calibration_and_holdout_data(
        transactions,
        "id",
        "date",
        calibration_period_end="1997-09-30",
        observation_period_end="1998-06-30",
        freq="D",
        freq_multiplier=7,
        monetary_value_col="amount",
    )
    model = BetaGeoFitter().fit(
        summary["frequency_cal"].to_numpy(),
        summary["recency_cal"].to_numpy(),
        summary["T_cal"].to_numpy(),
    )
    return summary, model, transactions


@pytest.fixture(scope="module")
def cdnow_result() -> validation.Validation:
    pytest.importorskip("lifetimes")
    lines = cdnow_lines()
    start, end = dt.date(1997, 9, 30), dt.date(1998, 6, 30)
    observed = validation.observe(lines, start, end, WEEK)
    fit = clv.fit_bg_nbd(observed.frequency, observed.recency, observed.T)
    return validation.compare(observed, fit, start, end, WEEK)


def test_cdnow_holdout_matches_lifetimes(cdnow_result: validation.Validation) -> None:
    summary, model, _transactions = lifetimes_check()
    predicted = model.conditional_expected_number_of_purchases_up_to_time(  # type: ignore[attr-defined]
        summary["duration_holdout"].iloc[0],
        summary["frequency_cal"].to_numpy(),
        summary["recency_cal"].to_numpy(),
        summary["T_cal"].to_numpy(),
    )
    assert cdnow_result.customers == len(summary) == 2357
    assert cdnow_result.holdout_actual == summary["frequency_holdout"].sum() == 1882
    assert cdnow_result.calibration_actual == summary["frequency_cal"].sum() == 2457
    assert cdnow_result.holdout_predicted == pytest.approx(float(predicted.sum()), rel=1e-6)
    assert round(cdnow_result.holdout_predicted, 1) == 1653.4
    frame = summary.assign(
        bucket=summary["frequency_cal"].clip(upper=validation.TOP_BUCKET), predicted=predicted
    ).groupby("bucket")
    for bucket in cdnow_result.buckets:
        assert bucket.customers == frame.size()[bucket.frequency]
        assert bucket.actual_mean == pytest.approx(
            frame["frequency_holdout"].mean()[bucket.frequency]
        )
        assert bucket.predicted_mean == pytest.approx(
            frame["predicted"].mean()[bucket.frequency], rel=1e-6
        )


def test_cdnow_tracking_matches_lifetimes(cdnow_result: validation.Validation) -> None:
    from lifetimes.utils import expected_cumulative_transactions

    _summary, model, transactions = lifetimes_check()
    tracking = expected_cumulative_transactions(
        model, transactions, "date", "id", t=546, freq="D", freq_multiplier=7
    )
    weeks = cdnow_result.weeks
    assert len(weeks) == len(tracking) == 78
    assert [w.cumulative_actual for w in weeks] == list(tracking["actual"])
    # lifetimes evaluates each week at the start of the next day, one day older than the
    # T = as-of − first purchase that the fit uses; evaluated there, the sums agree.
    observed = validation.observe(cdnow_lines(), dt.date(1997, 9, 30), dt.date(1998, 6, 30), WEEK)
    ends = np.array([(w.ends - dt.date(1970, 1, 1)).days + 1 for w in weeks])
    shifted = validation.cumulative_expected(cdnow_result.fit, observed, ends, 7.0)
    np.testing.assert_allclose(shifted, tracking["predicted"].to_numpy(), rtol=1e-6)


# ---------------------------------------------------------------------------------------------
# The command


def small_orders(folder: Path) -> Path:
    path = folder / "orders.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["customer_code", "order_date", "amount", "quantity", "order_code"])
        for number, (code, day, amount) in enumerate(ORDERS, 1):
            writer.writerow([code, day, amount, 1, f"O{number}"])
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def tierwise(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> CliRunner:
    """An empty database of its own behind the command line, read as `build()` runs."""
    url = database_for(request.param, "tierwise_test_validate", str(tmp_path))
    monkeypatch.setenv("TIERWISE_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    set_language("en")
    runner = CliRunner()
    assert runner.invoke(build(), ["db", "upgrade"]).exit_code == 0
    return runner


def run(runner: CliRunner, *args: str) -> str:
    result = runner.invoke(build(), list(args))
    assert result.exit_code == 0, result.output
    return result.output


def validate_args(*more: str) -> list[str]:
    return [
        "analytics",
        "validate",
        "--calibration-end",
        CALIBRATION_END.isoformat(),
        "--holdout-end",
        HOLDOUT_END.isoformat(),
        *more,
    ]


def test_the_command_prints_and_writes_the_hand_counts(tierwise: CliRunner, tmp_path: Path) -> None:
    run(tierwise, "import", "orders", str(small_orders(tmp_path)), "--create-customers")
    output = run(tierwise, *validate_args("--output", "check.xlsx"))
    assert "Repeat purchases, actual and predicted" in output
    assert "Weekly tracking" in output and "Mean holdout purchases" in output
    book = load_workbook(tmp_path / "check.xlsx", read_only=True)
    assert book.sheetnames == ["Totals", "Weekly tracking", "By frequency"]
    totals = list(book["Totals"].values)
    assert totals[0] == ("period", "customers", "actual repeat purchases", "predicted", "error %")
    assert [row[1:3] for row in totals[1:]] == [(4, 4), (4, 3)]
    frequency, recency, T, _holdout = hand_summary()
    fit = clv.fit_bg_nbd(frequency, recency, T)
    expected = clv.expected_purchases(fit, 4.0, frequency, recency, T).sum()
    assert totals[2][3] == pytest.approx(expected, rel=1e-9)
    assert totals[2][4] == pytest.approx((expected - 3) / 3 * 100, rel=1e-9)
    weeks = list(book["Weekly tracking"].values)[1:]
    assert [row[3] for row in weeks] == HAND_WEEKS
    assert [row[2] for row in weeks] == ["calibration"] * 4 + ["holdout"] * 4
    buckets = list(book["By frequency"].values)[1:]
    assert [row[:3] for row in buckets] == [("0", 2, 0.5), ("1", 1, 2), ("3", 1, 0)]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--calibration-end", "2024-02-25", "--holdout-end", "2024-01-28"], "must come after"),
        (["--calibration-end", "2024-01-28", "--holdout-end", "2024-01-28"], "must come after"),
        (["--calibration-end", "28/01/2024", "--holdout-end", "2024-02-25"], "YYYY-MM-DD"),
        (["--calibration-end", "2023-06-30", "--holdout-end", "2024-02-25"], "nothing to fit"),
    ],
)
def test_the_command_refuses_in_one_line(
    tierwise: CliRunner, tmp_path: Path, args: list[str], says: str
) -> None:
    run(tierwise, "import", "orders", str(small_orders(tmp_path)), "--create-customers")
    result = tierwise.invoke(build(), ["analytics", "validate", *args])
    assert result.exit_code != 0
    assert says in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "Traceback" not in result.output


def test_the_command_on_cdnow_predicts_what_lifetimes_does(
    tierwise: CliRunner, tmp_path: Path
) -> None:
    pytest.importorskip("lifetimes")
    run(tierwise, "import", "orders", str(orders_file(tmp_path)), "--create-customers")
    output = run(
        tierwise,
        "analytics",
        "validate",
        "--calibration-end",
        "1997-09-30",
        "--holdout-end",
        "1998-06-30",
        "--no-charts",
        "--output",
        "cdnow.xlsx",
    )
    assert "1,882" in output and "1,653.41" in output and "-12.1%" in output
    summary, model, _transactions = lifetimes_check()
    predicted = model.conditional_expected_number_of_purchases_up_to_time(  # type: ignore[attr-defined]
        39.0,
        summary["frequency_cal"].to_numpy(),
        summary["recency_cal"].to_numpy(),
        summary["T_cal"].to_numpy(),
    ).sum()
    holdout = list(load_workbook(tmp_path / "cdnow.xlsx", read_only=True)["Totals"].values)[2]
    assert holdout[1:3] == (2357, 1882)
    assert holdout[3] == pytest.approx(predicted, rel=1e-6)
