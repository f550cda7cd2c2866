"""A recompute over demo data, on both databases: every indicator where the data allows it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy import func, select, update

from tierwise.analytics import service
from tierwise.analytics.extract import extract
from tierwise.analytics.models import AnalyticsRun, CustomerIndicator, FittedModel
from tierwise.analytics.params import AnalyticsParams
from tierwise.analytics.reports import pareto_report
from tierwise.analytics.snapshot import compute
from tierwise.bootstrap import App, bootstrap
from tierwise.config import Settings
from tierwise.customers.models import Customer
from tierwise.db import migrate

from ..support.demo_db import committed_demo
from ..support.postgres import database_for

AS_OF = dt.date(2026, 11, 1)


def recompute_alone(app: App, as_of: dt.date, params: AnalyticsParams) -> service.RecomputeResult:
    """The read side's recompute without later steps, committed."""
    with app.uow() as uow:
        result = service.recompute(uow, app.engine, as_of, params)
        uow.commit()
    return result


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def demo_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[App]:
    """A committed demo database of its own (the extract reads through a separate connection)."""
    url = database_for(request.param, "tierwise_test_analytics", str(tmp_path_factory.mktemp("a")))
    app = committed_demo(url, customers=400, seed=7, as_of=AS_OF)
    yield app
    app.engine.dispose()


@pytest.fixture(scope="module")
def snapshot_table(demo_app: App) -> pa.Table:
    """The indicators computed once for the module."""
    facts = extract(demo_app.engine, AS_OF)
    return compute(facts, AnalyticsParams()).indicators


def test_every_customer_gets_a_row_and_buyers_get_every_value_indicator(
    snapshot_table: pa.Table,
) -> None:
    orders = snapshot_table.column("orders").to_numpy(zero_copy_only=False)
    withheld = np.array(snapshot_table.column("profiling_withheld").to_pylist(), dtype=bool)
    buyers = (np.nan_to_num(orders.astype(float)) > 0) & ~withheld  # profiled buyers
    assert buyers.sum() > 100
    for name in (
        "sales",
        "sales_12m",
        "recency_days",
        "r_score",
        "f_score",
        "m_score",
        "rfm_segment",
        "abc_class",
        "btyd_frequency",
        "p_alive",
        "clv",
        "development_stage",
    ):
        values = snapshot_table.column(name).to_pylist()
        missing = [v for v, b in zip(values, buyers, strict=True) if b and v is None]
        assert not missing, f"{name} missing for {len(missing)} buyers"


def test_scores_shares_and_probabilities_stay_in_range(snapshot_table: pa.Table) -> None:
    rows = [r for r in snapshot_table.to_pylist() if r["orders"]]
    for row in rows:
        if row["profiling_withheld"]:  # analytics consent withdrawn: no scores (docs/analytics.md)
            assert row["r_score"] is None and row["clv"] is None
            continue
        for score in ("r_score", "f_score", "m_score"):
            assert 1 <= row[score] <= 5
        assert 0 <= row["p_alive"] <= 1
        assert row["clv"] >= 0
        assert row["expected_purchases"] >= 0
    classes = {r["abc_class"] for r in rows}
    assert classes <= {"vip", "major", "normal", "small"} and "vip" in classes


def test_whale_curve_ends_at_total_profit(snapshot_table: pa.Table) -> None:
    rows = sorted(
        (r for r in snapshot_table.to_pylist() if r["profit_rank"]), key=lambda r: r["profit_rank"]
    )
    assert [r["profit_rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert rows[-1]["profit_cum_share"] == pytest.approx(1.0)
    assert max(r["profit_cum_share"] for r in rows) >= 1.0


def test_no_survey_means_unknown_attitude(snapshot_table: pa.Table) -> None:
    for row in snapshot_table.to_pylist():
        if row["nps"] is None and row["csat"] is None:
            assert row["attitude"] is None and row["loyalty"] is None


def test_recompute_stores_one_run_per_date_and_replaces_it(demo_app: App) -> None:
    params = AnalyticsParams()
    first = recompute_alone(demo_app, AS_OF, params)
    with demo_app.uow() as uow:
        first_time = uow.session.get(AnalyticsRun, first.run_id).computed_at  # type: ignore[union-attr]
    second = recompute_alone(demo_app, AS_OF, params)
    with demo_app.uow() as uow:
        s = uow.session
        runs = s.scalars(select(AnalyticsRun).where(AnalyticsRun.as_of == AS_OF)).all()
        assert [r.id for r in runs] == [second.run_id]
        assert runs[0].computed_at > first_time
        rows = s.scalar(select(func.count()).where(CustomerIndicator.run_id == second.run_id))
        assert rows == second.customers
        fits = s.scalars(select(FittedModel).where(FittedModel.run_id == second.run_id)).all()
        assert {f.model for f in fits} == {"bg_nbd", "pareto_nbd", "mbg_nbd", "gamma_gamma"}


def test_the_whale_report_reads_each_decile_from_the_ranked_customers(demo_app: App) -> None:
    result = recompute_alone(demo_app, AS_OF, AnalyticsParams())
    ci = CustomerIndicator
    with demo_app.uow() as uow:
        run = uow.session.get(AnalyticsRun, result.run_id)
        assert run is not None
        ranked = uow.session.execute(
            select(ci.profit_rank, ci.profit_cum_share)
            .where(ci.run_id == run.id, ci.profit_rank.is_not(None))
            .order_by(ci.profit_rank)
        ).all()
        net = sorted(
            (
                float(v or 0)
                for v in uow.session.scalars(
                    select(ci.net_profit).where(ci.run_id == run.id, ci.orders > 0)
                )
            ),
            reverse=True,
        )
        report = pareto_report(uow.session, run)
    assert len(ranked) == run.headline["buyers"] == len(net)
    assert [r[0] for r in report.rows] == [f"{d}%" for d in range(10, 101, 10)]
    net_cumulative = np.cumsum(net)
    for decile, (_label, upto, share, net_share) in enumerate(report.rows, start=1):
        assert upto == max(1, round(len(ranked) * decile / 10))
        assert share == pytest.approx(ranked[upto - 1][1])
        # the same ranks on net profit after the cost to serve, ranked on their own
        assert net_share == pytest.approx(net_cumulative[upto - 1] / net_cumulative[-1], abs=1e-6)
    assert report.rows[-1][2] == pytest.approx(1.0)  # every buyer: all of the profit
    assert report.rows[-1][3] == pytest.approx(1.0)


def test_a_failed_run_leaves_the_previous_snapshot(
    demo_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = AnalyticsParams()
    kept = recompute_alone(demo_app, AS_OF - dt.timedelta(days=30), params)
    from tierwise.analytics import store

    def broken(*_args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "insert_arrow", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        recompute_alone(demo_app, AS_OF - dt.timedelta(days=30), params)
    with demo_app.uow() as uow:
        run = uow.session.scalar(
            select(AnalyticsRun).where(AnalyticsRun.as_of == AS_OF - dt.timedelta(days=30))
        )
        assert run is not None and run.id == kept.run_id
        count = uow.session.scalar(select(func.count()).where(CustomerIndicator.run_id == run.id))
        assert count == kept.customers


# lifetimes' options for each of ours: days; weeks of 7 days; calendar (Monday–Sunday) weeks.
REFERENCE_CLOCK = {
    ("day", "continuous"): {"freq": "D"},
    ("week", "continuous"): {"freq": "D", "freq_multiplier": 7},
    ("week", "calendar"): {"freq": "W"},
}


@pytest.mark.parametrize(("unit", "periods"), list(REFERENCE_CLOCK))
def test_btyd_summary_equals_the_reference_implementation(
    demo_app: App, unit: str, periods: str
) -> None:
    lifetimes_utils = pytest.importorskip("lifetimes.utils", reason="lifetimes is a dev extra")
    import pandas as pd

    facts = extract(demo_app.engine, AS_OF)
    params = AnalyticsParams(time_unit=unit, periods=periods)  # type: ignore[arg-type]
    ours = compute(facts, params).indicators.to_pandas()
    ours = ours[ours.btyd_frequency.notna()].set_index("customer_id").sort_index()
    lines = facts.lines.to_pandas()
    sales = lines[(~lines.is_return) & (lines.amount >= 0)].copy()  # zero-amount sales count
    sales["order_date"] = pd.to_datetime(sales.order_date)
    reference = lifetimes_utils.summary_data_from_transaction_data(
        sales,
        "customer_id",
        "order_date",
        monetary_value_col="amount",
        observation_period_end=pd.Timestamp(AS_OF),
        **REFERENCE_CLOCK[unit, periods],
    ).sort_index()
    assert list(reference.index) == list(ours.index)
    for theirs, mine in (
        ("frequency", "btyd_frequency"),
        ("recency", "btyd_recency"),
        ("T", "btyd_t"),
        ("monetary_value", "btyd_monetary"),
    ):
        np.testing.assert_allclose(
            ours[mine].to_numpy(),
            reference[theirs].to_numpy(),
            rtol=1e-9,
            atol=1e-6,
            err_msg=theirs,
        )


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_recompute_on_an_empty_database_stores_an_empty_snapshot(
    kind: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = database_for(kind, "tierwise_test_empty", str(tmp_path_factory.mktemp("e")))
    migrate.upgrade(url)
    app = bootstrap(Settings(database_url=url))
    result = recompute_alone(app, AS_OF, AnalyticsParams())
    assert result.customers == 0
    assert result.headline["buyers"] == 0
    app.engine.dispose()


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_snapshot_exports_one_row_per_customer(
    demo_app: App, fmt: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tierwise.analytics.export import export_snapshot

    recompute_alone(demo_app, AS_OF, AnalyticsParams())
    path = tmp_path_factory.mktemp("x") / f"indicators.{fmt}"
    with demo_app.uow() as uow:
        written = export_snapshot(uow.session, path, fmt)
    assert written == 400
    if fmt == "parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        assert table.num_rows == 400 and {"code", "clv", "abc_class"} <= set(table.column_names)
    elif fmt == "csv":
        lines = path.read_text(encoding="utf-8-sig").splitlines()
        assert len(lines) == 401 and lines[0].startswith('"code","name"')
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(path, read_only=True).worksheets[0]
        assert sum(1 for _ in sheet.iter_rows()) == 401


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_snapshot_exports_carry_no_live_formula(
    demo_app: App, fmt: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from tierwise.analytics.export import export_snapshot

    recompute_alone(demo_app, AS_OF, AnalyticsParams())
    path = tmp_path_factory.mktemp("f") / f"indicators.{fmt}"
    formula = '=HYPERLINK("http://evil.example","x")'
    with demo_app.uow() as uow:  # never committed: the name change rolls back
        first = uow.session.scalar(select(Customer.code).order_by(Customer.code).limit(1))
        uow.session.execute(update(Customer).where(Customer.code == first).values(name=formula))
        export_snapshot(uow.session, path, fmt)
    if fmt == "csv":
        assert (
            path.read_text(encoding="utf-8-sig")
            .splitlines()[1]
            .startswith(f'"{first}","\'=HYPERLINK(""http://evil.example"",""x"")"')
        )
    else:
        from openpyxl import load_workbook

        name = load_workbook(path).worksheets[0]["B2"]
        assert (name.value, name.data_type) == (formula, "s")
