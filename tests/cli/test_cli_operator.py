"""The CLI has an identity: what a command does is audited with its operator, `--as` names one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner, Result

from tierwise.bootstrap import App
from tierwise.cli import build
from tierwise.customers.models import Customer
from tierwise.identity import accounts
from tierwise.identity.models import AuditEntry
from tierwise.identity.operator import os_account
from tierwise.tiering.policy import default_policy_text

from ..support.cli_world import demo_database, url_of


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """Committed demo data, with users the tests add as they need them."""
    app = demo_database(request.param, "cli_operator", tmp_path_factory.mktemp("o"), False)
    yield app
    app.engine.dispose()


@pytest.fixture
def cli(demo: App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """`tierwise ARGS` in-process on the demo database; returns the result and the new audit."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIERWISE_DATABASE_URL", url_of(demo))

    def run(*args: str) -> tuple[Result, list[AuditEntry]]:
        with demo.uow() as uow:
            before = uow.session.scalar(select(func.max(AuditEntry.id))) or 0
        result = CliRunner().invoke(build(), list(args))
        with demo.uow() as uow:
            query = select(AuditEntry).where(AuditEntry.id > before).order_by(AuditEntry.id)
            return result, list(uow.session.scalars(query))

    return run


def add_user(app: App, username: str, active: bool = True) -> None:
    with app.uow() as uow:
        user = accounts.add_user(uow.session, username, username, "csr", "a-long-password-1")
        user.active = active
        uow.commit()


def first_customer(app: App) -> str:
    with app.uow() as uow:
        return str(uow.session.scalar(select(Customer.code).order_by(Customer.code).limit(1)))


def test_a_cli_export_of_personal_data_is_audited_with_the_os_account(cli) -> None:  # type: ignore[no-untyped-def]
    result, audit = cli("export", "customers", "-o", "all.csv")
    assert result.exit_code == 0, result.output
    [entry] = audit
    assert (entry.actor_kind, entry.actor) == ("cli", os_account())
    assert (entry.action, entry.resource) == ("export", "customer")
    assert entry.fields == ["address", "email", "phone"]
    assert entry.note is not None and "unmasked" in entry.note and "all.csv" in entry.note
    assert entry.address is not None and entry.address.startswith(f"{os_account()}@")


def test_as_names_the_tierwise_user_who_reads_and_acts(demo: App, cli) -> None:  # type: ignore[no-untyped-def]
    add_user(demo, "clerk")
    add_user(demo, "newcomer")
    code = first_customer(demo)
    result, audit = cli("--as", "clerk", "customers", "show", code)
    assert result.exit_code == 0, result.output
    [read] = audit
    assert (read.actor_kind, read.actor, read.action, read.resource_id) == (
        "cli",
        "clerk",
        "read",
        code,
    )
    assert read.fields is not None and {"phone", "email"} <= set(read.fields)
    result, audit = cli("--as", "clerk", "users", "passwd", "newcomer")
    assert result.exit_code == 0, result.output
    assert [(e.actor, e.action, e.resource_id) for e in audit] == [
        ("clerk", "reset_password", "newcomer")
    ]


def test_as_refuses_unknown_and_disabled_users(demo: App, cli) -> None:  # type: ignore[no-untyped-def]
    add_user(demo, "gone", active=False)
    for name in ("ghost", "gone"):
        result, audit = cli("--as", name, "export", "customers", "-o", "x.csv")
        assert result.exit_code == 1
        assert isinstance(result.exception, accounts.AccountError), result.output
        assert f"--as {name}" in str(result.exception)
        assert audit == [] and not Path("x.csv").exists()


def test_a_cli_import_is_audited_with_the_operator(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    file = tmp_path / "one.csv"
    file.write_text("code,name,kind\nZ-AUDIT,Audited Co,enterprise\n", encoding="utf-8")
    result, audit = cli("import", "customers", str(file))
    assert result.exit_code == 0, result.output
    assert [(e.actor_kind, e.actor, e.action, e.resource, e.resource_id) for e in audit] == [
        ("cli", os_account(), "import", "customers", "one.csv")
    ]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def analysed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[App]:
    """Committed demo data with a snapshot, whose exports name customers."""
    app = demo_database(request.param, "cli_operator_snapshot", tmp_path_factory.mktemp("s"), True)
    yield app
    app.engine.dispose()


@pytest.mark.parametrize(
    ("args", "resource"),
    [
        (("analytics", "export", "-o", "snapshot.csv"), "indicators"),
        (("tiers", "simulate", "policy.toml", "--out", "movers.csv"), "tier_movers"),
    ],
    ids=["analytics export", "tiers simulate --out"],
)
def test_files_naming_customers_are_audited_with_the_operator(
    analysed: App,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    resource: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIERWISE_DATABASE_URL", url_of(analysed))
    (tmp_path / "policy.toml").write_text(default_policy_text(), encoding="utf-8")
    with analysed.uow() as uow:
        before = uow.session.scalar(select(func.max(AuditEntry.id))) or 0
    result = CliRunner().invoke(build(), list(args))
    assert result.exit_code == 0, result.output
    with analysed.uow() as uow:
        query = select(AuditEntry).where(AuditEntry.id > before, AuditEntry.action == "export")
        [entry] = uow.session.scalars(query)
    assert (entry.actor_kind, entry.actor, entry.resource) == ("cli", os_account(), resource)
    assert entry.fields == ["name"] and entry.note is not None and args[-1] in entry.note
