"""The demo world's shared state: one random stream, the clock derived from as_of, ids, rows."""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, TypeVar

from faker import Faker
from sqlalchemy import Connection, Table

from tierwise.demo.catalog import MOBILE_PREFIXES, SPRING_FESTIVAL

T = TypeVar("T")

HISTORY_DAYS = 4 * 365 + 1  # orders cover about four years before as_of
INSERT_ROWS = 20_000  # rows per executemany: big enough to be fast, small enough for memory
CST = dt.timezone(dt.timedelta(hours=8), "CST")  # China has one zone and no daylight saving
_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_EPOCH_ORD = _EPOCH.date().toordinal()


def money(cents: int) -> Decimal:
    """Cents as an exact two-place Decimal, the form Numeric(18, 2) columns take."""
    return Decimal(cents).scaleb(-2)


def yuan_to_cents(yuan: float) -> int:
    """Round a yuan amount to whole cents."""
    return round(yuan * 100)


def day_weight(day: dt.date) -> float:
    """Seasonality of buying: before 春节, 618, 双11 and year-end budgets up; holidays down."""
    weight = 0.55 if day.weekday() >= 5 else 1.0
    month, dom = day.month, day.day
    festival = SPRING_FESTIVAL.get(day.year, (2, 1))
    to_festival = (dt.date(day.year, *festival) - day).days
    if 1 <= to_festival <= 21:
        weight *= 1.7
    elif -7 <= to_festival <= 0:
        weight *= 0.3
    if month == 11:
        weight *= 1.9 if dom <= 11 else 1.25
    elif month == 12 or (month == 6 and dom <= 18):
        weight *= 1.3
    elif month == 10 and dom <= 7:
        weight *= 0.5
    return weight


class World:
    """Everything the generators share; all randomness flows from `seed`, all time from `as_of`."""

    def __init__(self, seed: int, as_of: dt.date) -> None:
        self.rng = random.Random(seed)
        self.zh = Faker("zh_CN")
        self.zh.seed_instance(seed)
        self.en = Faker("en_US")
        self.en.seed_instance(seed + 1)
        self.as_of = as_of
        self.end = as_of.toordinal()  # exclusive: nothing happens on or after as_of
        self.start = self.end - HISTORY_DAYS
        self.ids: dict[str, int] = {}
        cum = [0.0]
        for ordinal in range(self.start, self.end):
            cum.append(cum[-1] + day_weight(dt.date.fromordinal(ordinal)))
        self._season_cum = cum

    def next_id(self, table: str) -> int:
        """The next surrogate key of `table`: the database is empty, so keys are ours to give."""
        value = self.ids.get(table, 0) + 1
        self.ids[table] = value
        return value

    def count(self, table: str) -> int:
        """How many ids of `table` have been handed out."""
        return self.ids.get(table, 0)

    def pick(self, options: Sequence[T]) -> T:
        """One option, uniformly."""
        return options[int(self.rng.random() * len(options))]

    def chance(self, p: float) -> bool:
        """True with probability p."""
        return self.rng.random() < p

    def poisson(self, lam: float) -> int:
        """A Poisson count (Knuth for small means, a rounded normal for large ones)."""
        if lam <= 0:
            return 0
        if lam > 30:
            return max(0, round(self.rng.gauss(lam, math.sqrt(lam))))
        limit, k, p = math.exp(-lam), 0, self.rng.random()
        while p > limit:
            k += 1
            p *= self.rng.random()
        return k

    def seasonal_day(self, first: int, last: int, m0: float = 1.0, m1: float = 1.0) -> int:
        """A day ordinal in [first, last) drawn by seasonality times a linear trend m0 -> m1."""
        cum = self._season_cum
        lo, hi = cum[first - self.start], cum[last - self.start]
        top, span = max(m0, m1), max(1, last - first)
        while True:
            k = bisect.bisect_right(cum, lo + self.rng.random() * (hi - lo)) - 1
            day = self.start + min(max(k, first - self.start), last - 1 - self.start)
            if self.rng.random() * top <= m0 + (m1 - m0) * (day - first) / span:
                return day

    def moment(self, ordinal: int, early: int = 9, late: int = 18) -> dt.datetime:
        """An aware UTC timestamp on a day, during Beijing office hours."""
        seconds = (early - 8) * 3600 + int(self.rng.random() * (late - early) * 3600)
        return _EPOCH + dt.timedelta(days=ordinal - _EPOCH_ORD, seconds=seconds)

    def mobile(self) -> str:
        """A plausible mainland mobile number."""
        return self.pick(MOBILE_PREFIXES) + f"{int(self.rng.random() * 1e8):08d}"

    def address(self, region_provinces: Sequence[tuple[str, Sequence[str]]]) -> str:
        """A street address in one of the region's provinces."""
        province, cities = self.pick(region_provinces)
        city = self.pick(cities)
        place = city if province == city else province + city
        number = 1 + int(self.rng.random() * 999)
        return f"{place}{self.zh.district()}区{self.zh.street_name()}{number}号"


class Rows:
    """Rows waiting to be inserted, per table, flushed in foreign-key order in bulk."""

    def __init__(self, tables: Sequence[Table]) -> None:
        self.tables = list(tables)
        self.pending: dict[str, list[dict[str, Any]]] = {t.name: [] for t in self.tables}

    def add(self, table: str, row: dict[str, Any]) -> None:
        """Queue one row."""
        self.pending[table].append(row)

    def flush(self, connection: Connection) -> None:
        """Insert everything queued, parents before children, in executemany batches."""
        for table in self.tables:
            rows = self.pending[table.name]
            for i in range(0, len(rows), INSERT_ROWS):
                connection.execute(table.insert(), rows[i : i + INSERT_ROWS])
            rows.clear()
