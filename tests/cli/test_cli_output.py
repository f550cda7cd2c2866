"""What the CLI prints to be saved comes out byte for byte; wide tables read well at any width."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tierwise.accountability import service as accountability
from tierwise.bootstrap import App
from tierwise.cli import build
from tierwise.customers.models import Customer
from tierwise.desk import queue
from tierwise.identity.access import SYSTEM
from tierwise.organisation.models import OrgPolicy, Staff
from tierwise.organisation.rules import default_rules_text
from tierwise.organisation.service import active_rules
from tierwise.tiering import service
from tierwise.tiering.models import TierPolicy
from tierwise.tiering.policy import default_policy_text

from ..support.cli_world import AS_OF, demo_database, refusal, tierwise, url_of

CALLS_DAY = "2026-10-30"
LONG_COMMENT = "# " + "a note that runs on well past the eighty columns a pipe was once given " * 3


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """Committed demo data graded by the shipped policy, as `tierwise demo` leaves it."""
    app = demo_database(request.param, "cli_output", tmp_path_factory.mktemp("o"), False)
    with app.uow() as uow:
        service.apply_policy(uow, SYSTEM, default_policy_text(), "default", "test")
        accountability.apply_rules(uow, default_rules_text(), "default", "test")
        uow.commit()
    app.recomputes.run(AS_OF, None)
    calls_on(app, dt.datetime(2026, 10, 30, 2, tzinfo=dt.UTC))  # 10:00 company time
    yield app
    app.engine.dispose()


def saved(app: App, folder: Path, name: str, columns: str | None, *args: str) -> Path:
    """Run `tierwise ARGS > name` as a shell would, COLUMNS unset or set; the file written."""
    env = {**os.environ, "TIERWISE_DATABASE_URL": url_of(app), "TIERWISE_LANG": "en"}
    env.pop("COLUMNS", None)
    if columns is not None:
        env["COLUMNS"] = columns
    target = folder / name
    with target.open("wb") as out:
        result = subprocess.run(
            [sys.executable, "-m", "tierwise", *args],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
    assert result.returncode == 0, result.stderr
    return target


def ran(app: App, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real command line, checked to have succeeded."""
    result = tierwise(url_of(app), *args, folder=folder)
    assert result.returncode == 0, result.stderr
    return result


def active_source(app: App, model: type[TierPolicy] | type[OrgPolicy]) -> str:
    """The stored text of the active policy or organisation rules."""
    with app.uow() as uow:
        return str(uow.session.scalar(select(model.source).where(model.active)))


@pytest.mark.parametrize("columns", [None, "80"])
def test_a_shown_policy_saves_byte_exact_and_simulates(
    demo: App, tmp_path: Path, columns: str | None
) -> None:
    draft = tmp_path / "long.toml"
    draft.write_bytes((default_policy_text() + LONG_COMMENT + "\n").encode())
    ran(demo, tmp_path, "tiers", "policy", "apply", str(draft))
    stored = active_source(demo, TierPolicy)
    shown = saved(demo, tmp_path, "p.toml", columns, "tiers", "policy", "show")
    assert shown.read_bytes() == stored.encode("utf-8")
    assert LONG_COMMENT in shown.read_text("utf-8").splitlines()
    assert "Migration" in ran(demo, tmp_path, "tiers", "simulate", str(shown)).stdout


@pytest.mark.parametrize("columns", [None, "80"])
def test_the_default_rules_save_byte_exact_and_apply(
    demo: App, tmp_path: Path, columns: str | None
) -> None:
    shown = saved(demo, tmp_path, "o.toml", columns, "assign", "rules", "show", "--default")
    assert shown.read_bytes() == default_rules_text().encode("utf-8")
    assert max(len(line) for line in shown.read_text("utf-8").splitlines()) > 80
    ran(demo, tmp_path, "assign", "rules", "apply", str(shown))
    assert active_source(demo, OrgPolicy) == default_rules_text()
    again = saved(demo, tmp_path, "active.toml", columns, "assign", "rules", "show")
    assert again.read_bytes() == shown.read_bytes()


def calls_on(app: App, day: dt.datetime) -> None:
    """A morning's calls to the desk from the first customers, half of them answered."""
    with app.uow() as uow:
        rules = active_rules(uow.connection)
        codes = uow.session.scalars(select(Customer.code).order_by(Customer.code).limit(8))
        agent = uow.session.scalar(select(Staff.id).order_by(Staff.id).limit(1))
        for minute, code in enumerate(codes):
            queue.enqueue(uow.connection, rules, code, day + dt.timedelta(minutes=minute))
            if minute % 2:
                queue.take_next(uow.connection, int(agent or 0), day + dt.timedelta(minutes=minute))
        uow.commit()


def invoked(app: App, monkeypatch: pytest.MonkeyPatch, columns: str | None, *args: str) -> str:
    """What a command printed in-process, with COLUMNS unset (redirected) or set."""
    monkeypatch.setenv("TIERWISE_DATABASE_URL", url_of(app))
    if columns is None:
        monkeypatch.delenv("COLUMNS", raising=False)
    else:
        monkeypatch.setenv("COLUMNS", columns)
    result = CliRunner().invoke(build(), [arg.format(day=CALLS_DAY) for arg in args])
    assert result.exit_code == 0, result.output
    return result.output


WIDE_TABLES = [
    ("scorecard", "--period", "2026-10"),
    ("service", "report", "--date", "{day}"),
    ("service", "staffing", "--date", "{day}", "--hours", "4"),
    ("tiers", "show"),
    ("staff", "list"),
]
HEADERS = {
    "scorecard": ["Referrals won", "Rank in team", "Compliance"],
    "report": ["Callbacks on time", "Service level", "Abandoned"],
    "staffing": ["agents (Erlang C)", "all tiers in one queue", "mean patience"],
    "show": ["12-month sales", "Customers", "Profit"],
    "list": ["Capacity", "Level", "Team"],
}


@pytest.mark.parametrize("args", WIDE_TABLES, ids=lambda args: "-".join(args[:2]))
def test_wide_tables_are_blocks_of_header_and_value_on_a_narrow_terminal(
    demo: App, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    output = invoked(demo, monkeypatch, "80", *args)
    headers = HEADERS[args[1] if args[0] != "scorecard" else "scorecard"]
    for header in headers:
        assert f"\n{header}: " in output, output
    assert "…" not in output and "┃" not in output
    assert "{" not in output and "['" not in output  # business words, no Python reprs


@pytest.mark.parametrize("args", WIDE_TABLES, ids=lambda args: "-".join(args[:2]))
def test_redirected_wide_tables_keep_every_header_whole(
    demo: App, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    output = invoked(demo, monkeypatch, None, *args)
    headers = HEADERS[args[1] if args[0] != "scorecard" else "scorecard"]
    lines = output.splitlines()
    assert any("┃" in line for line in lines)
    for header in headers:
        assert any(header in line for line in lines if "┃" in line), (header, output)
    assert "…" not in output


def test_a_missing_or_unreadable_file_is_one_line_naming_it(demo: App, tmp_path: Path) -> None:
    (tmp_path / "folder.toml").mkdir()
    (tmp_path / "broken.toml").write_text('name = "x"\n[[tiers\n', encoding="utf-8")
    url = url_of(demo)
    for args in (
        ("tiers", "simulate", "missing.toml"),
        ("tiers", "policy", "apply", "missing.toml"),
        ("assign", "rules", "apply", "missing.toml"),
        ("tiers", "simulate", "folder.toml"),
        ("assign", "rules", "apply", "folder.toml"),
        ("assign", "rules", "apply", "broken.toml"),
    ):
        line = refusal(tierwise(url, *args, folder=tmp_path), 1)
        assert line.startswith(args[-1] + ": "), line
        assert "Errno" not in line
