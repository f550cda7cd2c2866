"""The intervals as a recompute stores them and as the command line, the dashboard and the 360
show them, on both databases."""

from __future__ import annotations

import json
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from tierwise.analytics.models import AnalyticsRun, CustomerIndicator, FittedModel
from tierwise.cli import build
from tierwise.i18n import set_language

from ..support.api_world import World, password_for, rolled_back_client


def latest(world: World) -> AnalyticsRun:
    with world.app.uow() as uow:
        run = uow.session.scalars(select(AnalyticsRun).order_by(AnalyticsRun.as_of.desc())).first()
        assert run is not None
        uow.session.expunge(run)
        return run


def test_a_recompute_stores_standard_errors_and_intervals(world: World) -> None:
    run = latest(world)
    with world.app.uow() as uow:
        fits = {
            f.model: f
            for f in uow.session.scalars(select(FittedModel).where(FittedModel.run_id == run.id))
        }
        rows = uow.session.execute(
            select(
                CustomerIndicator.expected_purchases,
                CustomerIndicator.expected_purchases_low,
                CustomerIndicator.expected_purchases_high,
                CustomerIndicator.clv,
                CustomerIndicator.clv_low,
                CustomerIndicator.clv_high,
            ).where(CustomerIndicator.run_id == run.id, CustomerIndicator.clv.is_not(None))
        ).all()
    # The demo's purchase fits run along a ridge (hardly anyone drops out): they may have no
    # standard errors, but Gamma-Gamma has, and every model in use gives intervals.
    assert fits["gamma_gamma"].standard_errors is not None
    for fit in fits.values():
        errors = fit.standard_errors
        assert errors is None or (
            set(errors) == set(fit.params) and all(v > 0 for v in errors.values())
        )
    assert len(rows) > 100
    for purchases, p_low, p_high, value, low, high in rows:
        assert p_low is not None and p_high is not None and low is not None and high is not None
        assert p_low <= purchases <= p_high
        assert low <= value <= high  # stored to the cent
    assert sum(1 for r in rows if r[4] < r[3] < r[5]) > len(rows) / 2
    equity = run.headline["customer_equity"]
    assert run.headline["customer_equity_low"] < equity < run.headline["customer_equity_high"]


@pytest.fixture
def cli(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """The command line on the world's database."""
    monkeypatch.setenv("TIERWISE_DATABASE_URL", world.app.settings.database_url)
    yield CliRunner()
    set_language("en")


def test_analytics_show_and_model_give_the_intervals_and_standard_errors(
    world: World, cli: CliRunner
) -> None:
    result = cli.invoke(build(), ["analytics", "show", world.own])
    assert result.exit_code == 0, result.output
    lines = {
        line.split("│")[1].strip(): line
        for line in result.output.splitlines()
        if line.count("│") >= 3
    }
    assert "(90%:" in lines["Customer lifetime value (discounted gross margin)"]
    assert "(90%:" in lines["Expected purchases over the horizon"]
    assert not any("low end" in name for name in lines)  # shown beside the figure instead
    result = cli.invoke(build(), ["analytics", "model", "--json"])
    assert result.exit_code == 0, result.output
    models = {m["model"]: m for m in json.loads(result.output)}
    assert set(models["gamma_gamma"]["standard_errors"]) == {"p", "q", "v"}
    assert all("standard_errors" in m for m in models.values())
    result = cli.invoke(build(), ["analytics", "model"])
    assert "±" in result.output


def test_the_interval_is_worded_in_chinese_too(world: World, cli: CliRunner) -> None:
    set_language("zh_CN")
    result = cli.invoke(build(), ["analytics", "show", world.own])
    assert result.exit_code == 0, result.output
    assert "（90% 区间：" in result.output


@pytest.fixture
def admin(world: World) -> Iterator[TestClient]:
    """A console client signed in as the admin."""
    with rolled_back_client(world) as client:
        r = client.post(
            "/api/v1/session", json={"username": "admin", "password": password_for("admin")}
        )
        assert r.status_code == 200, r.text
        yield client


def test_the_dashboard_gives_customer_equity_with_its_interval(admin: TestClient) -> None:
    page = unescape(admin.get("/").text)
    assert "Customer equity (sum of CLV)" in page
    start = page.index('<p id="equity">')
    assert "(90%: ¥" in page[start : page.index("</p>", start)]
    page = unescape(admin.get("/", headers={"Accept-Language": "zh-CN"}).text)
    assert "客户资产（终身价值合计）" in page and "（90% 区间：¥" in page


def test_the_360_gives_clv_with_its_interval(admin: TestClient, world: World) -> None:
    page = unescape(admin.get(f"/customers/{world.own}").text)
    trend = page[page.index('id="trend-title"') :]
    assert "(90%: ¥" in trend[: trend.index("</table>")]


def test_the_recompute_summary_gives_customer_equity_with_its_interval(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tierwise.analytics.cli import print_headline

    headline = {
        "customers": 3,
        "buyers": 2,
        "top_share": 0.2,
        "top_profit_share": 0.5,
        "abc": {},
        "customer_equity": 503558.9,
        "customer_equity_low": 310515.2,
        "customer_equity_high": 816615.7,
    }
    print_headline(headline)
    assert "503,559 (90%: 310,515–816,616)" in capsys.readouterr().out
    print_headline({**headline, "customer_equity_low": None, "customer_equity_high": None})
    shown = capsys.readouterr().out
    assert "503,559" in shown and "90%" not in shown  # a run stored before the intervals
