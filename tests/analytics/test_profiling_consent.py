"""A withdrawn analytics consent takes the customer out of individual profiling: the segment, CLV
and labels are empty, every aggregate still counts the purchases, the others are unchanged, and a
new grant brings the profile back; on both databases, in the store, the 360, the API and the CLI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tierwise import terminal
from tierwise.analytics.models import AnalyticsRun, CustomerIndicator
from tierwise.analytics.profiling import PROFILING, REASON
from tierwise.analytics.reports import build
from tierwise.analytics.service import Recomputes
from tierwise.bootstrap import App, bootstrap
from tierwise.cli import build as build_cli
from tierwise.config import Settings
from tierwise.customers.choices import ConsentPurpose
from tierwise.customers.importing import CustomersImport
from tierwise.customers.models import Customer
from tierwise.customers.usecases import decide_consent
from tierwise.db import migrate
from tierwise.i18n import set_language
from tierwise.identity import accounts
from tierwise.identity.access import SYSTEM
from tierwise.ingest.pipeline import ImportOptions, run_import
from tierwise.sales.importing import OrdersImport
from tierwise.server import create_app

from ..support.postgres import database_for

AS_OF = dt.date(2026, 6, 30)
WITHDRAWN = "C03"  # a repeat buyer with a wallet estimate: every kind of profile
PASSWORD = "a-password-for-the-consent-tests"
CODES = [f"C{n:02d}" for n in range(1, 13)]
LANGS = ("en", "zh_CN")


def _customers() -> str:
    rows = [f"{code},Customer {code},active,{50_000 + 10_000 * n}" for n, code in enumerate(CODES)]
    return "code,name,status,wallet_estimate\n" + "\n".join(rows) + "\n"


def _orders() -> str:
    """Two to five purchases per customer on distinct days, with costs, amounts all different."""
    rows = []
    for n, code in enumerate(CODES):
        for k in range(2 + n % 4):
            day = dt.date(2025, 1, 5) + dt.timedelta(days=37 * k + 11 * n)
            amount = 1_000 + 350 * n + 120 * k
            rows.append(f"{code},{day},{amount},{round(amount * 0.6, 2)},{code}-{k}")
    return "customer_code,order_date,amount,cost,order_code\n" + "\n".join(rows) + "\n"


Rows = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Runs:
    """What each recompute stored, and what the readers saw while consent was withdrawn."""

    consented: tuple[Rows, dict[str, Any]]
    withdrawn: tuple[Rows, dict[str, Any]]
    reconsented: tuple[Rows, dict[str, Any]]
    pages: dict[str, str]  # the withdrawn customer's 360, by language
    other_page: str
    api: dict[str, Any]
    other_api: dict[str, Any]
    show: dict[str, str]  # `tierwise analytics show`, by language
    rfm_report: list[list[Any]]


def _stored(app: App) -> tuple[Rows, dict[str, Any]]:
    """Every stored indicator per customer code, and the run's headline."""
    ci = CustomerIndicator
    columns = [c for c in ci.__table__.columns if c.name not in ("run_id", "customer_id")]
    with app.uow() as uow:
        run = uow.session.scalars(select(AnalyticsRun).where(AnalyticsRun.as_of == AS_OF)).one()
        rows = uow.session.execute(
            select(Customer.code, *columns)
            .join(ci, ci.customer_id == Customer.id)
            .where(ci.run_id == run.id)
        ).mappings()
        stored = {row["code"]: {k: v for k, v in row.items() if k != "code"} for row in rows}
        return stored, dict(run.headline)


def _consent(app: App, granted: bool) -> None:
    with app.uow() as uow:
        decide_consent(uow, SYSTEM, WITHDRAWN, ConsentPurpose.ANALYTICS, granted, "test")
        uow.commit()


def _recompute(app: App) -> tuple[Rows, dict[str, Any]]:
    Recomputes.of(app).run(AS_OF, None)
    return _stored(app)


def _lang(lang: str) -> dict[str, str]:
    return {"Accept-Language": lang}


def _cli(app: App, monkeypatch: pytest.MonkeyPatch, lang: str, *args: str) -> str:
    monkeypatch.setenv("TIERWISE_DATABASE_URL", app.engine.url.render_as_string(False))
    set_language(lang)
    try:
        result = CliRunner().invoke(build_cli(), list(args))
    finally:
        set_language("en")
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Runs]:
    """The customers and orders above recomputed as consented, withdrawn and granted again."""
    folder = tmp_path_factory.mktemp("consent")
    url = database_for(request.param, "tierwise_test_consent", str(folder))
    migrate.upgrade(url)
    app = bootstrap(Settings(database_url=url, failed_sign_in_delay=0.0))
    for name, text, entity in (
        ("customers.csv", _customers(), CustomersImport()),
        ("orders.csv", _orders(), OrdersImport()),
    ):
        path = folder / name
        path.write_text(text, encoding="utf-8")
        with app.uow() as uow:
            run_import(uow.connection, entity, path, ImportOptions(today=AS_OF))
            uow.commit()
    with app.uow() as uow:
        admin = accounts.add_user(uow.session, "admin", "管理员", "admin", PASSWORD)
        admin.must_change_password = False
        uow.commit()
    _consent(app, True)
    consented = _recompute(app)
    _consent(app, False)
    withdrawn = _recompute(app)
    with TestClient(create_app(app), base_url="https://testserver") as client:
        signed = client.post("/api/v1/session", json={"username": "admin", "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        pages = {
            lang: unescape(client.get(f"/customers/{WITHDRAWN}", headers=_lang(lang)).text)
            for lang in ("en", "zh-CN")
        }
        other_page = unescape(client.get("/customers/C04").text)
        api = client.get(f"/api/v1/customers/{WITHDRAWN}/indicators").json()
        other_api = client.get("/api/v1/customers/C04/indicators").json()
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(terminal.console, "width", 200)  # no labels cut short
    show = {lang: _cli(app, monkeypatch, lang, "analytics", "show", WITHDRAWN) for lang in LANGS}
    monkeypatch.undo()
    with app.uow() as uow:
        run = uow.session.scalars(select(AnalyticsRun)).one()
        rfm_report = build(uow.session, run, "rfm").rows
    _consent(app, True)
    reconsented = _recompute(app)
    yield Runs(
        consented, withdrawn, reconsented, pages, other_page, api, other_api, show, rfm_report
    )
    app.engine.dispose()


def test_the_withdrawn_customer_has_no_profile_but_keeps_its_figures(runs: Runs) -> None:
    before, after = runs.consented[0][WITHDRAWN], runs.withdrawn[0][WITHDRAWN]
    assert before["clv"] is not None and before["rfm_segment"] is not None
    assert before["share_of_wallet"] is not None and before["loyalty"] is None  # no survey
    assert all(after[name] is None for name in PROFILING), {n: after[n] for n in PROFILING}
    assert after["profiling_withheld"] is True and before["profiling_withheld"] is False
    kept = {k: v for k, v in before.items() if k not in PROFILING and k != "profiling_withheld"}
    assert kept == {k: after[k] for k in kept}  # sales, profit, ABC, cost to serve, tier …
    assert after["sales"] and after["abc_class"] and after["btyd_frequency"] is not None


def test_the_headline_counts_everyone_and_says_how_many_were_withheld(runs: Runs) -> None:
    consented, withdrawn = dict(runs.consented[1]), dict(runs.withdrawn[1])
    assert consented.pop("profiling_withheld") == 0
    assert withdrawn.pop("profiling_withheld") == 1
    assert withdrawn == consented  # totals, whale curve, ABC shares, customer equity
    assert withdrawn["customer_equity"] > 0 and withdrawn["buyers"] == len(CODES)


def test_the_other_customers_are_unchanged(runs: Runs) -> None:
    for code in CODES:
        if code != WITHDRAWN:
            assert runs.withdrawn[0][code] == runs.consented[0][code], code
            assert runs.withdrawn[0][code]["clv"] is not None, code


def test_granting_consent_again_brings_the_profile_back(runs: Runs) -> None:
    assert runs.reconsented == runs.consented


def test_the_360_says_why_instead_of_the_values(runs: Runs) -> None:
    english = runs.pages["en"]
    trend = english[english.index('id="trend-title"') :]
    trend = trend[: trend.index("</table>")]
    assert "Not profiled (analytics consent withdrawn)" in trend
    assert "¥" in trend  # sales and profit still shown
    assert "未同意分析" in runs.pages["zh-CN"]
    other = runs.other_page[runs.other_page.index('id="trend-title"') :]
    assert "Not profiled" not in other[: other.index("</table>")]


def test_the_api_returns_nulls_and_says_why(runs: Runs) -> None:
    assert all(runs.api[name] is None for name in PROFILING)
    assert runs.api["not_profiled_reason"] == REASON and runs.api["profiling_withheld"] is True
    assert runs.api["sales"] is not None and runs.api["abc_class"] is not None
    assert runs.other_api["not_profiled_reason"] is None and runs.other_api["clv"] is not None


def test_the_command_line_and_the_reports_name_the_withheld(runs: Runs) -> None:
    assert "Not profiled (analytics consent withdrawn)" in runs.show["en"]
    assert "未同意分析" in runs.show["zh_CN"]
    groups = {row[0]: row[1] for row in runs.rfm_report}
    assert groups["not_profiled"] == 1 and None not in groups
    assert sum(groups.values()) == len(CODES)  # the report still counts every buyer
