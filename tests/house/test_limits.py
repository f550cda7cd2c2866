"""One range for amounts and order dates on every path (API, CLI, import), and sums of the
largest amounts recompute on both databases."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tierwise.analytics.models import CustomerIndicator
from tierwise.bootstrap import App
from tierwise.cli import build as build_cli
from tierwise.config import Settings
from tierwise.customers.models import Customer
from tierwise.db.base import MAX_AMOUNT, utcnow
from tierwise.identity import accounts
from tierwise.identity.access import SYSTEM
from tierwise.ingest.errors import ImportRejected, RowError
from tierwise.ingest.pipeline import ImportOptions, run_import
from tierwise.sales.importing import OrdersImport
from tierwise.server import create_app
from tierwise.tiering.policy import default_policy_text
from tierwise.tiering.service import apply_policy

from ..support.demo_db import committed_demo
from ..support.postgres import database_for
from ..support.units import in_unit

AS_OF = dt.date(2026, 11, 1)
API = "/api/v1"
ONE_CENT_MORE = MAX_AMOUNT + Decimal("0.01")
LIMIT = "9,999,999,999,999.99"
LINES_PAST_THE_OLD_COLUMN = 1_001  # 1,001 × the largest amount overflows Numeric(18, 2)


@dataclass(frozen=True)
class Limits:
    """A committed demo database of its own, a customer to order for and an admin's token."""

    app: App
    customer: str
    token: str


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def limits(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Limits]:
    url = database_for(request.param, "tierwise_test_limits", str(tmp_path_factory.mktemp("l")))
    app = committed_demo(url, customers=40, seed=3, as_of=AS_OF)
    in_unit(app, apply_policy, SYSTEM, default_policy_text(), "default", "test")
    with app.uow() as uow:
        admin = accounts.add_user(uow.session, "admin", "管理员", "admin", "a-long-password-1")
        admin.must_change_password = False
        token = accounts.issue_token(uow.session, admin, "tests", [], 30, utcnow())[1]
        customer = uow.session.scalars(select(Customer.code).order_by(Customer.code)).first()
        uow.commit()
    assert customer is not None
    yield Limits(app, customer, token)
    app.engine.dispose()


def post_order(limits: Limits, **body: object) -> tuple[int, str]:
    """POST /orders for the customer; the status and the body's text."""
    with TestClient(create_app(limits.app)) as client:
        response = client.post(
            f"{API}/orders",
            json={"customer": limits.customer, **body},
            headers={"Authorization": f"Bearer {limits.token}"},
        )
    return response.status_code, response.text


def orders_add(limits: Limits, monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    """`tierwise orders add CUSTOMER …` against the test's database."""
    monkeypatch.setenv("TIERWISE_DATABASE_URL", limits.app.settings.database_url)
    result = CliRunner().invoke(build_cli(), ["orders", "add", limits.customer, *args])
    return result.exit_code, result.output


def import_orders(limits: Limits, path: Path, options: ImportOptions | None = None) -> int:
    """Import an orders file and commit; the number of lines written."""
    with limits.app.uow() as uow:
        result = run_import(uow.connection, OrdersImport(), path, options or ImportOptions())
        uow.commit()
    return result.counts.inserted


def refused_rows(limits: Limits, path: Path) -> list[RowError]:
    """The errors an orders import reports; nothing is written."""
    with limits.app.uow() as uow, pytest.raises(ImportRejected) as rejected:
        run_import(uow.connection, OrdersImport(), path, ImportOptions())
    return rejected.value.log.errors


def test_the_largest_amounts_record_and_recompute_on_both_databases(
    limits: Limits, tmp_path: Path
) -> None:
    status, text = post_order(limits, amount=str(MAX_AMOUNT), order_date=AS_OF.isoformat())
    assert status == 201, text
    path = tmp_path / "whale.csv"
    lines = "".join(
        f"W{i},{limits.customer},2026-10-{1 + i % 28:02d},{MAX_AMOUNT}\n"
        for i in range(LINES_PAST_THE_OLD_COLUMN)
    )
    path.write_text("order_code,customer_code,order_date,amount\n" + lines, encoding="utf-8")
    assert import_orders(limits, path) == LINES_PAST_THE_OLD_COLUMN
    for _ in range(2):  # the first run stores the sums; a second one still runs after it
        limits.app.recomputes.run(AS_OF, None)
    with limits.app.uow() as uow:
        sales = uow.session.scalar(
            select(CustomerIndicator.sales)
            .join(Customer, Customer.id == CustomerIndicator.customer_id)
            .where(Customer.code == limits.customer)
        )
    assert sales is not None
    assert float(sales) == pytest.approx(float(MAX_AMOUNT) * (LINES_PAST_THE_OLD_COLUMN + 1))


def test_one_cent_more_is_refused_naming_the_limit_on_every_path(
    limits: Limits, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    status, text = post_order(limits, amount=str(ONE_CENT_MORE))
    assert status == 422 and str(MAX_AMOUNT) in text, text
    code, out = orders_add(limits, monkeypatch, "--amount", str(ONE_CENT_MORE))
    assert code == 1 and LIMIT in out, out
    path = tmp_path / "big.csv"
    path.write_text(
        f"customer_code,order_date,amount\n{limits.customer},2026-10-02,{ONE_CENT_MORE}\n"
    )
    (error,) = refused_rows(limits, path)
    assert (error.row, error.column, error.value) == (2, "amount", str(ONE_CENT_MORE))
    assert f"the largest amount accepted is {LIMIT}" in str(error)


def test_order_dates_before_1900_or_past_the_setting_are_refused_on_every_path(
    limits: Limits, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    latest = Settings().latest_order_date()
    too_late = latest + dt.timedelta(days=1)
    expected = f"a date from 1900-01-01 to {latest.isoformat()}"
    status, text = post_order(limits, amount="10.00", order_date=too_late.isoformat())
    assert status == 422 and expected in text, text
    assert post_order(limits, amount="10.00", order_date="1899-12-31")[0] == 422
    for day in ("1899-12-31", too_late.isoformat()):
        code, out = orders_add(limits, monkeypatch, "--amount", "10", "--date", day)
        assert code == 1 and day in out and expected in out, out
    path = tmp_path / "dates.csv"
    path.write_text(
        "customer_code,order_date,amount\n"
        f"{limits.customer},1899-12-31,10\n"
        f"{limits.customer},{latest.isoformat()},10\n"
        f"{limits.customer},{too_late.isoformat()},10\n"
    )
    assert refused_rows(limits, path) == [
        RowError("dates.csv", 2, "order_date", "1899-12-31", expected),
        RowError("dates.csv", 4, "order_date", too_late.isoformat(), expected),
    ]


def test_the_latest_order_date_is_a_setting(limits: Limits, tmp_path: Path) -> None:
    settings = Settings(order_days_ahead=400)
    day = (Settings().latest_order_date() + dt.timedelta(days=30)).isoformat()
    path = tmp_path / "ahead.csv"
    path.write_text(
        f"order_code,customer_code,order_date,amount\nAHEAD,{limits.customer},{day},10\n"
    )
    assert import_orders(limits, path, ImportOptions.from_settings(settings)) == 1
