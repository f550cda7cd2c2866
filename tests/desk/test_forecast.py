"""The call forecast on SQLite and PostgreSQL: expected calls per weekday × hour and tier from a
seeded history (a week without calls left out, calls outside the weeks ignored), a day to come
planned from it, a day with calls planned from them, and weeks refused in plain words."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, insert

from tierwise.desk.forecast import forecast_calls
from tierwise.desk.models import ContactStatus, QueueContact
from tierwise.desk.planning import plan_day, plan_source
from tierwise.desk.staffing import agents_needed
from tierwise.organisation.models import OrgPolicy
from tierwise.organisation.rules import default_rules_text

ZONE = "Asia/Shanghai"
TODAY = dt.date(2026, 11, 30)  # a Monday; four weeks back start on Monday 2 November


def call(conn: Connection, day: dt.date, hour: int, tier: str, minute: int = 0) -> None:
    """One call answered after ten seconds, arriving at `hour`:`minute` Shanghai time."""
    arrived = dt.datetime.combine(day, dt.time(hour, minute), ZoneInfo(ZONE)).astimezone(dt.UTC)
    conn.execute(
        insert(QueueContact.__table__).values(
            caller="13800000000",
            tier=tier,
            lane=0 if tier == "A" else 1,
            priority=0,
            queue_key=0.0,
            answer_seconds=20,
            status=ContactStatus.TAKEN,
            arrived_at=arrived,
            taken_at=arrived + dt.timedelta(seconds=10),
        )
    )


@pytest.fixture
def history(connection: Connection) -> Connection:
    """Weeks of 2, 16 and 23 November with calls, the week of 9 November without any, and calls
    before the eight weeks and on today itself that no forecast may count."""
    connection.execute(
        insert(OrgPolicy.__table__).values(
            version=1, name="d", source=default_rules_text(), active=True
        )
    )
    monday = dt.date(2026, 11, 2)
    for minute in (0, 10, 20):
        call(connection, monday, 9, "A", minute)  # week 1: three on Monday 09:00–10:00
    call(connection, monday + dt.timedelta(weeks=2), 9, "A", 30)  # week 3: one
    for minute in (5, 50):
        call(connection, monday + dt.timedelta(weeks=2, days=1), 14, "B", minute)  # Tuesday
    for minute in (1, 2):
        call(connection, monday + dt.timedelta(weeks=3), 9, "A", minute)  # week 4: two
    call(connection, dt.date(2026, 10, 1), 9, "A")  # before the eight weeks
    call(connection, TODAY, 9, "A")  # today is not history yet
    return connection


def test_the_forecast_averages_the_weeks_with_calls(history: Connection) -> None:
    expected = forecast_calls(history, ZONE, TODAY, 4)
    assert expected.weeks_used == [
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 16),
        dt.date(2026, 11, 23),
    ]
    assert expected.calls == pytest.approx({(0, 9, "A"): 2.0, (1, 14, "B"): 2 / 3})
    grid = expected.grid()
    assert grid[0][9] == pytest.approx(2.0) and grid[1][14] == pytest.approx(2 / 3)
    assert sum(map(sum, grid)) == pytest.approx(2 + 2 / 3)
    # One week back holds the two calls of 23 November alone.
    assert forecast_calls(history, ZONE, TODAY, 1).calls == {(0, 9, "A"): 2.0}


def test_a_desk_without_history_is_forecast_from_nothing_and_says_so(
    history: Connection,
) -> None:
    expected = forecast_calls(history, ZONE, dt.date(2026, 10, 1), 2)
    assert expected.weeks_used == [] and expected.calls == {}
    assert expected.grid() == [[0.0] * 24 for _ in range(7)]


@pytest.mark.parametrize("weeks", [0, 53])
def test_weeks_outside_one_to_fifty_two_are_refused(history: Connection, weeks: int) -> None:
    with pytest.raises(ValueError, match=f"Weeks: {weeks} is not between 1 and 52"):
        forecast_calls(history, ZONE, TODAY, weeks)


def test_a_day_to_come_is_planned_from_its_weekdays_forecast(history: Connection) -> None:
    plan = plan_day(history, ZONE, "2026-12-07", TODAY, 1)  # a Monday
    assert plan.forecast and plan.forecast_weeks == 3
    assert "Monday" in plan_source(plan) and "weeks with calls: 3 of the last 8" in plan_source(
        plan
    )
    [interval] = plan.intervals
    local = interval.start.astimezone(ZoneInfo(ZONE))
    assert (local.date(), local.hour) == (dt.date(2026, 12, 7), 9)
    [need] = interval.needs
    assert (need.tier, need.calls) == ("A", pytest.approx(2.0))
    assert need.erlang_c == agents_needed(2.0, 240, 20, 0.9)
    recent = plan_day(history, ZONE, "2026-12-07", TODAY, 1, weeks=1)
    assert (recent.forecast_weeks, recent.weeks_asked) == (1, 1)
    assert [n.calls for i in recent.intervals for n in i.needs] == [pytest.approx(2.0)]
    tuesday = plan_day(history, ZONE, "2026-12-01", TODAY, 4)
    [afternoon] = tuesday.intervals
    assert afternoon.start.astimezone(ZoneInfo(ZONE)).hour == 12
    assert [(n.tier, n.calls) for n in afternoon.needs] == [("B", pytest.approx(2 / 3))]


def test_a_day_with_calls_is_planned_from_them(history: Connection) -> None:
    plan = plan_day(history, ZONE, "2026-11-02", TODAY, 1)
    assert not plan.forecast
    assert plan_source(plan) == "Planned from the calls that arrived on this day."
    [interval] = plan.intervals
    assert [(n.tier, n.calls) for n in interval.needs] == [("A", 3)]
    # A past day without calls stays empty: the desk was closed, nothing is forecast for it.
    assert not plan_day(history, ZONE, "2026-11-10", TODAY, 1).forecast
