"""Scorecards against a hand-computed fixture: two teams, three owners, five customers, two
snapshots, tier moves, tasks, complaints, surveys and referrals; on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Connection, insert

from tierwise.accountability.models import Assignment, Staff, Task
from tierwise.accountability.scorecard import period_bounds, previous_period, scorecards
from tierwise.accountability.scorecard_export import write_xlsx
from tierwise.analytics.models import AnalyticsRun, CustomerIndicator
from tierwise.customers.models import Customer, Interaction, Referral
from tierwise.service.models import Survey
from tierwise.service.queue_models import Ticket
from tierwise.tiering.models import TierHistory

ORDER = ["A", "B", "C", "D"]
TODAY = dt.date(2026, 11, 20)
D = dt.date


def add(conn: Connection, model: type, **values: object) -> int:
    """Insert one row and return its id."""
    table = model.__table__  # type: ignore[attr-defined]
    return int(conn.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())


@pytest.fixture
def world(connection: Connection) -> Connection:
    """The fixture every figure below is computed from by hand."""
    c = connection
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
    return c


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


def test_the_xlsx_holds_the_same_figures(world: Connection, tmp_path: Path) -> None:
    result = scorecards(world, "2026-10", ORDER, TODAY)
    path = tmp_path / "scorecard.xlsx"
    write_xlsx(result, path, ORDER)
    book = load_workbook(path)
    owners = list(book.worksheets[0].values)
    header, rows = owners[0], {row[0]: dict(zip(owners[0], row, strict=True)) for row in owners[1:]}
    assert "Profit" in header and "Previous profit" in header
    assert rows["S1"]["Profit"] == 350 and rows["S1"]["Previous profit"] == 310
    assert rows["S1"]["Profit change"] == 40 and rows["S1"]["Tier A"] == 1
    teams = {row[0]: row for row in list(book.worksheets[1].values)[1:]}
    assert set(teams) == {"T1", "T2"}
