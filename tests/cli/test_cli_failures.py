"""Every failure a user can cause is one line on stderr and a documented exit code, no traceback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from tierwise.bootstrap import App
from tierwise.cli import build
from tierwise.customers.models import Customer

from ..support.cli_world import (
    CUSTOMERS_CSV,
    demo_database,
    impatient,
    read_only,
    refusal,
    tierwise,
    url_of,
    write_locked,
)

HIDE_PYSPARK = '''
import sys


class HidePyspark:
    """As if the spark extra were not installed."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "pyspark":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, HidePyspark())
'''


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """Committed demo data with a snapshot, as `tierwise demo` leaves it."""
    app = demo_database(request.param, "cli_failures", tmp_path_factory.mktemp("f"), True)
    yield app
    app.engine.dispose()


def customers(app: App, code: str) -> int:
    with app.uow() as uow:
        return int(uow.session.scalar(select(func.count()).where(Customer.code == code)) or 0)


def test_analytics_show_prints_a_demo_customers_indicators(
    demo: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    with demo.uow() as uow:
        code = uow.session.scalar(select(Customer.code).order_by(Customer.code).limit(1))
    monkeypatch.setenv("TIERWISE_DATABASE_URL", url_of(demo))
    result = CliRunner().invoke(build(), ["analytics", "show", str(code)])
    assert result.exit_code == 0, result.output
    assert "Gross profit on lines with a known cost" in result.output
    assert "Graded on value or as a prospect" in result.output
    assert "gross_profit" not in result.output and "tier_basis" not in result.output


@pytest.mark.parametrize("report", ["pareto", "abc", "loyalty"])
def test_analytics_reports_print_every_share_as_a_percentage(
    demo: App, monkeypatch: pytest.MonkeyPatch, report: str
) -> None:
    monkeypatch.setenv("TIERWISE_DATABASE_URL", url_of(demo))
    monkeypatch.setenv("COLUMNS", "200")
    result = CliRunner().invoke(build(), ["analytics", "report", report])
    assert result.exit_code == 0, result.output
    table = result.output.split("•")[0]
    assert "%" in table
    # A share past 100% or below 0 (the whale curve's peak, a loss-making class) was a fraction.
    assert re.findall(r"(?<![\d,.])-?\d\.\d{3}(?![\d%])", table) == []


def test_bad_input_exits_1_with_one_line_naming_it(demo: App, tmp_path: Path) -> None:
    bad = tmp_path / "no-code.csv"
    bad.write_text("customer_code,name\nX1,Someone\n", encoding="utf-8")
    line = refusal(tierwise(url_of(demo), "import", "customers", str(bad), folder=tmp_path), 1)
    assert "no-code.csv" in line and "code" in line
    line = refusal(tierwise(url_of(demo), "--as", "ghost", "tiers", "show", folder=tmp_path), 1)
    assert "--as ghost" in line


def test_usage_errors_exit_2_with_one_line(demo: App, tmp_path: Path) -> None:
    line = refusal(tierwise(url_of(demo), "customers", "show", "--bogus", folder=tmp_path), 2)
    assert "--bogus" in line and "--help" in line
    line = refusal(tierwise(url_of(demo), "import", "customers", "nowhere.csv", folder=tmp_path), 2)
    assert "nowhere.csv" in line


def test_a_write_locked_database_says_busy_and_exits_3(demo: App, tmp_path: Path) -> None:
    file = tmp_path / "customers.csv"
    file.write_text(CUSTOMERS_CSV, encoding="utf-8")
    url = url_of(demo)
    with write_locked(url):
        result = tierwise(impatient(url), "import", "customers", str(file), folder=tmp_path)
    assert "busy" in refusal(result, 3)
    assert customers(demo, "Z-LOCKED") == 0


def test_a_read_only_database_exits_4(demo: App, tmp_path: Path) -> None:
    file = tmp_path / "customers.csv"
    file.write_text(CUSTOMERS_CSV, encoding="utf-8")
    result = tierwise(read_only(url_of(demo)), "import", "customers", str(file), folder=tmp_path)
    assert "read-only" in refusal(result, 4)
    assert customers(demo, "Z-LOCKED") == 0


def test_spark_without_its_extra_exits_4_naming_the_extra(demo: App, tmp_path: Path) -> None:
    if demo.engine.dialect.name != "sqlite":
        pytest.skip("one database is enough: the extra is missing whatever the database")
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(HIDE_PYSPARK, encoding="utf-8")
    args = ("recompute", "--engine", "spark", "--as-of", "2026-11-02")
    result = tierwise(url_of(demo), *args, folder=tmp_path, python_path=(str(shim),))
    assert "pip install 'tierwise[spark]'" in refusal(result, 4)


def test_the_composition_report_prints_its_sections_and_writes_a_workbook(
    demo: App, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TIERWISE_DATABASE_URL", url_of(demo))
    monkeypatch.setenv("COLUMNS", "250")
    book = tmp_path / "composition.xlsx"
    args = ["analytics", "report", "composition", "--year", "2025", "--top", "3"]
    result = CliRunner().invoke(build(), [*args, "--xlsx", str(book)])
    assert result.exit_code == 0, result.output
    titles = ("Biggest customers by sales", "Customers lost after", "Complaints in", "Tiers in")
    for title in (*titles, "Product mix per tier"):
        assert title in result.output, title
    assert book.exists() and not book.with_name(book.name + ".part").exists()
    late = CliRunner().invoke(build(), ["analytics", "report", "composition", "--year", "2030"])
    assert late.exit_code == 1
    assert "year 2030 is after the snapshot of" in late.output
