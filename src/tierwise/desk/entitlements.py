"""Service entitlements per tier and the ledger of their use: what a customer has left this
period, using some (refused beyond the allowance unless someone gives a reason), logged visits
using on-site visits (marked, never refused, when none were left), and the channels a tier's
tickets may come in by.

Periods are calendar months, quarters and years in the company's time zone: a use belongs to the
period its moment falls in there, so a visit at 00:30 Shanghai time on 1 April counts in April.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert, select

from tierwise.customers.models import Customer, Interaction
from tierwise.customers.scopes import scoped, visible_customer
from tierwise.customers.service import ContactLogged, CustomerFileRead
from tierwise.db.base import as_utc, utcnow
from tierwise.db.session import UnitOfWork
from tierwise.desk.models import EntitlementUse, Ticket
from tierwise.errors import Conflict
from tierwise.i18n import _, current_language
from tierwise.identity.access import Principal, require
from tierwise.identity.audit import record
from tierwise.identity.roles import Permission
from tierwise.organisation.choices import EntitlementKind, EntitlementPeriod, InteractionChannel
from tierwise.organisation.models import Staff
from tierwise.organisation.rules import OrgRules, TierRules
from tierwise.organisation.service import NoRules, active_rules
from tierwise.tiering.models import CustomerTier

MONTHS = {EntitlementPeriod.MONTH: 1, EntitlementPeriod.QUARTER: 3, EntitlementPeriod.YEAR: 12}
ROUNDING = 1e-9  # amounts are sums of decimals; a hair's breadth is not "beyond"


class EntitlementRefused(Conflict):
    """More than the customer has left, a service the tier is not entitled to, or a channel its
    tickets may not come in by — and nobody gave a reason to go beyond."""


@dataclass(frozen=True)
class Balance:
    """One entitlement as the agent reads it: the allowance of its period, used, left, and the
    last day of the period (in the company's time zone)."""

    kind: EntitlementKind
    per: EntitlementPeriod
    allowance: float
    used: float
    left: float
    period_end: dt.date


@dataclass(frozen=True)
class Used:
    """A use recorded: its ledger row, whether it went beyond the allowance, and what is left."""

    use_id: int
    beyond_allowance: bool
    balance: Balance | None


def period_of(day: dt.date, per: EntitlementPeriod) -> tuple[dt.date, dt.date]:
    """The calendar period holding `day`: its first day and the first day after it."""
    first_month = 1 + (day.month - 1) // MONTHS[per] * MONTHS[per]
    start = dt.date(day.year, first_month, 1)
    after = start.month - 1 + MONTHS[per]
    return start, dt.date(start.year + after // 12, after % 12 + 1, 1)


def amount_text(amount: float) -> str:
    """An amount as people write it: 4, 1.5 — never 4.0."""
    return f"{amount:.2f}".rstrip("0").rstrip(".")


def tier_rules_of(conn: Connection, rules: OrgRules, customer_id: int) -> TierRules | None:
    """The organisation rules of the customer's tier now; None without a tier or rules for it."""
    tier = conn.execute(
        select(CustomerTier.tier).where(CustomerTier.customer_id == customer_id)
    ).scalar()
    return rules.for_tier(tier)


def balance_of(
    conn: Connection,
    tier: TierRules | None,
    zone: str,
    customer_id: int,
    kind: EntitlementKind,
    moment: dt.datetime,
) -> Balance | None:
    """The customer's balance of one kind in the period holding `moment`; None if not entitled."""
    found = _balances(conn, tier, zone, customer_id, moment, kind)
    return found[0] if found else None


def balances(
    conn: Connection, rules: OrgRules, zone: str, customer_id: int, moment: dt.datetime
) -> list[Balance]:
    """Every entitlement of the customer's tier, in the rules' order, as of `moment`."""
    return _balances(conn, tier_rules_of(conn, rules, customer_id), zone, customer_id, moment)


def _balances(
    conn: Connection,
    tier: TierRules | None,
    zone: str,
    customer_id: int,
    moment: dt.datetime,
    only: EntitlementKind | None = None,
) -> list[Balance]:
    """The balances of the tier's allowances (or of `only` one kind), from one read of the
    ledger over the periods holding `moment` in the company's zone."""
    allowances = [e for e in (tier.entitlements if tier else []) if only in (None, e.kind)]
    if not allowances:
        return []
    local = ZoneInfo(zone)
    day = as_utc(moment).astimezone(local).date()

    def utc(date: dt.date) -> dt.datetime:
        """The moment a day starts in the company's zone, in UTC."""
        return dt.datetime.combine(date, dt.time(), local).astimezone(dt.UTC)

    periods = {e.kind: tuple(map(utc, period_of(day, e.per))) for e in allowances}
    ledger = conn.execute(
        select(EntitlementUse.kind, EntitlementUse.at, EntitlementUse.amount).where(
            EntitlementUse.customer_id == customer_id,
            EntitlementUse.kind.in_(list(periods)),
            EntitlementUse.at >= min(start for start, _after in periods.values()),
            EntitlementUse.at < max(after for _start, after in periods.values()),
        )
    )
    used = dict.fromkeys(periods, 0.0)
    for kind, at, amount in ledger:
        start, after = periods[EntitlementKind(kind)]
        if start <= as_utc(at) < after:
            used[EntitlementKind(kind)] += float(amount)
    return [
        Balance(
            kind=e.kind,
            per=e.per,
            allowance=e.amount,
            used=used[e.kind],
            left=max(0.0, e.amount - used[e.kind]),
            period_end=period_of(day, e.per)[1] - dt.timedelta(days=1),
        )
        for e in allowances
    ]


def entitlements_left(
    uow: UnitOfWork,
    principal: Principal,
    zone: str,
    customer_code: str,
    now: dt.datetime | None = None,
) -> list[Balance]:
    """Per kind the customer's tier is entitled to: the allowance of the period holding `now`,
    what was used of it, what is left and when the period ends (the caller card, the 360)."""
    require(principal, Permission.CUSTOMERS_READ)
    customer = visible_customer(uow.session, principal, customer_code)
    return balances(
        uow.connection, active_rules(uow.connection), zone, customer.id, now or utcnow()
    )


def use_entitlement(
    uow: UnitOfWork,
    principal: Principal,
    zone: str,
    customer_code: str,
    kind: EntitlementKind,
    amount: float,
    ticket_id: int | None = None,
    override_reason: str | None = None,
    now: dt.datetime | None = None,
) -> Used:
    """Record that a customer in scope used `amount` of an entitlement (on a ticket of theirs);
    refused beyond what is left this period unless a reason is given, which the row and the
    audit keep."""
    require(principal, Permission.TICKETS_WRITE)
    customer = visible_customer(uow.session, principal, customer_code)
    if not amount > 0:
        raise ValueError(_("amount: must be more than 0, not {amount}").format(amount=amount))
    if ticket_id is not None:
        ticket = uow.session.scalar(scoped(select(Ticket).where(Ticket.id == ticket_id), principal))
        if ticket is None:
            raise LookupError(_("no ticket {id}").format(id=ticket_id))
        if ticket.customer_id != customer.id:
            raise ValueError(
                _("ticket {id} is not a ticket of customer {code}").format(
                    id=ticket_id, code=customer.code
                )
            )
    moment, reason = now or utcnow(), (override_reason or "").strip() or None
    conn = uow.connection
    tier = tier_rules_of(conn, active_rules(conn), customer.id)
    balance = balance_of(conn, tier, zone, customer.id, kind, moment)
    beyond = balance is None or amount > balance.left + ROUNDING
    if beyond and reason is None:
        raise EntitlementRefused(_refusal(customer, tier, kind, amount, balance))
    use_id = _write(
        conn, customer.id, kind, amount, moment, principal.username, beyond, reason, ticket_id
    )
    changes = {"kind": kind.value, "amount": amount, "ticket": ticket_id}
    note = _("beyond the allowance: {reason}").format(reason=reason) if beyond else None
    record(uow.session, principal, "use", "entitlement", customer.code, changes=changes, note=note)
    return Used(use_id, beyond, balance_of(conn, tier, zone, customer.id, kind, moment))


def _refusal(
    customer: Customer,
    tier: TierRules | None,
    kind: EntitlementKind,
    amount: float,
    balance: Balance | None,
) -> str:
    """Why a use was refused, in the reader's words, with what to do about it."""
    lang = current_language()
    if balance is None:
        return _(
            "customer {code} (tier {tier}) is not entitled to {kind}; give a reason to record it"
            " anyway"
        ).format(code=customer.code, tier=tier.tier if tier else _("none"), kind=kind.label(lang))
    return _(
        "customer {code} has {left} of {allowance} {kind} left until {end}, and {amount} were"
        " asked; give a reason to go beyond the allowance"
    ).format(
        code=customer.code,
        left=amount_text(balance.left),
        allowance=amount_text(balance.allowance),
        kind=kind.label(lang),
        end=balance.period_end.isoformat(),
        amount=amount_text(amount),
    )


def _write(
    conn: Connection,
    customer_id: int,
    kind: EntitlementKind,
    amount: float,
    moment: dt.datetime,
    actor: str | None,
    beyond: bool,
    reason: str | None,
    ticket_id: int | None = None,
    interaction_id: int | None = None,
) -> int:
    """One row of the ledger."""
    return int(
        conn.execute(
            insert(EntitlementUse.__table__)
            .values(
                customer_id=customer_id,
                kind=kind,
                amount=amount,
                at=moment,
                ticket_id=ticket_id,
                interaction_id=interaction_id,
                actor=actor,
                beyond_allowance=beyond,
                override_reason=reason if beyond else None,
            )
            .returning(EntitlementUse.__table__.c.id)
        ).scalar_one()
    )


def check_channel(
    conn: Connection, rules: OrgRules, customer_id: int, channel: str, override_reason: str | None
) -> str | None:
    """Refuse a ticket by a channel the customer's tier does not take, unless a reason is given;
    returns the reason when the channel needed one (for the audit), else None."""
    tier = tier_rules_of(conn, rules, customer_id)
    if tier is None or tier.allows_channel(channel):
        return None
    reason = (override_reason or "").strip()
    if reason:
        return reason
    lang = current_language()
    raise EntitlementRefused(
        _(
            "tier {tier} does not take tickets by {channel} (it takes {allowed}); give a reason to"
            " open it anyway"
        ).format(
            tier=tier.tier,
            channel=_channel_label(channel, lang),
            allowed=", ".join(c.label(lang) for c in tier.channels),
        )
    )


def _channel_label(channel: str, lang: str) -> str:
    """A channel's name in the reader's language, or as typed when it is none of ours."""
    known = {c.value: c for c in InteractionChannel}
    return known[channel].label(lang) if channel in known else channel


def visit_uses_entitlement(zone: str) -> Callable[[UnitOfWork, ContactLogged], dict[str, int]]:
    """The desk's reaction to a logged contact: a visit uses one on-site visit of the tier's
    allowance, in the period it happened; past the allowance it is marked, not refused (it
    happened). Tiers not entitled to on-site visits keep no ledger of visits."""

    def use(uow: UnitOfWork, fact: ContactLogged) -> dict[str, int]:
        """One on-site visit used if the contact was a visit and the tier is entitled to some."""
        conn = uow.connection
        if fact.interaction_id is None:
            return {}
        visit = conn.execute(
            select(Interaction.occurred_at, Staff.code)
            .outerjoin(Staff, Staff.id == Interaction.staff_id)
            .where(
                Interaction.id == fact.interaction_id,
                Interaction.channel == InteractionChannel.VISIT,
            )
        ).first()
        if visit is None:
            return {}
        try:
            tier = tier_rules_of(conn, active_rules(conn), fact.customer_id)
        except NoRules:
            return {}
        kind = EntitlementKind.ONSITE_VISIT
        balance = balance_of(conn, tier, zone, fact.customer_id, kind, visit.occurred_at)
        if balance is None:
            return {}
        beyond = balance.left < 1 - ROUNDING
        at, actor = visit.occurred_at, visit.code
        _write(conn, fact.customer_id, kind, 1, at, actor, beyond, None, None, fact.interaction_id)
        return {"visits_beyond_allowance": int(beyond)}

    return use


def entitlements_of_file(zone: str) -> Callable[[UnitOfWork, CustomerFileRead], dict[str, Any]]:
    """On the 360: the customer's entitlements left in the periods holding the day it is read."""

    def of_file(uow: UnitOfWork, fact: CustomerFileRead) -> dict[str, Any]:
        """The balances as of noon of the day read, for the 360 only."""
        if not fact.whole:
            return {}
        try:
            rules = active_rules(uow.connection)
        except NoRules:
            return {}
        moment = dt.datetime.combine(fact.today, dt.time(12), ZoneInfo(zone))
        return {"entitlements": balances(uow.connection, rules, zone, fact.customer_id, moment)}

    return of_file
