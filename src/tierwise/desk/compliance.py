"""SLA compliance per agent and per team over a period of days (company time zone).

A ticket counts for its assignee. Per clock (first response, resolution), the tickets whose clock
fell due in the period: met on time (answered or resolved by the due time), late (after it, or
not at all and the due time has passed while the ticket was not paused), and the share on time
of those two — clocks still running are due but not yet judged. Breaches are the breach records
of the agent's tickets due in the period. Calls count for the agent who answered them: those
that arrived in the period, and the share answered within their tier's answer threshold.
Managers see their team (everyone with the whole-company scope), every other reader themselves.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Connection, false, func, select, true

from tierwise.db.base import as_utc
from tierwise.desk.models import ContactStatus, QueueContact, SlaBreach, Ticket
from tierwise.i18n import N_, _
from tierwise.identity.access import Forbidden, Principal, require
from tierwise.identity.roles import Permission, RowScope
from tierwise.organisation.models import Staff

BY = {"agent": N_("Agent"), "team": N_("Team")}


@dataclass
class Compliance:
    """One agent's or one team's figures over the period."""

    name: str
    team: str
    agents: int = 1
    first_due: int = 0
    first_met: int = 0
    first_late: int = 0
    resolution_due: int = 0
    resolution_met: int = 0
    resolution_late: int = 0
    breaches: int = 0
    calls_answered: int = 0
    calls_within: int = 0

    @property
    def first_share(self) -> float | None:
        """First responses on time over those judged."""
        judged = self.first_met + self.first_late
        return self.first_met / judged if judged else None

    @property
    def resolution_share(self) -> float | None:
        """Resolutions on time over those judged."""
        judged = self.resolution_met + self.resolution_late
        return self.resolution_met / judged if judged else None

    @property
    def calls_share(self) -> float | None:
        """Calls answered within their tier's threshold over calls answered."""
        return self.calls_within / self.calls_answered if self.calls_answered else None

    def add(self, other: Compliance) -> None:
        """Fold another agent's figures into a team's."""
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


COUNTS = (
    "agents",
    "first_due",
    "first_met",
    "first_late",
    "resolution_due",
    "resolution_met",
    "resolution_late",
    "breaches",
    "calls_answered",
    "calls_within",
)


@dataclass(frozen=True)
class ComplianceReport:
    """The period, how it is grouped, and one line per agent or team."""

    first: dt.date
    last: dt.date
    by: str
    rows: list[Compliance]


def period_of(
    first_text: str | None, last_text: str | None, today: dt.date
) -> tuple[dt.date, dt.date]:
    """The period's first and last day as typed (YYYY-MM-DD; default this month up to today),
    refused in plain words naming the field."""
    return _date(_("From"), first_text, today.replace(day=1)), _date(_("To"), last_text, today)


def _date(field: str, text: str | None, default: dt.date) -> dt.date:
    """One day of the period, or the default when none is given."""
    if not text:
        return default
    try:
        day = dt.date.fromisoformat(text)
        if not 1900 <= day.year <= 2099:  # a period the business could have
            raise ValueError(text)
        return day
    except ValueError:
        raise ValueError(
            _("{field}: {value} is not a date (YYYY-MM-DD)").format(field=field, value=text)
        ) from None


def check_by(by: str) -> str:
    """How the figures are grouped: per agent or per team."""
    if by not in BY:
        raise ValueError(
            _("By: {value} is not one of {known}").format(value=by, known=", ".join(BY))
        )
    return by


def groupings(principal: Principal) -> dict[str, str]:
    """The groupings the principal may ask for: per team only with a team's or the company's
    scope."""
    if principal.row_scope in (RowScope.ALL, RowScope.TEAM):
        return BY
    return {"agent": BY["agent"]}


def staff_filter(principal: Principal, by: str) -> ColumnElement[bool]:
    """The staff whose figures the principal may read: everyone, their team, or themselves."""
    scope, me = principal.row_scope, principal.staff_id
    if scope is RowScope.ALL:
        return true()
    if scope is RowScope.TEAM and me is not None:
        return Staff.team == principal.team if principal.team else Staff.id == me
    if by not in groupings(principal):
        raise Forbidden(_("team figures are for managers; you see your own"))
    return false() if me is None else Staff.id == me


def compliance(
    conn: Connection,
    principal: Principal,
    zone: str,
    period: tuple[dt.date, dt.date],
    by: str,
    now: dt.datetime,
) -> ComplianceReport:
    """The period's figures per agent or per team, for the staff the principal may read."""
    require(principal, Permission.TICKETS_READ)
    visible = staff_filter(principal, check_by(by))
    tz = ZoneInfo(zone)
    first, last = period
    if last < first:
        raise ValueError(_("To: {last} is before From: {first}").format(last=last, first=first))
    start = dt.datetime.combine(first, dt.time(), tz).astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.UTC)
    staff = {
        row.id: Compliance(row.name, row.team or _("no team"))
        for row in conn.execute(select(Staff.id, Staff.name, Staff.team).where(visible))
    }
    _tickets(conn, staff, start, end, now)
    _breaches(conn, staff, start, end)
    _calls(conn, staff, start, end)
    agents = [row for row in staff.values() if _active(row)]
    rows = agents if by == "agent" else _teams(agents)
    return ComplianceReport(first, last, by, sorted(rows, key=lambda r: (r.team, r.name)))


def _active(row: Compliance) -> bool:
    """Whether the agent had anything due or answered in the period."""
    return bool(row.first_due or row.resolution_due or row.breaches or row.calls_answered)


def _teams(agents: list[Compliance]) -> list[Compliance]:
    """Agents' figures added up per team."""
    teams: dict[str, Compliance] = {}
    for agent in agents:
        if agent.team not in teams:
            teams[agent.team] = Compliance(agent.team, agent.team, agents=0)
        teams[agent.team].add(agent)
    return list(teams.values())


def _tickets(
    conn: Connection,
    staff: dict[int, Compliance],
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
) -> None:
    """Each assignee's clocks due in the period: on time, late, or still running."""
    t = Ticket.__table__
    rows = conn.execute(
        select(
            t.c.assignee_id,
            t.c.first_response_due,
            t.c.first_response_at,
            t.c.resolution_due,
            t.c.resolved_at,
            t.c.paused_since,
        ).where(
            t.c.assignee_id.in_(list(staff)),
            ((t.c.first_response_due >= start) & (t.c.first_response_due < end))
            | ((t.c.resolution_due >= start) & (t.c.resolution_due < end)),
        )
    ).all()
    for row in rows:
        agent = staff[row.assignee_id]
        running = row.paused_since is not None
        first = _judge(row.first_response_due, row.first_response_at, start, end, now, running)
        if first is not None:
            agent.first_due += 1
            agent.first_met += first == "met"
            agent.first_late += first == "late"
        resolution = _judge(row.resolution_due, row.resolved_at, start, end, now, running)
        if resolution is not None:
            agent.resolution_due += 1
            agent.resolution_met += resolution == "met"
            agent.resolution_late += resolution == "late"


def _judge(
    due_at: dt.datetime,
    done_at: dt.datetime | None,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
    paused: bool,
) -> str | None:
    """One clock: None when not due in the period, else met, late, or running."""
    due = as_utc(due_at)
    if not start <= due < end:
        return None
    if done_at is not None:
        return "met" if as_utc(done_at) <= due else "late"
    return "late" if due < now and not paused else "running"


def _breaches(
    conn: Connection, staff: dict[int, Compliance], start: dt.datetime, end: dt.datetime
) -> None:
    """Breach records of each assignee's tickets, by the due time missed."""
    rows = conn.execute(
        select(Ticket.assignee_id, func.count().label("breaches"))
        .select_from(SlaBreach)
        .join(Ticket, Ticket.id == SlaBreach.ticket_id)
        .where(Ticket.assignee_id.in_(list(staff)), SlaBreach.due >= start, SlaBreach.due < end)
        .group_by(Ticket.assignee_id)
    ).all()
    for row in rows:
        staff[row.assignee_id].breaches += row.breaches


def _calls(
    conn: Connection, staff: dict[int, Compliance], start: dt.datetime, end: dt.datetime
) -> None:
    """Calls each agent answered that arrived in the period, and those within threshold."""
    q = QueueContact.__table__
    rows = conn.execute(
        select(q.c.taken_by, q.c.arrived_at, q.c.taken_at, q.c.answer_seconds).where(
            q.c.taken_by.in_(list(staff)),
            q.c.status == ContactStatus.TAKEN,
            q.c.taken_at.is_not(None),
            q.c.arrived_at >= start,
            q.c.arrived_at < end,
        )
    ).all()
    for row in rows:
        agent = staff[row.taken_by]
        agent.calls_answered += 1
        wait = (as_utc(row.taken_at) - as_utc(row.arrived_at)).total_seconds()
        agent.calls_within += wait <= row.answer_seconds


def share_text(share: float | None) -> str:
    """A share as a percentage, a dash where nothing was judged."""
    return "—" if share is None else f"{share:.1%}"


COLUMNS: tuple[tuple[str, Callable[[Compliance], object]], ...] = (
    (N_("First responses due"), lambda r: r.first_due),
    (N_("First responses on time"), lambda r: r.first_met),
    (N_("First responses late"), lambda r: r.first_late),
    (N_("First responses on time, share"), lambda r: share_text(r.first_share)),
    (N_("Resolutions due"), lambda r: r.resolution_due),
    (N_("Resolutions on time"), lambda r: r.resolution_met),
    (N_("Resolutions late"), lambda r: r.resolution_late),
    (N_("Resolutions on time, share"), lambda r: share_text(r.resolution_share)),
    (N_("Breaches"), lambda r: r.breaches),
    (N_("Calls answered"), lambda r: r.calls_answered),
    (N_("Calls answered within target"), lambda r: r.calls_within),
    (N_("Calls within target, share"), lambda r: share_text(r.calls_share)),
)


def headers(by: str) -> list[str]:
    """The table's headers in the reader's language: who, then the figures."""
    who = [_("Agent"), _("Team")] if by == "agent" else [_("Team"), _("Agents")]
    return [*who, *(_(title) for title, _value in COLUMNS)]


def cells(report: ComplianceReport) -> list[list[str]]:
    """The report's lines as text cells, in the order of `headers`."""
    out = []
    for row in report.rows:
        who = [row.name, row.team] if report.by == "agent" else [row.name, str(row.agents)]
        out.append([*who, *(str(value(row)) for _title, value in COLUMNS)])
    return out


def as_csv(report: ComplianceReport) -> str:
    """The report as CSV for a spreadsheet: headers in the reader's language, names not codes."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers(report.by))
    writer.writerows(cells(report))
    return buffer.getvalue()
