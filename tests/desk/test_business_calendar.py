"""Business-hours clocks: working days, opening hours, holidays and make-up working days."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tierwise.desk.calendar import Calendar

ZONE = ZoneInfo("Asia/Shanghai")
# National Day 2026: 10-01..10-07 off, Sunday 09-27 and Saturday 10-10 worked (调休).
CAL = Calendar(
    holidays=frozenset(dt.date(2026, 10, d) for d in range(1, 8)),
    workdays=frozenset({dt.date(2026, 9, 27), dt.date(2026, 10, 10)}),
)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    """A local moment in 2026."""
    return dt.datetime(2026, month, day, hour, minute, tzinfo=ZONE)


def test_adding_business_time_skips_nights_and_weekends() -> None:
    assert CAL.add(at(2, 10), 3600) == at(2, 11)  # Monday 10:00 + 1 h
    assert CAL.add(at(2, 17), 2 * 3600) == at(3, 10)  # one hour today, one tomorrow
    assert CAL.add(at(6, 17), 2 * 3600) == at(9, 10)  # Friday evening → Monday
    assert CAL.add(at(7, 12), 3600) == at(9, 10)  # from a Saturday
    assert CAL.add(at(2, 7), 60) == at(2, 9, 1)  # before opening


def test_holidays_stop_the_clock_and_make_up_days_run_it() -> None:
    assert CAL.add(at(30, 17, month=9), 2 * 3600) == at(8, 10, month=10)  # across National Day
    assert CAL.add(at(9, 17, month=10), 2 * 3600) == at(10, 10, month=10)  # Saturday worked
    assert CAL.between(at(1, 9, month=10), at(7, 18, month=10)) == 0.0


def test_business_seconds_between_two_moments() -> None:
    assert CAL.between(at(2, 17), at(3, 10)) == 2 * 3600
    assert CAL.between(at(6, 12), at(9, 12)) == 9 * 3600  # Fri 12–18, Mon 9–12
    assert CAL.between(at(3, 10), at(2, 10)) == 0.0


def test_a_calendar_that_closes_before_it_opens_is_refused() -> None:
    with pytest.raises(ValueError, match="close"):
        Calendar(opens=dt.time(18), closes=dt.time(9))


@settings(max_examples=200, deadline=None)
@given(
    start=st.datetimes(
        dt.datetime(2026, 9, 1),  # noqa: DTZ001 (hypothesis takes naive bounds, zone below)
        dt.datetime(2026, 12, 31),  # noqa: DTZ001
        timezones=st.just(ZONE),
    ),
    hours=st.floats(0, 200),
)
def test_between_undoes_add(start: dt.datetime, hours: float) -> None:
    """The business time between a moment and that moment plus n business seconds is n."""
    end = CAL.add(start, hours * 3600)
    assert CAL.between(start, end) == pytest.approx(hours * 3600, abs=1e-3)
