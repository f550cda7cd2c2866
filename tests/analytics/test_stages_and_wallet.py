"""Development stages before the first purchase and share of wallet, worked by hand, on both
databases: imported, recomputed, stored, shown and reported."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import numpy as np
import pytest
from pydantic import ValidationError
from sqlalchemy import Connection, select
from typer.testing import CliRunner

from tierwise import terminal
from tierwise.analytics import lifecycle, service
from tierwise.analytics.engines import connect
from tierwise.analytics.engines import load as register
from tierwise.analytics.extract import extract
from tierwise.analytics.listing import trend_of_file
from tierwise.analytics.models import AnalyticsRun, CustomerIndicator
from tierwise.analytics.params import AnalyticsParams
from tierwise.analytics.reports import build
from tierwise.analytics.snapshot import compute
from tierwise.bootstrap import App, bootstrap
from tierwise.cli import build as build_cli
from tierwise.config import Settings
from tierwise.customers.choices import CustomerStatus, Direction
from tierwise.customers.importing import CustomersImport
from tierwise.customers.models import Customer, Interaction
from tierwise.customers.reads import customer_file
from tierwise.customers.schemas import CustomerDetail, CustomerUpdate
from tierwise.customers.service import CustomerFileRead
from tierwise.customers.usecases import update_customer
from tierwise.db import migrate
from tierwise.i18n import set_language
from tierwise.identity.access import SYSTEM
from tierwise.ingest.errors import ImportRejected, RowError
from tierwise.ingest.pipeline import ImportOptions, run_import
from tierwise.organisation.choices import InteractionChannel
from tierwise.sales.importing import OrdersImport
from tierwise.tiering.expressions import compile_condition, evaluate

from ..support.import_support import customer, load
from ..support.postgres import database_for

AS_OF = dt.date(2026, 6, 30)  # the last 12 months are 2025-07-01 … 2026-06-30
CUSTOMERS = (
    "code,name,status,potential_demand,wallet_estimate\n"
    "S1,Known by name,active,,\n"  # nothing known, no contact: a suspect
    "S2,Status alone,prospect,,\n"  # the status alone does not qualify: a suspect
    "S3,Called too late,prospect,,\n"  # its only contact is after the as-of date: a suspect
    "P1,Assessed,prospect,50000,\n"  # a prospect-grading fact: a prospect
    "P2,Called,active,,\n"  # a logged contact before the as-of date: a prospect
    "P3,Wallet known,prospect,,80000\n"  # the estimate qualifies; we have 0% of it
    "D1,Not worth it,disqualified,1000,\n"  # judged not worth pursuing: disqualified
    "W1,Quarter,active,,120000\n"  # 30,000 in the last 12 months of 120,000: 25%
    "W2,Above,active,,40000\n"  # 50,000 against 40,000: capped at 100%, flagged
    "W3,Zero estimate,active,,0\n"  # 0 is unknown: no share
    "B1,Buyer marked,disqualified,,\n"  # a buyer's stage follows its purchases
)
ORDERS = (
    "customer_code,order_date,amount,order_code\n"
    "W1,2025-03-01,10000,O1\n"  # before the last 12 months: not in the share
    "W1,2026-01-10,30000,O2\n"
    "W2,2026-04-01,50000,O3\n"
    "W3,2026-02-01,5000,O4\n"
    "B1,2026-05-01,700,O5\n"
)
CONTACTS = {
    "P2": dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC),
    "S3": dt.datetime(2026, 7, 5, tzinfo=dt.UTC),
}
EXPECTED = {
    # code: (development stage, share of wallet, past the estimate)
    "S1": ("suspect", None, None),
    "S2": ("suspect", None, None),
    "S3": ("suspect", None, None),
    "P1": ("prospect", None, None),
    "P2": ("prospect", None, None),
    "P3": ("prospect", 0.0, False),
    "D1": ("disqualified", None, None),
    "W1": ("repeat", 0.25, False),
    "W2": ("first_time", 1.0, True),
    "W3": ("first_time", None, None),
    "B1": ("first_time", None, None),
}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def recomputed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[App]:
    """The customers, orders and contacts above, committed and recomputed as of AS_OF."""
    folder = tmp_path_factory.mktemp("stages")
    url = database_for(request.param, "tierwise_test_stages", str(folder))
    migrate.upgrade(url)
    app = bootstrap(Settings(database_url=url))
    for name, text, entity in (
        ("customers.csv", CUSTOMERS, CustomersImport()),
        ("orders.csv", ORDERS, OrdersImport()),
    ):
        path = folder / name
        path.write_text(text, encoding="utf-8")
        with app.uow() as uow:
            run_import(uow.connection, entity, path, ImportOptions(today=AS_OF))
            uow.commit()
    with app.uow() as uow:
        ids = dict(uow.session.execute(select(Customer.code, Customer.id)).all())
        for code, when in CONTACTS.items():
            uow.session.add(
                Interaction(
                    customer_id=ids[code],
                    occurred_at=when,
                    channel=InteractionChannel.PHONE,
                    direction=Direction.OUTBOUND,
                )
            )
        uow.commit()
    with app.uow() as uow:
        service.recompute(uow, app.engine, AS_OF, AnalyticsParams())
        uow.commit()
    yield app
    app.engine.dispose()


def _stored(app: App) -> dict[str, tuple[str | None, float | None, bool | None]]:
    ci = CustomerIndicator
    with app.uow() as uow:
        rows = uow.session.execute(
            select(Customer.code, ci.development_stage, ci.share_of_wallet, ci.wallet_exceeded)
            .join(ci, ci.customer_id == Customer.id)
            .join(AnalyticsRun, AnalyticsRun.id == ci.run_id)
            .where(AnalyticsRun.as_of == AS_OF)
        ).all()
    return {code: (stage, share, exceeded) for code, stage, share, exceeded in rows}


def test_each_customer_gets_its_stage_and_share_of_wallet(recomputed: App) -> None:
    stored = _stored(recomputed)
    assert {code: row[0] for code, row in stored.items()} == {
        code: row[0] for code, row in EXPECTED.items()
    }
    for code, (_stage, share, exceeded) in EXPECTED.items():
        assert stored[code][1] == (None if share is None else pytest.approx(share)), code
        assert stored[code][2] is exceeded, code


def test_the_development_report_counts_every_customer_in_stage_order(recomputed: App) -> None:
    with recomputed.uow() as uow:
        run = uow.session.scalars(select(AnalyticsRun)).one()
        report = build(uow.session, run, "development")
    assert [(r[0], r[1]) for r in report.rows] == [
        ("suspect", 3),
        ("prospect", 3),
        ("disqualified", 1),
        ("first_time", 3),
        ("repeat", 1),
    ]
    assert report.rows[0][2] == pytest.approx(3 / 11)  # share of all customers


@pytest.fixture
def cli_on(recomputed: App, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run `tierwise …` on the recomputed database, in a language."""
    url = recomputed.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("TIERWISE_DATABASE_URL", url)
    monkeypatch.setattr(terminal.console, "width", 200)  # no labels cut short

    def run(*args: str, lang: str = "en") -> str:
        set_language(lang)
        result = CliRunner().invoke(build_cli(), list(args))
        assert result.exit_code == 0, result.output
        return result.output

    return run


def test_analytics_show_names_stage_and_share_in_both_languages(cli_on) -> None:  # type: ignore[no-untyped-def]
    english = cli_on("analytics", "show", "W2")
    assert "First-time buyer" in english
    assert "100.0%" in english and "yes" in english
    assert "Share of wallet" in english
    chinese = cli_on("analytics", "show", "D1", lang="zh_CN")
    assert "不合格者" in chinese and "支出份额" in chinese
    assert "True" not in english and "disqualified" not in chinese


def test_the_stage_report_reads_in_both_languages(cli_on) -> None:  # type: ignore[no-untyped-def]
    english = cli_on("analytics", "report", "development")
    assert "Suspect" in english and "Prospect" in english and "Disqualified" in english
    chinese = cli_on("analytics", "report", "development", lang="zh_CN")
    assert "猜想客户" in chinese and "预期客户" in chinese and "不合格者" in chinese


def test_the_share_rule_caps_and_flags_and_leaves_unknowns_empty() -> None:
    nan = np.nan
    sales = np.array([30_000.0, 50_000.0, -200.0, nan, 5_000.0, 5_000.0])
    estimate = np.array([120_000.0, 40_000.0, 1_000.0, 10_000.0, 0.0, nan])
    share, exceeded = lifecycle.share_of_wallet(sales, estimate)
    assert share[:4].tolist() == [0.25, 1.0, 0.0, 0.0]  # net returns count as nothing won
    assert np.isnan(share[4:]).all()
    assert list(exceeded) == [False, True, False, False, None, None]


def test_wallet_estimate_is_imported_cleared_and_zero_is_kept(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    load(
        connection,
        CustomersImport(),
        write_csv("a.csv", 'code,name,品类年支出估计\nC1,A,"¥1,234.50"\nC2,B,0\n'),
    )
    assert customer(connection, "C1")["wallet_estimate"] == Decimal("1234.50")
    assert customer(connection, "C2")["wallet_estimate"] == Decimal("0")
    load(connection, CustomersImport(), write_csv("b.csv", "code,name,wallet_estimate\nC1,A,\n"))
    assert customer(connection, "C1")["wallet_estimate"] is None


def test_bad_wallet_estimates_are_each_named_and_nothing_is_written(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    path = write_csv("bad.csv", "code,name,wallet_estimate\nC1,A,-5\nC2,B,lots\nC3,C,100\n")
    with pytest.raises(ImportRejected) as caught:
        load(connection, CustomersImport(), path)
    expected = "a number ≥ 0 such as 1234.50"
    assert caught.value.log.errors == [
        RowError("bad.csv", 2, "wallet_estimate", "-5", expected),
        RowError("bad.csv", 3, "wallet_estimate", "lots", expected),
    ]
    count = connection.execute(select(Customer.id).where(Customer.code == "C3")).first()
    assert count is None


def test_disqualified_is_a_status_an_import_sets_in_either_language(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    load(
        connection,
        CustomersImport(),
        write_csv("s.csv", "客户编码,客户名称,客户状态\nC1,A,不合格\nC2,B,disqualified\n"),
    )
    assert customer(connection, "C1")["status"] == CustomerStatus.DISQUALIFIED
    assert customer(connection, "C2")["status"] == CustomerStatus.DISQUALIFIED


def test_the_estimate_is_edited_with_the_customer_and_refused_below_zero(app: App) -> None:
    with pytest.raises(ValidationError, match="wallet_estimate"):
        CustomerUpdate(wallet_estimate=Decimal("-1"))
    with app.uow() as uow:
        uow.session.add(Customer(code="E1", name="Edited", kind="enterprise"))
        uow.session.flush()
        changes = CustomerUpdate(wallet_estimate=Decimal("250000.00")).model_dump(
            exclude_unset=True
        )
        edited = update_customer(uow, SYSTEM, "E1", changes, 1)
        assert edited.wallet_estimate == Decimal("250000.00")
        detail = customer_file(uow, SYSTEM, "E1", app.settings.secret_key, AS_OF)[1]
    assert CustomerDetail.model_validate(detail).wallet_estimate == Decimal("250000.00")


def test_the_360_shows_the_stage_by_its_label_and_the_share(recomputed: App) -> None:
    set_language("zh_CN")
    with recomputed.uow() as uow:
        ids = dict(uow.session.execute(select(Customer.code, Customer.id)).all())
        above = trend_of_file(uow, CustomerFileRead(ids["W2"], AS_OF, whole=True))["trend"]
        prospect = trend_of_file(uow, CustomerFileRead(ids["P3"], AS_OF, whole=True))["trend"]
    assert [
        (t["development_stage"], t["share_of_wallet"], t["wallet_exceeded"]) for t in above
    ] == [("首次购买客户", 1.0, True)]
    assert [(t["development_stage"], t["share_of_wallet"]) for t in prospect] == [("预期客户", 0.0)]


def test_a_tier_condition_reads_the_share_the_flag_and_the_estimate(recomputed: App) -> None:
    condition = (
        "share_of_wallet < 0.3 and wallet_estimate >= 50000 or wallet_exceeded"
        ' or development_stage == "disqualified"'
    )
    facts = extract(recomputed.engine, AS_OF)
    table = compute(facts, AnalyticsParams()).indicators
    backend = connect("duckdb")
    used = ["customer_id", "share_of_wallet", "wallet_estimate", "wallet_exceeded"]
    rows = register(backend, "snapshot", table.select([*used, "development_stage"]))
    chosen = backend.to_pyarrow(rows.filter(compile_condition(condition, rows, AS_OF)))
    with recomputed.uow() as uow:
        codes = dict(uow.session.execute(select(Customer.id, Customer.code)).all())
    picked = sorted(codes[i] for i in chosen.column("customer_id").to_pylist())
    # W1: 25% of 120,000; P3: 0% of 80,000; W2: past its estimate; D1: disqualified.
    assert picked == ["D1", "P3", "W1", "W2"]
    one_by_one = sorted(
        codes[r["customer_id"]] for r in table.to_pylist() if evaluate(condition, r, AS_OF)
    )
    assert one_by_one == picked
