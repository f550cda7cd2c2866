"""The calls to expect per weekday × hour and tier, from the last weeks of the queue's history.

The history is cut into whole weeks counted back from the start of today (company time zone).
A week in which no call arrived at all is left out, so a desk that opened three weeks ago is
forecast from those three weeks and not as a desk that is mostly silent. Each weekday × hour ×
tier expects the calls that arrived in it over the weeks used, divided by their number. The same
history carries what the staffing plan needs besides volumes: the callers' patience (from their
hang-ups and waits) and each tier's target; handle times are the tier's in the organisation rules.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from tierwise.desk.report import Line, report
from tierwise.i18n import N_, _
from tierwise.organisation.rules import OrgRules
from tierwise.organisation.service import active_rules

DEFAULT_WEEKS = 8
MOST_WEEKS = 52
WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
# What adds up across weeks (the target and threshold are the tier's, the same every week).
_COUNTS = (
    "offered",
    "answered",
    "within",
    "abandoned",
    "wait_total",
    "hung_up",
    "waited_to_abandon",
    "callbacks_due",
    "callbacks_on_time",
)


def check_weeks(weeks: int) -> int:
    """A number of weeks of history the forecast may look back over."""
    if not 1 <= weeks <= MOST_WEEKS:
        raise ValueError(
            _("Weeks: {value} is not between 1 and {most}").format(value=weeks, most=MOST_WEEKS)
        )
    return weeks


@dataclass(frozen=True)
class Forecast:
    """Expected calls per weekday × hour × tier, with the history they were drawn from."""

    weeks_asked: int
    weeks_used: list[dt.date]  # the first day of each week with calls, oldest first
    zone: str
    hourly: list[tuple[int, int, Line]]  # (weekday, local hour, the tier's calls summed)

    @property
    def calls(self) -> dict[tuple[int, int, str], float]:
        """Expected calls per (weekday, local hour, tier) in one week."""
        out: dict[tuple[int, int, str], float] = defaultdict(float)
        for weekday, hour, line in self.hourly:
            out[weekday, hour, line.tier] += line.offered / len(self.weeks_used)
        return dict(out)

    def grid(self) -> list[list[float]]:
        """Expected calls of every tier together, one row per weekday (Monday first), 24 hours."""
        rows = [[0.0] * 24 for _day in WEEKDAYS]
        for (weekday, hour, _tier), expected in self.calls.items():
            rows[weekday][hour] += expected
        return rows

    def day_lines(self, day: dt.date, hours: int) -> list[Line]:
        """The weeks' calls on `day`'s weekday as lines of `day`'s intervals, summed over the
        weeks used (divide rates by their number), carrying the waits and hang-ups behind them."""
        start = dt.datetime.combine(day, dt.time(), ZoneInfo(self.zone)).astimezone(dt.UTC)
        merged: dict[tuple[str, dt.datetime], Line] = {}
        for weekday, hour, line in self.hourly:
            if weekday != day.weekday():
                continue
            interval = start + dt.timedelta(hours=hour - hour % hours)
            key = (line.tier, interval)
            if key not in merged:
                merged[key] = replace(line, interval=interval, waits=[])
            else:
                total = merged[key]
                for name in _COUNTS:
                    setattr(total, name, getattr(total, name) + getattr(line, name))
        return sorted(merged.values(), key=lambda line: (line.interval, line.tier))


def forecast(conn: Connection, rules: OrgRules, zone: str, today: dt.date, weeks: int) -> Forecast:
    """The forecast from the `weeks` whole weeks before `today`, empty weeks left out."""
    tz = ZoneInfo(zone)
    first = today - dt.timedelta(weeks=weeks)
    start = dt.datetime.combine(first, dt.time(), tz).astimezone(dt.UTC)
    end = dt.datetime.combine(today, dt.time(), tz).astimezone(dt.UTC)
    hourly = []
    weeks_seen: set[dt.date] = set()
    for line in report(conn, rules, start, end, 1):
        local = line.interval.astimezone(tz)
        weeks_seen.add(first + dt.timedelta(weeks=(local.date() - first).days // 7))
        hourly.append((local.weekday(), local.hour, line))
    return Forecast(weeks, sorted(weeks_seen), zone, hourly)


def forecast_calls(conn: Connection, zone: str, today: dt.date, weeks: int) -> Forecast:
    """The forecast as every entry point asks for it: the weeks checked in plain words, with the
    organisation rules in force."""
    return forecast(conn, active_rules(conn), zone, today, check_weeks(weeks))


def weekday_name(weekday: int) -> str:
    """A weekday (Monday = 0) in the reader's language."""
    return _(WEEKDAYS[weekday])


def forecast_note(expected: Forecast) -> str:
    """Where the forecast comes from, in a sentence."""
    if not expected.weeks_used:
        return _("No calls in the last {n} weeks: there is nothing to forecast from.").format(
            n=expected.weeks_asked
        )
    return _(
        "A week's average over the weeks with calls: {used} of the last {asked}, "
        "the first from {first}."
    ).format(
        used=len(expected.weeks_used), asked=expected.weeks_asked, first=expected.weeks_used[0]
    )
