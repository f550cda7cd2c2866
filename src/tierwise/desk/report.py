"""The service-level report per tier and interval, and the agents each interval needed.

Per tier and interval (by arrival): offered contacts; answered; answered within the tier's
threshold; service level = answered within threshold ÷ offered (abandoned contacts count against
it); the target; average speed of answer over answered contacts; abandonment = abandoned ÷
offered; callbacks made by their due time ÷ callbacks due. Staffing sizes each tier with Erlang C
from its observed arrival rate and handle time, and with Erlang A where the tier's callers have
hung up, from the patience their waits show.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from tierwise.db.base import as_utc
from tierwise.desk.models import ContactStatus, QueueContact
from tierwise.desk.queue import UNKNOWN
from tierwise.desk.staffing import Stream, agents_needed, agents_needed_abandoning, patience
from tierwise.i18n import _
from tierwise.organisation.rules import OrgRules

NO_TIER = "?"  # the report's tier for callers the queue could not match to a customer


def calls_text(calls: float) -> str:
    """Calls as a reader counts them: whole when they are, else to one decimal (a forecast)."""
    return f"{calls:.0f}" if float(calls).is_integer() else f"{calls:.1f}"


def tier_name(code: str) -> str:
    """A tier as reports name it: callers the queue could not match have none."""
    return _("no tier") if code == NO_TIER else code


@dataclass
class Line:
    """One tier in one interval."""

    tier: str
    interval: dt.datetime
    target: float
    answer_seconds: int
    offered: int = 0
    answered: int = 0
    within: int = 0
    abandoned: int = 0
    wait_total: float = 0.0
    hung_up: int = 0  # of the abandoned, the callers who gave up (not offered a callback)
    waited_to_abandon: float = 0.0
    callbacks_due: int = 0
    callbacks_on_time: int = 0
    waits: list[float] = field(default_factory=list)

    @property
    def level(self) -> float | None:
        """Answered within the threshold, over offered."""
        return self.within / self.offered if self.offered else None

    @property
    def speed(self) -> float | None:
        """Average speed of answer, seconds."""
        return self.wait_total / self.answered if self.answered else None

    @property
    def abandonment(self) -> float | None:
        """Abandoned over offered."""
        return self.abandoned / self.offered if self.offered else None


def report(
    conn: Connection, rules: OrgRules, start: dt.datetime, end: dt.datetime, hours: int = 24
) -> list[Line]:
    """Lines per tier and interval (of `hours` hours) for contacts that arrived in [start, end)."""
    q = QueueContact.__table__
    rows = conn.execute(
        select(
            q.c.tier,
            q.c.arrived_at,
            q.c.taken_at,
            q.c.abandoned_at,
            q.c.offered_callback,
            q.c.status,
            q.c.answer_seconds,
            q.c.callback_due,
            q.c.callback_done_at,
        ).where(q.c.arrived_at >= start, q.c.arrived_at < end)
    ).all()
    lines: dict[tuple[str, dt.datetime], Line] = {}
    step = dt.timedelta(hours=hours)
    for row in rows:
        arrived = as_utc(row.arrived_at)
        interval = start + step * int((arrived - start) / step)
        tier = row.tier or NO_TIER
        tier_rules = rules.for_tier(row.tier)
        level = tier_rules.service if tier_rules else UNKNOWN
        line = lines.setdefault(
            (tier, interval), Line(tier, interval, level.answer_target, level.answer_seconds)
        )
        line.offered += 1
        if row.status == ContactStatus.TAKEN and row.taken_at is not None:
            wait = (as_utc(row.taken_at) - arrived).total_seconds()
            line.answered += 1
            line.wait_total += wait
            line.within += wait <= row.answer_seconds
        elif row.status == ContactStatus.ABANDONED:
            line.abandoned += 1
            line.hung_up += not row.offered_callback
            if row.abandoned_at is not None:
                line.waited_to_abandon += (as_utc(row.abandoned_at) - arrived).total_seconds()
        if row.callback_due is not None:
            line.callbacks_due += 1
            done = row.callback_done_at
            line.callbacks_on_time += done is not None and as_utc(done) <= as_utc(row.callback_due)
    return sorted(lines.values(), key=lambda line: (line.interval, line.tier))


@dataclass(frozen=True)
class Need:
    """The agents one tier needs in one interval, without and with its callers hanging up."""

    tier: str
    calls: float  # expected calls where the plan is a forecast
    patience_seconds: float | None  # None: nobody hung up, Erlang A has nothing to go on
    erlang_c: int
    erlang_a: int | None


def tier_patience(lines: list[Line]) -> dict[str, float | None]:
    """Each tier's mean patience over the whole period: callers who hung up over the seconds
    every caller waited (answered, hung up, or taken out for a callback: those two waited
    without hanging up); unknown while too few hung up to say."""
    hung_up: dict[str, int] = defaultdict(int)
    waited: dict[str, float] = defaultdict(float)
    for line in lines:
        hung_up[line.tier] += line.hung_up
        waited[line.tier] += line.wait_total + line.waited_to_abandon
    return {tier: patience(hung_up[tier], waited[tier]) for tier in hung_up}


def staffing(
    lines: list[Line], rules: OrgRules, hours: int, weeks: int = 1
) -> dict[dt.datetime, list[Need]]:
    """Per interval, the agents each tier needs on its own to meet its target: Erlang C, and
    Erlang A with the tier's patience estimated from the period's abandonments; lines summed
    over `weeks` weeks (a forecast) ask for a week's share."""
    patience_of = tier_patience(lines)
    out: dict[dt.datetime, list[Need]] = defaultdict(list)
    for line in lines:
        tier_rules = rules.for_tier(line.tier)
        level = tier_rules.service if tier_rules else UNKNOWN
        rate = line.offered / (hours * weeks)
        mean_patience = patience_of.get(line.tier)
        out[line.interval].append(
            Need(
                line.tier,
                line.offered / weeks,
                mean_patience,
                agents_needed(
                    rate, level.handle_seconds, level.answer_seconds, level.answer_target
                ),
                None
                if mean_patience is None
                else agents_needed_abandoning(
                    rate,
                    level.handle_seconds,
                    mean_patience,
                    level.answer_seconds,
                    level.answer_target,
                ),
            )
        )
    return dict(out)


def streams(
    lines: list[Line],
    rules: OrgRules,
    hours: int,
    tier_order: list[str],
    patience_of: dict[str, float | None] | None = None,
    weeks: int = 1,
) -> list[Stream]:
    """The observed calls of one interval (summed over `weeks` weeks) as simulation streams, in
    queue order, callers of a tier hanging up after its patience where it is known."""
    out = []
    patience_of = patience_of or {}
    for line in lines:
        tier_rules = rules.for_tier(line.tier)
        level = tier_rules.service if tier_rules else UNKNOWN
        lane = {"green": 0, "normal": 1, "last": 2}[level.queue]
        rank = tier_order.index(line.tier) if line.tier in tier_order else len(tier_order)
        out.append(
            Stream(
                line.tier,
                line.offered / (hours * weeks),
                level.handle_seconds,
                level.answer_seconds,
                lane,
                rank,
                patience_of.get(line.tier),
            )
        )
    return out
