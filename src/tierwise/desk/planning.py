"""The staffing plan of a day: per interval, the agents each tier needs alone (Erlang C and
Erlang A) and all tiers in the one priority queue agents really serve, against agents on duty."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, func, not_, select

from tierwise.desk.report import Line, Need, report, staffing, streams, tier_patience
from tierwise.desk.staffing import Stream, fewest, simulate
from tierwise.i18n import _
from tierwise.organisation.models import Staff, StaffAbsence, StaffRole
from tierwise.organisation.rules import OrgRules
from tierwise.organisation.service import active_rules
from tierwise.tiering.engine import active_policy

SIMULATED_HOURS = 200  # of each interval's calls, to check the pooled queue
INTERVAL_HOURS = (1, 2, 3, 4, 6, 8, 12, 24)  # lengths that divide a day into equal intervals


def day_of(text: str | None, today: dt.date) -> dt.date:
    """The day a plan or report asks for (YYYY-MM-DD, default today), refused in plain words."""
    if not text:
        return today
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        day = None
    if day is None or not 1900 <= day.year <= 9998:
        raise ValueError(_("Day: {value} is not a date (YYYY-MM-DD)").format(value=text))
    return day


def check_interval(hours: int) -> int:
    """An interval length that divides the day, so every interval holds as many hours."""
    if hours not in INTERVAL_HOURS:
        raise ValueError(
            _("Interval: {value} hours does not divide the day; choose {known}").format(
                value=hours, known=", ".join(map(str, INTERVAL_HOURS))
            )
        )
    return hours


@dataclass(frozen=True)
class IntervalPlan:
    """One interval: each tier's needs, and the pooled queue's."""

    start: dt.datetime
    needs: list[Need]
    pooled: int


@dataclass(frozen=True)
class StaffingPlan:
    """A day's plan and the CSRs on duty that day."""

    day: dt.date
    hours: int
    intervals: list[IntervalPlan]
    on_duty: int

    @property
    def patience_unknown(self) -> bool:
        """Some tier had nobody hang up: Erlang A cannot size it."""
        return any(need.erlang_a is None for i in self.intervals for need in i.needs)


def plan_day(
    conn: Connection, zone: str, day_text: str | None, today: dt.date, hours: int
) -> StaffingPlan:
    """The staffing plan as every entry point asks for it: the day read and the interval checked
    (refused in plain words), with the organisation rules and the tier order in force."""
    day = day_of(day_text, today)
    check_interval(hours)
    rules = active_rules(conn)
    policy = active_policy(conn)
    order = [t.code for t in policy.policy.tiers] if policy else []
    start = dt.datetime.combine(day, dt.time(), ZoneInfo(zone)).astimezone(dt.UTC)
    return plan_staffing(conn, rules, order, day, start, hours)


def plan_staffing(
    conn: Connection,
    rules: OrgRules,
    tier_order: list[str],
    day: dt.date,
    start: dt.datetime,
    hours: int,
) -> StaffingPlan:
    """The plan for the day starting at `start`, from the calls that arrived in it."""
    lines = report(conn, rules, start, start + dt.timedelta(days=1), hours)
    patience_of = tier_patience(lines)
    intervals = []
    for interval, needs in sorted(staffing(lines, rules, hours).items()):
        mine = [line for line in lines if line.interval == interval]
        queued = streams(mine, rules, hours, tier_order, patience_of)
        ceiling = max(1, sum(need.erlang_c for need in needs))
        intervals.append(IntervalPlan(interval, needs, pooled_agents(queued, mine, ceiling)))
    return StaffingPlan(day, hours, intervals, on_duty(conn, day))


def pooled_agents(queued: list[Stream], lines: list[Line], ceiling: int) -> int:
    """The fewest agents whose simulated priority queue meets every tier's target, searched
    between one and `ceiling` (each tier staffed alone never needs fewer in total)."""

    def enough(agents: int) -> bool:
        result = simulate(queued, agents, hours=SIMULATED_HOURS)
        return all(result[line.tier].level >= line.target for line in lines if line.offered)

    return fewest(enough, ceiling)


def on_duty(conn: Connection, day: dt.date) -> int:
    """Active customer service representatives not away on `day`."""
    away = select(StaffAbsence.staff_id).where(
        and_(StaffAbsence.starts_on <= day, StaffAbsence.ends_on >= day)
    )
    query = select(func.count()).where(
        Staff.active, Staff.role == StaffRole.CSR, not_(Staff.id.in_(away))
    )
    return int(conn.execute(query).scalar_one())
