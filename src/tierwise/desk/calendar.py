"""Business hours: SLA clocks run only on working days, between opening and closing, not on
holidays, and not while a ticket waits on the customer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Calendar:
    """Working days (Monday = 0), daily hours and holidays, in the company's time zone."""

    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    days: frozenset[int] = frozenset(range(5))
    opens: dt.time = dt.time(9)
    closes: dt.time = dt.time(18)
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)
    """Weekend days worked to make up for holidays (调休)."""

    def __post_init__(self) -> None:
        if self.closes <= self.opens:
            raise ValueError(
                f"business hours close ({self.closes}) before they open ({self.opens})"
            )

    def working(self, day: dt.date) -> bool:
        """Whether the day has business hours."""
        if day in self.workdays:
            return True
        return day.weekday() in self.days and day not in self.holidays

    def _window(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        start = dt.datetime.combine(day, self.opens, self.zone)
        return start, dt.datetime.combine(day, self.closes, self.zone)

    def between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Business seconds in [start, end) (0 when end is not after start)."""
        if end <= start:
            return 0.0
        local_start, local_end = start.astimezone(self.zone), end.astimezone(self.zone)
        total = 0.0
        day = local_start.date()
        while day <= local_end.date():
            if self.working(day):
                opens, closes = self._window(day)
                lo, hi = max(opens, local_start), min(closes, local_end)
                if hi > lo:
                    total += (hi - lo).total_seconds()
            day += dt.timedelta(days=1)
        return total

    def add(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The moment `seconds` of business time after `start` (in UTC)."""
        moment = start.astimezone(self.zone)
        left = seconds
        for _ in range(3660):  # ten years of days at most
            day = moment.date()
            if self.working(day):
                opens, closes = self._window(day)
                begin = max(opens, moment)
                if begin < closes:
                    room = (closes - begin).total_seconds()
                    if left <= room:
                        return (begin + dt.timedelta(seconds=left)).astimezone(dt.UTC)
                    left -= room
            moment = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), self.zone)
        raise ValueError("no business hours within ten years: check the calendar")
