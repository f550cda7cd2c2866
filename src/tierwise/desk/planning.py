"""The staffing plan of a day: per interval, the agents each tier needs alone (Erlang C and
Erlang A) and all tiers in the one priority queue agents really serve, against agents on duty.
A day that has had no call yet (today before the first, or a day to come) is planned from the
forecast for its weekday; the plan says which it used."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, func, not_, select

from tierwise.desk.forecast import DEFAULT_WEEKS, Forecast, check_weeks, forecast, weekday_name
from tierwise.desk.queue import UNKNOWN
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
    rostered: int  # agents to put on the roster: occupancy capped, shrinkage added


@dataclass(frozen=True)
class StaffingPlan:
    """A day's plan and the CSRs on duty that day."""

    day: dt.date
    hours: int
    intervals: list[IntervalPlan]
    on_duty: int
    shrinkage: float  # the rules' share of paid time away from calls, behind `rostered`
    max_occupancy: float  # the rules' cap on time on calls, behind `rostered`
    forecast_weeks: int | None = None  # weeks of history behind a forecast; None: the day's calls
    weeks_asked: int = DEFAULT_WEEKS  # the weeks a forecast looked back over

    @property
    def forecast(self) -> bool:
        """Whether the plan is drawn from the forecast rather than the day's own calls."""
        return self.forecast_weeks is not None

    @property
    def patience_unknown(self) -> bool:
        """Some tier had nobody hang up: Erlang A cannot size it."""
        return any(need.erlang_a is None for i in self.intervals for need in i.needs)


def plan_day(
    conn: Connection,
    zone: str,
    day_text: str | None,
    today: dt.date,
    hours: int,
    weeks: int = DEFAULT_WEEKS,
) -> StaffingPlan:
    """The staffing plan as every entry point asks for it: the day read, the interval and the
    forecast's weeks checked (refused in plain words), with the organisation rules and the tier
    order in force."""
    day = day_of(day_text, today)
    check_interval(hours)
    check_weeks(weeks)
    rules = active_rules(conn)
    policy = active_policy(conn)
    order = [t.code for t in policy.policy.tiers] if policy else []
    start = dt.datetime.combine(day, dt.time(), ZoneInfo(zone)).astimezone(dt.UTC)
    lines = report(conn, rules, start, start + dt.timedelta(days=1), hours)
    if lines or day < today:
        return plan_staffing(conn, rules, order, day, lines, hours)
    expected = forecast(conn, rules, zone, today, weeks)
    return plan_forecast(conn, rules, order, day, expected, hours)


def plan_forecast(
    conn: Connection,
    rules: OrgRules,
    tier_order: list[str],
    day: dt.date,
    expected: Forecast,
    hours: int,
) -> StaffingPlan:
    """The plan for a day without calls yet, from the forecast for its weekday."""
    weeks = len(expected.weeks_used)
    lines = expected.day_lines(day, hours)
    plan = plan_staffing(conn, rules, tier_order, day, lines, hours, max(weeks, 1))
    return replace(plan, forecast_weeks=weeks, weeks_asked=expected.weeks_asked)


def plan_staffing(
    conn: Connection,
    rules: OrgRules,
    tier_order: list[str],
    day: dt.date,
    lines: list[Line],
    hours: int,
    weeks: int = 1,
) -> StaffingPlan:
    """The plan for `day` from its lines: the calls that arrived in it, or the forecast's lines
    summed over `weeks` weeks."""
    patience_of = tier_patience(lines)
    intervals = []
    for interval, needs in sorted(staffing(lines, rules, hours, weeks).items()):
        mine = [line for line in lines if line.interval == interval]
        queued = streams(mine, rules, hours, tier_order, patience_of, weeks)
        ceiling = max(1, sum(need.erlang_c for need in needs))
        pooled = pooled_agents(queued, mine, ceiling)
        load = sum(_erlangs(line, rules, hours * weeks) for line in mine)
        intervals.append(IntervalPlan(interval, needs, pooled, rostered(pooled, load, rules)))
    return StaffingPlan(
        day, hours, intervals, on_duty(conn, day), rules.shrinkage, rules.max_occupancy
    )


def roster_note(plan: StaffingPlan) -> str:
    """How the agents to roster follow from the pooled queue's, in a sentence."""
    return _(
        "To roster: the pooled queue's agents, enough that none is on calls more than "
        "{occupancy:.0%} of the time, plus {shrinkage:.0%} of paid time away from calls "
        "(breaks, training)."
    ).format(occupancy=plan.max_occupancy, shrinkage=plan.shrinkage)


def plan_source(plan: StaffingPlan) -> str:
    """What the plan was drawn from, in a sentence for its reader."""
    if plan.forecast_weeks is None:
        return _("Planned from the calls that arrived on this day.")
    if plan.forecast_weeks == 0:
        return _(
            "No call has arrived on this day yet, and the last {n} weeks had none to forecast from."
        ).format(n=plan.weeks_asked)
    return _(
        "No call has arrived on this day yet: planned from the forecast for a {weekday} "
        "(weeks with calls: {used} of the last {n})."
    ).format(weekday=weekday_name(plan.day.weekday()), used=plan.forecast_weeks, n=plan.weeks_asked)


def _erlangs(line: Line, rules: OrgRules, hours: int) -> float:
    """The work a tier's calls of one interval bring, in agents kept busy all the time."""
    tier_rules = rules.for_tier(line.tier)
    handle = (tier_rules.service if tier_rules else UNKNOWN).handle_seconds
    return line.offered / hours * handle / 3600


def rostered(pooled: int, load: float, rules: OrgRules) -> int:
    """The agents to roster so that enough are at their desks: at least the pooled queue's, and
    enough that none is busier than the occupancy cap, grossed up for shrinkage."""
    at_desks = max(pooled, math.ceil(load / rules.max_occupancy - 1e-9))
    return math.ceil(at_desks / (1 - rules.shrinkage) - 1e-9)


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
