"""Scorecards against a hand-computed fixture: two teams, three owners, five customers, two
snapshots, tier moves, tasks, complaints, surveys and referrals; on SQLite and PostgreSQL; and
`tierwise scorecard` on a database file of its own."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Connection, insert, update
from typer.testing import CliRunner

from tierwise.accountability.models import Assignment, Task
from tierwise.accountability.scorecard import period_bounds, previous_period, scorecards
from tierwise.accountability.scorecard_export import write_xlsx
from tierwise.analytics.models import AnalyticsRun, CustomerIndicator
from tierwise.cli import build as build_cli
from tierwise.customers.models import Customer, Interaction, Referral
from tierwise.customers.surveys import Survey
from tierwise.db.session import make_engine
from tierwise.desk.models import Ticket
from tierwise.i18n import set_language
from tierwise.organisation.models import Staff
from tierwise.tiering.models import TierHistory
from tierwise.tiering.policy import default_policy_text

ORDER = ["A", "B", "C", "D", "X"]  # as the CLI passes it: every tier, the blacklist last
TODAY = dt.date(2026, 11, 20)
D = dt.date


def add(conn: Connection, model: type, **values: object) -> int:
    """Insert one row and return its id."""
    table = model.__table__  # type: ignore[attr-defined]
    return int(conn.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())


@pytest.fixture
def world(connection: Connection) -> Connection:
    """The fixture every figure below is computed from by hand."""
    build(connection)
    return connection


def build(c: Connection) -> None:
    """Insert the hand-made organisation and its October 2026."""
    s1 = add(c, Staff, code="S1", name="王芳", role="account_manager", level="senior", team="T1")
    s2 = add(c, Staff, code="S2", name="李雷", role="account_manager", level="junior", team="T1")
    s3 = add(c, Staff, code="S3", name="张伟", role="sales", level="junior", team="T2")
    ids = {
        code: add(c, Customer, code=code, name=code, kind="enterprise", status="active")
        for code in ("C1", "C2", "C3", "C4", "C5")
    }
    for code, staff, start, end in (
        ("C1", s1, D(2026, 1, 1), None),
        ("C2", s1, D(2026, 1, 1), None),
        ("C3", s2, D(2026, 1, 1), None),
        ("C4", s3, D(2026, 1, 1), None),
        ("C5", s1, D(2026, 1, 1), D(2026, 10, 15)),
        ("C5", s2, D(2026, 10, 15), None),
    ):
        add(
            c,
            Assignment,
            customer_id=ids[code],
            staff_id=staff,
            role="owner",
            starts_on=start,
            ends_on=end,
            reason="rule",
        )
    for as_of, rows in (
        (
            D(2026, 9, 30),
            {"C1": ("B", 200, 400, False), "C2": ("A", 60, 80, False), "C5": ("B", 50, 90, False)},
        ),
        (
            D(2026, 10, 31),
            {
                "C1": ("A", 300, 500, False),
                "C2": ("B", 50, 100, True),
                "C3": ("C", -10, 20, False),
                "C4": ("D", 1, 2, False),
                "C5": ("B", 100, 150, False),
            },
        ),
    ):
        run = add(
            c,
            AnalyticsRun,
            as_of=as_of,
            engine="duckdb",
            time_unit="day",
            customers=len(rows),
            parameters={},
            headline={},
            computed_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        )
        for code, (tier, profit, clv, churned) in rows.items():
            c.execute(
                insert(CustomerIndicator.__table__).values(
                    run_id=run,
                    customer_id=ids[code],
                    tier=tier,
                    gross_profit=profit,
                    sales_12m=profit * 4,
                    clv=clv,
                    churned=churned,
                )
            )
    for code, tier, before, day, reason in (
        ("C1", "A", "B", D(2026, 10, 5), "upgrade"),
        ("C2", "B", "A", D(2026, 10, 20), "downgrade"),
        ("C3", "C", None, D(2026, 10, 2), "new"),
        ("C4", "X", "D", D(2026, 10, 25), "blacklist"),  # onto the blacklist: down
    ):
        add(
            c,
            TierHistory,
            customer_id=ids[code],
            tier=tier,
            previous_tier=before,
            effective_from=day,
            reason=reason,
            explanation={},
            recorded_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        )
    for kind, due, done in (
        ("call", D(2026, 10, 10), D(2026, 10, 9)),
        ("visit", D(2026, 10, 20), D(2026, 10, 25)),
        ("call", D(2026, 10, 30), None),
        ("call", D(2026, 11, 25), None),  # due after today: not counted yet
    ):
        add(
            c,
            Task,
            customer_id=ids["C1"],
            staff_id=s1,
            kind=kind,
            status="done" if done else "open",
            opened_on=D(2026, 9, 1),
            due_on=due,
            done_on=done,
            source="cadence",
        )
    for code, day, outcome in (
        ("C1", D(2026, 10, 12), "complaint"),
        ("C3", D(2026, 10, 1), "complaint"),
        ("C1", D(2026, 9, 30), "complaint"),  # September
        ("C1", D(2026, 10, 13), "resolved"),
    ):
        add(
            c,
            Interaction,
            customer_id=ids[code],
            channel="phone",
            direction="inbound",
            outcome=outcome,
            occurred_at=dt.datetime.combine(day, dt.time(10), dt.UTC),
        )
    for code, day, csat, nps in (("C1", D(2026, 10, 3), 4, 9), ("C2", D(2026, 10, 20), 2, 3)):
        add(
            c,
            Survey,
            code=f"{code}-{day}",
            customer_id=ids[code],
            answered_on=day,
            csat=csat,
            nps=nps,
        )
    for due, resolved in ((D(2026, 10, 15), D(2026, 10, 16)), (D(2026, 10, 20), D(2026, 10, 19))):
        add(
            c,
            Ticket,
            customer_id=ids["C1"],
            kind="request",
            channel="phone",
            subject="x",
            status="closed",
            priority=1,
            opened_at=dt.datetime(2026, 10, 1, tzinfo=dt.UTC),
            first_response_due=dt.datetime(2026, 10, 1, 9, tzinfo=dt.UTC),
            resolution_due=dt.datetime.combine(due, dt.time(9), dt.UTC),
            resolved_at=dt.datetime.combine(resolved, dt.time(9), dt.UTC),
            paused_seconds=0.0,
        )
    add(
        c,
        Referral,
        referrer_id=ids["C1"],
        referred_id=ids["C4"],
        referred_name="C4",
        referred_on=D(2026, 10, 8),
    )
    add(
        c,
        Referral,
        referrer_id=ids["C1"],
        referred_id=None,
        referred_name="某公司",
        referred_on=D(2026, 10, 9),
    )


def test_owner_team_previous_period_and_peers_are_as_computed_by_hand(world: Connection) -> None:
    result = scorecards(world, "2026-10", ORDER, TODAY)
    s1 = next(c for c in result.owners if c.code == "S1")
    # C5 moved to S2 on 10-15, so S1 holds C1 (A) and C2 (B) at the end of October.
    assert (s1.customers, s1.by_tier) == (2, {"A": 1, "B": 1})
    assert (s1.sales_12m, s1.profit, s1.clv) == (
        1400.0,
        350.0,
        600.0,
    )  # 4×(300+50); 300+50; 500+100
    assert (s1.up, s1.down) == (1, 1)  # C1 B→A, C2 A→B; C3's first grading does not count
    assert (s1.churned, s1.lost_value) == (1, 80.0)  # C2, its September CLV
    assert (s1.obligations_due, s1.obligations_on_time, s1.compliance) == (3, 1, 1 / 3)
    assert (s1.complaints, s1.mean_csat, s1.mean_nps, s1.referrals_won) == (1, 3.0, 6.0, 1)
    assert (s1.sla_due, s1.sla_on_time, s1.sla_compliance) == (2, 1, 0.5)  # one ticket late
    # September: S1 held C1, C2 and C5: 200 + 60 + 50.
    assert result.previous_owners["S1"].profit == 310.0
    s2 = next(c for c in result.owners if c.code == "S2")
    assert (s2.customers, s2.profit, s2.clv, s2.complaints) == (2, 90.0, 170.0, 1)  # C3 + C5
    t1 = next(t for t in result.teams if t.code == "T1")
    assert (t1.customers, t1.profit, t1.up, t1.down, t1.mean_csat) == (4, 440.0, 1, 1, 3.0)
    assert result.team_median_profit["T1"] == 220.0  # median of 350 and 90
    assert (result.rank_in_team["S1"], result.rank_in_team["S2"], result.rank_in_team["S3"]) == (
        1,
        2,
        1,
    )


def test_quarters_and_bad_periods(world: Connection) -> None:
    assert period_bounds("2026-Q4") == (D(2026, 10, 1), D(2026, 12, 31))
    assert period_bounds("2026-12") == (D(2026, 12, 1), D(2026, 12, 31))
    assert (previous_period("2026-Q1"), previous_period("2026-01")) == ("2025-Q4", "2025-12")
    for bad in ("2026-13", "2026-Q5", "abc", "2026-1"):
        with pytest.raises(ValueError, match=repr(bad)):
            period_bounds(bad)
    quarter = scorecards(world, "2026-Q4", ORDER, TODAY)
    assert next(c for c in quarter.owners if c.code == "S1").obligations_due == 3


def test_every_team_figure_changes_and_peer_medians(world: Connection) -> None:
    result = scorecards(world, "2026-10", ORDER, TODAY)
    t1 = next(t for t in result.teams if t.code == "T1")
    # T1 = S1 (C1 A, C2 B) + S2 (C3 C, C5 B) in the October snapshot.
    assert (t1.customers, t1.by_tier) == (4, {"A": 1, "B": 2, "C": 1})
    assert (t1.sales_12m, t1.profit, t1.clv) == (
        1760.0,  # 4×(300+50) + 4×(−10+100) = 1400 + 360
        440.0,  # 350 + 90
        770.0,  # 600 + 170
    )
    assert (t1.up, t1.down, t1.churned, t1.lost_value) == (1, 1, 1, 80.0)  # all S1's
    assert (t1.obligations_due, t1.obligations_on_time, t1.compliance) == (3, 1, 1 / 3)
    assert (t1.sla_due, t1.sla_on_time, t1.sla_compliance) == (2, 1, 0.5)
    # complaints: C1 on 10-12 (S1) + C3 on 10-01 (S2); CSAT (4+2)/2, NPS (9+3)/2 over the rows
    assert (t1.complaints, t1.mean_csat, t1.mean_nps, t1.referrals_won) == (2, 3.0, 6.0, 1)
    s3 = next(c for c in result.owners if c.code == "S3")
    t2 = next(t for t in result.teams if t.code == "T2")
    # C4 D→X (reason blacklist) counts as down; C4 is S3's only customer: profit 1, CLV 2.
    assert (s3.down, t2.down, t2.customers, t2.profit, t2.clv) == (1, 1, 1, 1.0, 2.0)
    assert s3.compliance is None and s3.mean_csat is None  # nothing due, no survey

    # September: S1 held C1, C2, C5 (profit 200+60+50, CLV 400+80+90); S2 held C3, not in the
    # September snapshot (profit 0); T1 = 310 + 0.
    assert result.change("S1", "profit") == 40.0  # 350 − 310
    assert result.change("S1", "clv") == 30.0  # 600 − 570
    assert result.change("S1", "customers") == -1  # 2 − 3
    assert result.change("S1", "complaints") == 0  # October 1, September 1 (C1 on 09-30)
    assert result.change("S1", "mean_csat") is None  # no September survey
    assert result.change("S2", "profit") == 90.0  # 90 − 0
    assert result.change("T1", "profit", team=True) == 130.0  # 440 − 310
    assert result.change("NOBODY", "profit") is None

    peers = result.team_medians["T1"]  # medians over S1 and S2; None figures left out
    assert (peers["customers"], peers["sales_12m"], peers["profit"], peers["clv"]) == (
        2,  # median(2, 2)
        880.0,  # (1400 + 360) / 2
        220.0,  # (350 + 90) / 2
        385.0,  # (600 + 170) / 2
    )
    assert (peers["up"], peers["down"], peers["churned"], peers["lost_value"]) == (
        0.5,
        0.5,
        0.5,
        40.0,
    )
    assert (peers["compliance"], peers["mean_csat"], peers["complaints"]) == (1 / 3, 3.0, 1)
    assert result.team_medians["T2"]["profit"] == 1.0  # S3 alone


def test_the_xlsx_holds_every_figure(world: Connection, tmp_path: Path) -> None:
    result = scorecards(world, "2026-10", ORDER, TODAY)
    path = tmp_path / "scorecard.xlsx"
    write_xlsx(result, path, ORDER)
    book = load_workbook(path)
    assert book.sheetnames == ["Owners", "Teams"]
    owners = list(book["Owners"].values)
    s1 = next(dict(zip(owners[0], row, strict=True)) for row in owners[1:] if row[0] == "S1")
    assert s1 == {
        "Code": "S1",
        "Name": "王芳",
        "Team": "T1",
        "Customers": 2,
        "Tier A": 1,
        "Tier B": 1,
        "Tier C": 0,
        "Tier D": 0,
        "Tier X": 0,
        "12-month sales": 1400,
        "Profit": 350,
        "CLV": 600,
        "Up": 1,
        "Down": 1,
        "Churned": 1,
        "Lost value": 80,
        "Obligations due": 3,
        "On time": 1,
        "Compliance": pytest.approx(1 / 3),
        "SLA compliance": 0.5,
        "Complaints": 1,
        "CSAT": 3,
        "NPS": 6,
        "Referrals won": 1,
        "Previous profit": 310,
        "Profit change": 40,
    }
    teams = list(book["Teams"].values)
    assert {row[0] for row in teams[1:]} == {"T1", "T2"}
    t1 = next(dict(zip(teams[0], row, strict=True)) for row in teams[1:] if row[0] == "T1")
    assert (t1["Customers"], t1["Profit"], t1["Previous profit"], t1["Profit change"]) == (
        4,
        440,
        310,
        130,
    )


def test_the_command_prints_and_exports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIERWISE_DATABASE_URL", url)
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        set_language("en")
        result = runner.invoke(build_cli(), list(args))
        return result.exit_code, result.output

    assert run("db", "upgrade")[0] == 0
    policy = tmp_path / "policy.toml"
    policy.write_text(default_policy_text(), encoding="utf-8")
    code, out = run("tiers", "policy", "apply", str(policy))
    assert code == 0, out
    engine = make_engine(url)
    with engine.begin() as conn:
        build(conn)
    engine.dispose()

    code, out = run("scorecard", "--period", "2026-10", "--out", "sc.xlsx")
    assert code == 0, out
    assert "Owners, 2026-10" in out and "Teams, 2026-10" in out
    assert "S1" in out and "S3" in out and "440" in out  # T1's profit
    book = load_workbook(tmp_path / "sc.xlsx")
    owners = {row[0]: row for row in list(book["Owners"].values)[1:]}
    header = next(book["Owners"].values)
    assert owners["S1"][header.index("Profit")] == 350
    assert owners["S3"][header.index("Down")] == 1  # the blacklist move, with the policy's order

    code, out = run("scorecard", "--period", "2026-10", "--team", "T2")
    assert code == 0, out
    assert "S3" in out and "S1" not in out

    code, out = run("scorecard", "--period", "2026-13")
    assert code == 1
    assert "2026-13" in out


def test_the_xlsx_holds_names_as_text_never_as_formulas(world: Connection, tmp_path: Path) -> None:
    formula = '=HYPERLINK("http://evil.example","S1")'
    world.execute(update(Staff.__table__).where(Staff.code == "S1").values(name=formula))
    path = tmp_path / "scorecard.xlsx"
    write_xlsx(scorecards(world, "2026-10", ORDER, TODAY), path, ORDER)
    owners = load_workbook(path)["Owners"]
    s1 = next(row for row in owners.iter_rows(min_row=2) if row[0].value == "S1")
    assert (s1[1].value, s1[1].data_type) == (formula, "s")
