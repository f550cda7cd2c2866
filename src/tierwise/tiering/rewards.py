"""Rewards for long-standing and referring customers: granted from the tier policy's rules by the
daily run and by a referred customer's first order, by hand when a manager decides, and used once.
Every grant is a row of its own, unique per customer, rule and period, so none is given twice."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, Select, cast, func, literal, select
from sqlalchemy.orm import Session

from tierwise.customers.choices import CustomerStatus
from tierwise.customers.models import Customer
from tierwise.customers.scopes import visible_customer
from tierwise.db.session import UnitOfWork
from tierwise.errors import Conflict
from tierwise.i18n import _
from tierwise.identity.access import Principal, require
from tierwise.identity.audit import record
from tierwise.identity.roles import Permission
from tierwise.sales.models import Order
from tierwise.sales.service import OrderRecorded
from tierwise.tiering.engine import active_policy
from tierwise.tiering.models import CustomerTier, Reward
from tierwise.tiering.reward_rules import RewardRule

DAILY = "daily run"
BLACKLISTED = CustomerStatus.BLACKLISTED


class RewardRefused(Conflict):
    """A reward that cannot be used (already used, expired) or granted (no such rule)."""


@dataclass(frozen=True)
class RewardGranted:
    """A customer was given a reward (notices tell it)."""

    customer_id: int
    reward_id: int


def _rules(uow: UnitOfWork) -> list[RewardRule]:
    active = active_policy(uow.connection)
    return list(active.policy.document.rewards) if active else []


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _grant(
    uow: UnitOfWork,
    customer_id: int,
    rule: RewardRule,
    period: str,
    reason: str,
    today: dt.date,
    author: str | None,
) -> Reward | None:
    """One reward row, unless the customer has this rule's reward for the period already."""
    taken = uow.session.scalar(
        select(Reward.id).where(
            Reward.customer_id == customer_id, Reward.rule == rule.code, Reward.period == period
        )
    )
    if taken is not None:
        return None
    reward = Reward(
        customer_id=customer_id,
        rule=rule.code,
        period=period,
        name_zh=rule.zh,
        name_en=rule.en,
        value=Decimal(rule.value) if rule.value is not None else None,
        reason=reason,
        granted_on=today,
        expires_on=today + dt.timedelta(days=rule.valid_days) if rule.valid_days else None,
        granted_by=author,
    )
    uow.session.add(reward)
    uow.session.flush()
    uow.happened(RewardGranted(customer_id, reward.id))
    return reward


def grant_due(uow: UnitOfWork, today: dt.date, author: str | None = None) -> Counter[str]:
    """The daily run's grants: tenure rewards once a year, anniversary rewards in the month of
    the anniversary, to customers of the tiers each rule names; how many of each rule."""
    granted: Counter[str] = Counter()
    first = (
        select(Order.customer_id, func.min(Order.order_date).label("first"))
        .group_by(Order.customer_id)
        .subquery()
    )
    for rule in _rules(uow):
        if rule.kind == "referral":
            continue
        since = _years_before(today, rule.min_years)
        query = (
            select(Customer.id, Customer.acquired_on, first.c.first, CustomerTier.tier)
            .join(first, first.c.customer_id == Customer.id)
            .join(CustomerTier, CustomerTier.customer_id == Customer.id)
            .where(first.c.first <= since, Customer.status != BLACKLISTED)
        )
        if rule.tiers:
            query = query.where(CustomerTier.tier.in_(rule.tiers))
        for customer_id, acquired, first_order, _tier in uow.session.execute(query).all():
            began = acquired or first_order
            if rule.kind == "anniversary" and began.month != today.month:
                continue
            years = today.year - began.year
            if rule.kind == "tenure" and (today.month, today.day) < (began.month, began.day):
                years -= 1
            reason = _("{years} years as our customer").format(years=max(years, rule.min_years))
            if _grant(uow, customer_id, rule, str(today.year), reason, today, author or DAILY):
                granted[rule.code] += 1
    return granted


def reward_referrer(uow: UnitOfWork, fact: OrderRecorded) -> dict[str, Any]:
    """A referred customer's first order credits whoever recommended it, once."""
    customer = uow.session.get(Customer, fact.customer_id)
    if customer is None or customer.referred_by_id is None:
        return {}
    orders = uow.session.scalar(select(func.count()).where(Order.customer_id == customer.id))
    if orders != 1:
        return {}
    referrer = uow.session.get(Customer, customer.referred_by_id)
    tier = uow.session.scalar(
        select(CustomerTier.tier).where(CustomerTier.customer_id == customer.referred_by_id)
    )
    if referrer is None or referrer.status == BLACKLISTED:
        return {}
    given = 0
    for rule in (r for r in _rules(uow) if r.kind == "referral" and r.covers(tier)):
        reason = _("recommended {customer}, who placed a first order").format(
            customer=customer.code
        )
        period = f"referral {customer.code}"
        if _grant(uow, customer.referred_by_id, rule, period, reason, fact.effective, fact.author):
            given += 1
    return {"referral_rewards": given} if given else {}


def grant_by_hand(
    uow: UnitOfWork, principal: Principal, code: str, rule_code: str, reason: str, today: dt.date
) -> Reward:
    """A reward of a policy rule given by a manager's decision (once a day per rule); audited."""
    require(principal, Permission.TIERS_APPLY)
    customer = visible_customer(uow.session, principal, code)
    if not reason.strip():
        raise ValueError(_("a reward given by hand needs a reason"))
    rule = next((r for r in _rules(uow) if r.code == rule_code), None)
    if rule is None:
        known = ", ".join(r.code for r in _rules(uow)) or _("none")
        raise RewardRefused(
            _("no reward rule {rule} in the active policy (there are: {known})").format(
                rule=rule_code, known=known
            )
        )
    period = f"by hand {today.isoformat()}"
    reward = _grant(uow, customer.id, rule, period, reason.strip(), today, principal.username)
    if reward is None:
        raise RewardRefused(
            _("{customer} was given {reward} today already").format(
                customer=customer.code, reward=rule.code
            )
        )
    record(uow.session, principal, "grant", "reward", str(reward.id), note=reason.strip())
    return reward


def use_reward(uow: UnitOfWork, principal: Principal, reward_id: int, today: dt.date) -> Reward:
    """Mark a reward of a customer in scope used; one used or expired is refused; audited."""
    require(principal, Permission.CUSTOMERS_WRITE)
    reward = uow.session.get(Reward, reward_id)
    customer = uow.session.get(Customer, reward.customer_id) if reward else None
    if reward is None or customer is None:
        raise LookupError(_("no reward {id}").format(id=reward_id))
    visible_customer(uow.session, principal, customer.code)
    if reward.used_on is not None:
        raise RewardRefused(
            _("reward {id} was used on {day}").format(id=reward_id, day=reward.used_on)
        )
    if reward.expires_on is not None and reward.expires_on < today:
        raise RewardRefused(
            _("reward {id} expired on {day}").format(id=reward_id, day=reward.expires_on)
        )
    reward.used_on = today
    record(uow.session, principal, "use", "reward", str(reward_id))
    return reward


def rewards_of(session: Session, customer_id: int) -> list[Reward]:
    """A customer's rewards, newest first."""
    return list(
        session.scalars(
            select(Reward).where(Reward.customer_id == customer_id).order_by(Reward.id.desc())
        )
    )


def service_events(as_of: dt.date, _day_ends: dt.datetime) -> Select[Any]:
    """Rewards granted per customer up to `as_of` (a day, not an instant), at their value, for
    its cost-to-serve."""
    r = Reward.__table__
    return (
        select(
            r.c.customer_id,
            literal("reward"),
            cast(func.count(), Float),
            cast(func.sum(r.c.value), Float),
        )
        .where(r.c.granted_on <= as_of)
        .group_by(r.c.customer_id)
    )
