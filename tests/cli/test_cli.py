"""The CLI as a user drives it, on an embedded database file of the test's own."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tierwise.cli import build
from tierwise.i18n import set_language

STAFF = "员工编号,姓名,岗位,级别\nS1,王芳,客户经理,高级\n"
CUSTOMERS = (
    "客户编码,客户名称,客户类型,客户状态,客户经理,行业,信用额度\n"
    "C1,华东精密制造有限公司,企业,活跃,S1,制造业,500000\n"
    "C2,Li Lei,个人,潜在客户,,,\n"
)
ORDERS = (
    "customer_code,order_date,amount,order_code,cost\n"
    "C1,2025-01-05,1200.00,O1,800\n"
    "C1,2025-02-05,300.50,O2,\n"
)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run `tierwise …` in a fresh working directory with its own SQLite file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIERWISE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()

    def run(*args: str, lang: str = "en") -> tuple[int, str]:
        set_language(lang)
        result = runner.invoke(build(), list(args))
        return result.exit_code, result.output

    code, _ = run("db", "upgrade")
    assert code == 0
    return run


def _load(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    for kind, text in (("staff", STAFF), ("customers", CUSTOMERS), ("orders", ORDERS)):
        path = tmp_path / f"{kind}.csv"
        path.write_text(text, encoding="utf-8")
        code, out = cli("import", kind, str(path))
        assert code == 0, out


def test_import_then_show_in_english(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _load(tmp_path, cli)
    code, out = cli("customers", "show", "C1")
    assert code == 0, out
    assert "华东精密制造有限公司" in out
    assert "王芳" in out
    assert "1500.50" in out  # net sales over both orders
    assert "Purchases" in out


def test_show_speaks_chinese(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _load(tmp_path, cli)
    code, out = cli("customers", "show", "C1", lang="zh_CN")
    assert code == 0, out
    assert "购买情况" in out
    assert "企业" in out


def test_show_unknown_customer_fails_clearly(cli) -> None:  # type: ignore[no-untyped-def]
    code, out = cli("customers", "show", "NOPE")
    assert code == 1
    assert "NOPE" in out


def test_bad_file_exits_non_zero_naming_row_and_value(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _load(tmp_path, cli)
    bad = tmp_path / "bad.csv"
    bad.write_text("customer_code,order_date,amount\nC1,2025-13-01,10\nC404,2025-01-01,5\n")
    code, out = cli("import", "orders", str(bad))
    assert code == 1
    assert "row 2" in out and "2025-13-01" in out
    assert "row 3" in out and "C404" in out
    assert "nothing was written" in out


def test_skip_invalid_writes_good_rows_and_a_rejects_file(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _load(tmp_path, cli)
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("customer_code,order_date,amount\nC1,2025-03-01,10\nC404,2025-03-01,5\n")
    code, out = cli("import", "orders", str(mixed), "--skip-invalid")
    assert code == 0, out
    rejects = (tmp_path / "mixed.csv.rejects.csv").read_text(encoding="utf-8-sig")
    assert "C404" in rejects and "C1," not in rejects


def test_export_reimports_unchanged(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    _load(tmp_path, cli)
    for fmt in ("csv", "xlsx"):
        target = tmp_path / f"export.{fmt}"
        code, out = cli("export", "customers", "--format", fmt, "-o", str(target))
        assert code == 0, out
        code, out = cli("import", "customers", str(target))
        assert code == 0, out
        assert "inserted" in out
        numbers = {
            line.split("│")[1].strip(): line.split("│")[2].strip()
            for line in out.splitlines()
            if line.count("│") >= 3
        }
        assert numbers["inserted"] == "0" and numbers["updated"] == "0", out
        assert numbers["unchanged"] == "2", out


def test_missing_file_is_a_clear_error(cli) -> None:  # type: ignore[no-untyped-def]
    code, out = cli("import", "customers", "nowhere.csv")
    assert code == 2
    assert "nowhere.csv" in out


@pytest.mark.parametrize(
    ("command", "document", "message"),
    [
        (
            ("tiers", "policy", "apply"),
            ".".join(["a"] * 40_000) + " = 1\n",
            "p.toml: line 1: a key has 40,000 dotted parts; the limit is 32",
        ),
        (
            ("assign", "rules", "apply"),
            "x = " + "[" * 5_000 + "]" * 5_000 + "\n",
            "p.toml: line 1: arrays or tables nest 5,000 levels deep; the limit is 32",
        ),
    ],
    ids=["tier policy", "organisation rules"],
)
def test_a_hostile_document_gets_one_line_and_nothing_is_applied(  # type: ignore[no-untyped-def]
    tmp_path: Path, cli, command: tuple[str, ...], document: str, message: str
) -> None:
    (tmp_path / "p.toml").write_text(document, encoding="utf-8")
    code, out = cli(*command, "p.toml")
    assert (code, out) == (1, message + "\n")
    code, out = cli(*command[:-1], "show")  # nothing is active: the hint to apply one
    assert f"tierwise {' '.join(command)} FILE" in out
