"""Scorecards per owner and team per period, compared with the previous period and with peers.

Definitions (docs/accountability.md):
- period: a calendar month `YYYY-MM` or quarter `YYYY-Qn`; the previous period is the one before.
- portfolio: customers whose owner assignment covers the period's last day (the customer's current
  owner when it has no assignment history).
- value: 12-month sales, gross profit and CLV of the portfolio from the latest snapshot on or
  before the period's end, and customers per tier in it.
- migrations: tier changes with an effective date in the period, up or down by position in
  `tier_order` (best first, the blacklist last), whatever the reason (upgrade, downgrade, manual,
  expiry, blacklist); first gradings (reason new) do not count.
- churned: portfolio customers that snapshot calls churned and the previous period's did not; lost
  value is their CLV in the previous period's snapshot (no such snapshot or row: not counted).
- obligation compliance: obligation tasks due in the period (up to today) done on or before
  their due date, over all of them (none due: no figure).
- SLA compliance: tickets of the portfolio due for resolution in the period (up to today)
  resolved by then, over all of them.
- complaints: contacts with outcome complaint in the period; satisfaction: mean CSAT and NPS of
  surveys answered in the period; referrals won: referrals in the period that became customers.
- teams: the same figures over the team's portfolios (means over the team's rows, not means of
  the owners' means); peers: the team's per-owner median of each figure (`FIGURES`) and the
  owner's rank in the team by profit; changes: a figure now minus the previous period's.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, and_, func, or_, select

from tierwise.accountability.models import Assignment, Task
from tierwise.analytics.models import AnalyticsRun, CustomerIndicator
from tierwise.customers.choices import InteractionOutcome
from tierwise.customers.models import Customer, Interaction, Referral
from tierwise.customers.surveys import Survey
from tierwise.desk.models import Ticket
from tierwise.i18n import _
from tierwise.organisation.models import Staff, TaskKind
from tierwise.tiering.models import TierHistory, TierReason

OBLIGATIONS = (TaskKind.CALL, TaskKind.VISIT, TaskKind.BUSINESS_REVIEW)
FIGURES = (  # the figures with a team median
    *("customers", "sales_12m", "profit", "clv", "up", "down", "churned", "lost_value"),
    *("compliance", "sla_compliance", "complaints", "mean_csat", "mean_nps", "referrals_won"),
)
SUMMED = (  # what a team's card adds up
    *("customers", "sales_12m", "profit", "clv", "up", "down", "churned", "lost_value"),
    *("obligations_due", "obligations_on_time", "sla_due", "sla_on_time", "complaints"),
    "referrals_won",
)


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of `YYYY-MM` or `YYYY-Qn`; ValueError naming the value otherwise."""
    month = re.fullmatch(r"(\d{4})-(\d{2})", period)
    quarter = re.fullmatch(r"(\d{4})-[Qq]([1-4])", period)
    if month and 1 <= int(month[2]) <= 12:
        start = dt.date(int(month[1]), int(month[2]), 1)
        months = 1
    elif quarter:
        start = dt.date(int(quarter[1]), 3 * int(quarter[2]) - 2, 1)
        months = 3
    else:
        raise ValueError(
            _("period {value!r} is neither a month (2026-11) nor a quarter (2026-Q4)").format(
                value=period
            )
        )
    after = start.replace(
        year=start.year + (start.month - 1 + months) // 12,
        month=(start.month - 1 + months) % 12 + 1,
    )
    return start, after - dt.timedelta(days=1)


def previous_period(period: str) -> str:
    """The period just before."""
    start, _end = period_bounds(period)
    before = start - dt.timedelta(days=1)
    if re.fullmatch(r"\d{4}-[Qq][1-4]", period):
        return f"{before.year}-Q{(before.month - 1) // 3 + 1}"
    return f"{before.year}-{before.month:02d}"


@dataclass
class Card:
    """One owner's (or team's) figures for a period."""

    code: str
    name: str
    team: str | None
    customers: int = 0
    by_tier: dict[str, int] = field(default_factory=dict)
    sales_12m: float = 0.0
    profit: float = 0.0
    clv: float = 0.0
    up: int = 0
    down: int = 0
    churned: int = 0
    lost_value: float = 0.0
    obligations_due: int = 0
    obligations_on_time: int = 0
    complaints: int = 0
    csat: list[float] = field(default_factory=list)
    nps: list[float] = field(default_factory=list)
    referrals_won: int = 0
    sla_due: int = 0
    sla_on_time: int = 0

    @property
    def compliance(self) -> float | None:
        """Obligations done on time, as a share of those due."""
        return self.obligations_on_time / self.obligations_due if self.obligations_due else None

    @property
    def sla_compliance(self) -> float | None:
        """Tickets resolved by their due time, as a share of those due."""
        return self.sla_on_time / self.sla_due if self.sla_due else None

    @property
    def mean_csat(self) -> float | None:
        """Mean CSAT of the period's surveys."""
        return statistics.fmean(self.csat) if self.csat else None

    @property
    def mean_nps(self) -> float | None:
        """Mean NPS answer of the period's surveys."""
        return statistics.fmean(self.nps) if self.nps else None

    def add(self, other: Card) -> None:
        """Fold another card into this one (a team's total)."""
        for tier, n in other.by_tier.items():
            self.by_tier[tier] = self.by_tier.get(tier, 0) + n
        for name in SUMMED:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.csat += other.csat
        self.nps += other.nps


@dataclass(frozen=True)
class Scorecards:
    """Owners' and teams' cards for a period and the one before, with peer figures."""

    period: str
    owners: list[Card]
    teams: list[Card]
    previous_owners: dict[str, Card]
    previous_teams: dict[str, Card]
    team_median_profit: dict[str | None, float]
    rank_in_team: dict[str, int]
    team_medians: dict[str | None, dict[str, float | None]] = field(default_factory=dict)

    def change(self, code: str, figure: str, team: bool = False) -> float | None:
        """An owner's (or team's) figure minus the previous period's; None when either is."""
        cards = self.teams if team else self.owners
        now = next((c for c in cards if c.code == code), None)
        before = (self.previous_teams if team else self.previous_owners).get(code)
        if now is None or before is None:
            return None
        a, b = getattr(now, figure), getattr(before, figure)
        return None if a is None or b is None else a - b


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def scorecards(conn: Connection, period: str, tier_order: list[str], today: dt.date) -> Scorecards:
    """Every owner's and team's scorecard for the period, and the previous period's; obligations
    count once due (on or before `today`)."""
    now = _cards(conn, period, tier_order, today)
    before = _cards(conn, previous_period(period), tier_order, today)
    teams, previous_teams = _teams(now), _teams(before)
    by_team: dict[str | None, list[Card]] = defaultdict(list)
    for card in now:
        by_team[card.team].append(card)
    medians = {team: statistics.median(c.profit for c in cards) for team, cards in by_team.items()}
    ranks = {
        card.code: i + 1
        for cards in by_team.values()
        for i, card in enumerate(sorted(cards, key=lambda c: -c.profit))
    }
    peers = {
        team: {name: _median([getattr(c, name) for c in cards]) for name in FIGURES}
        for team, cards in by_team.items()
    }
    return Scorecards(
        period,
        now,
        list(teams.values()),
        {c.code: c for c in before},
        previous_teams,
        medians,
        ranks,
        peers,
    )


def _teams(cards: list[Card]) -> dict[str, Card]:
    teams: dict[str, Card] = {}
    for card in cards:
        key = card.team or "—"
        teams.setdefault(key, Card(key, key, card.team)).add(card)
    return teams


def _portfolios(conn: Connection, end: dt.date) -> dict[int, set[int]]:
    """Owner id → customer ids whose owner assignment covers `end`."""
    a, c = Assignment.__table__, Customer.__table__
    owned: dict[int, set[int]] = defaultdict(set)
    covered = conn.execute(
        select(a.c.staff_id, a.c.customer_id).where(
            a.c.role == "owner",
            a.c.starts_on <= end,
            or_(a.c.ends_on.is_(None), a.c.ends_on > end),
        )
    ).all()
    for staff_id, customer_id in covered:
        owned[staff_id].add(customer_id)
    with_history = select(a.c.customer_id).where(a.c.role == "owner").distinct()
    for staff_id, customer_id in conn.execute(
        select(c.c.owner_id, c.c.id).where(c.c.owner_id.is_not(None), c.c.id.not_in(with_history))
    ).all():
        owned[staff_id].add(customer_id)
    return owned


def _run_on(conn: Connection, day: dt.date) -> int | None:
    runs = AnalyticsRun.__table__
    return conn.execute(
        select(runs.c.id).where(runs.c.as_of <= day).order_by(runs.c.as_of.desc()).limit(1)
    ).scalar()


def _cards(conn: Connection, period: str, tier_order: list[str], today: dt.date) -> list[Card]:
    start, end = period_bounds(period)
    owned = _portfolios(conn, end)
    owner_of = {cid: sid for sid, cids in owned.items() for cid in cids}
    s = Staff.__table__
    cards = {
        row.id: Card(row.code, row.name, row.team)
        for row in conn.execute(select(s.c.id, s.c.code, s.c.name, s.c.team))
        if row.id in owned
    }
    for staff_id, customers in owned.items():
        cards[staff_id].customers = len(customers)
    _value(conn, cards, owner_of, end, start)
    _migrations(conn, cards, owner_of, start, end, tier_order)
    _obligations(conn, cards, start, min(end, today))
    _sla(conn, cards, owner_of, start, min(end, today))
    _service(conn, cards, owner_of, start, end)
    return sorted(cards.values(), key=lambda c: (c.team or "", c.code))


def _value(
    conn: Connection, cards: dict[int, Card], owner_of: dict[int, int], end: dt.date, start: dt.date
) -> None:
    ci = CustomerIndicator.__table__
    run, before = _run_on(conn, end), _run_on(conn, start - dt.timedelta(days=1))
    if run is None:
        return
    rows = conn.execute(
        select(
            ci.c.customer_id, ci.c.tier, ci.c.sales_12m, ci.c.gross_profit, ci.c.clv, ci.c.churned
        ).where(ci.c.run_id == run)
    ).all()
    earlier = {}
    if before is not None:
        earlier = {
            r.customer_id: r
            for r in conn.execute(
                select(ci.c.customer_id, ci.c.clv, ci.c.churned).where(ci.c.run_id == before)
            )
        }
    for row in rows:
        card = cards.get(owner_of.get(row.customer_id, -1))
        if card is None:
            continue
        if row.tier:
            card.by_tier[row.tier] = card.by_tier.get(row.tier, 0) + 1
        card.sales_12m += float(row.sales_12m or 0)
        card.profit += float(row.gross_profit or 0)
        card.clv += float(row.clv or 0)
        previous = earlier.get(row.customer_id)
        if row.churned and previous is not None and not previous.churned:
            card.churned += 1
            card.lost_value += float(previous.clv or 0)


def _migrations(
    conn: Connection,
    cards: dict[int, Card],
    owner_of: dict[int, int],
    start: dt.date,
    end: dt.date,
    tier_order: list[str],
) -> None:
    h = TierHistory.__table__
    rank = {code: i for i, code in enumerate(tier_order)}
    for customer_id, tier, previous in conn.execute(
        select(h.c.customer_id, h.c.tier, h.c.previous_tier).where(
            h.c.effective_from.between(start, end), h.c.reason != TierReason.NEW
        )
    ).all():
        card = cards.get(owner_of.get(customer_id, -1))
        if card is None or previous not in rank or tier not in rank:
            continue
        if rank[tier] < rank[previous]:
            card.up += 1
        elif rank[tier] > rank[previous]:
            card.down += 1


def _obligations(conn: Connection, cards: dict[int, Card], start: dt.date, end: dt.date) -> None:
    t = Task.__table__
    for staff_id, total, on_time in conn.execute(
        select(
            t.c.staff_id,
            func.count(),
            func.count().filter(and_(t.c.done_on.is_not(None), t.c.done_on <= t.c.due_on)),
        )
        .where(t.c.kind.in_(OBLIGATIONS), t.c.due_on.between(start, end))
        .group_by(t.c.staff_id)
    ).all():
        if staff_id in cards:
            cards[staff_id].obligations_due = total
            cards[staff_id].obligations_on_time = on_time


def _sla(
    conn: Connection, cards: dict[int, Card], owner_of: dict[int, int], start: dt.date, end: dt.date
) -> None:
    t = Ticket.__table__
    begin = dt.datetime.combine(start, dt.time(), dt.UTC)
    finish = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC)
    due = select(t.c.customer_id, t.c.resolution_due, t.c.resolved_at).where(
        t.c.resolution_due >= begin, t.c.resolution_due < finish
    )
    for customer_id, deadline, resolved in conn.execute(due):
        if (card := cards.get(owner_of.get(customer_id, -1))) is not None:
            card.sla_due += 1
            card.sla_on_time += resolved is not None and resolved <= deadline


def _service(
    conn: Connection, cards: dict[int, Card], owner_of: dict[int, int], start: dt.date, end: dt.date
) -> None:
    i, sv, r = Interaction.__table__, Survey.__table__, Referral.__table__
    begin = dt.datetime.combine(start, dt.time(), dt.UTC)
    finish = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), dt.UTC)
    complaints = select(i.c.customer_id).where(
        i.c.outcome == InteractionOutcome.COMPLAINT,
        i.c.occurred_at >= begin,
        i.c.occurred_at < finish,
    )
    for (customer_id,) in conn.execute(complaints):
        if (card := cards.get(owner_of.get(customer_id, -1))) is not None:
            card.complaints += 1
    surveys = select(sv.c.customer_id, sv.c.csat, sv.c.nps).where(
        sv.c.answered_on.between(start, end)
    )
    for customer_id, csat, nps in conn.execute(surveys):
        if (card := cards.get(owner_of.get(customer_id, -1))) is not None:
            if csat is not None:
                card.csat.append(float(csat))
            if nps is not None:
                card.nps.append(float(nps))
    won = select(r.c.referrer_id).where(
        r.c.referred_on.between(start, end), r.c.referred_id.is_not(None)
    )
    for (customer_id,) in conn.execute(won):
        if (card := cards.get(owner_of.get(customer_id, -1))) is not None:
            card.referrals_won += 1
