"""What a customer's tier gives it on a day: the tier held then (a downgrade in its grace
period keeps the tier and its terms), with the terms of the policy version in force."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tierwise.customers.models import Customer
from tierwise.customers.service import CustomerFileRead
from tierwise.db.session import UnitOfWork
from tierwise.i18n import current_language
from tierwise.sales.pricing import credit_of
from tierwise.sales.terms import OrderAsksTerms, TermsInForce
from tierwise.tiering.engine import active_policy
from tierwise.tiering.models import CustomerTier, TierHistory


def tier_on(session: Session, customer_id: int, day: dt.date) -> str | None:
    """The tier the customer held on `day`: the history row in effect then, else its tier now
    (a customer graded after the day keeps its first tier's terms, never none)."""
    held = session.scalar(
        select(TierHistory.tier)
        .where(TierHistory.customer_id == customer_id, TierHistory.effective_from <= day)
        .order_by(TierHistory.effective_from.desc(), TierHistory.id.desc())
        .limit(1)
    )
    if held is not None:
        return held
    return session.scalar(select(CustomerTier.tier).where(CustomerTier.customer_id == customer_id))


def terms_on(session: Session, customer_id: int, day: dt.date) -> TermsInForce | None:
    """The terms the customer buys on that day; None without a policy, a tier, or terms."""
    active = active_policy(session.connection())
    code = tier_on(session, customer_id, day)
    if active is None or code is None:
        return None
    try:
        tier = active.policy.tier(code)
    except KeyError:  # a tier the policy in force no longer has
        return None
    if tier.terms is None:
        return None
    return TermsInForce(tier.code, tier.name_zh, tier.name_en, active.version, tier.terms)


def terms_for_order(uow: UnitOfWork, fact: OrderAsksTerms) -> dict[str, Any]:
    """The answer to an order asking its customer's terms."""
    return {"terms": terms_on(uow.session, fact.customer_id, fact.on)}


def terms_view(session: Session, customer: Customer, today: dt.date) -> dict[str, Any] | None:
    """The terms in force today and the credit used and left, as plain data for the 360, the
    API customer file and `customers show`; None without terms."""
    in_force = terms_on(session, customer.id, today)
    if in_force is None:
        return None
    terms, language = in_force.terms, current_language()
    credit = credit_of(session, customer, in_force, today)
    return {
        "tier": in_force.tier,
        "tier_name": in_force.tier_name(language),
        "policy_version": in_force.version,
        "discount_percent": terms.discount_percent,
        "category_discounts": dict(terms.category_discounts),
        "payment": terms.payment,
        "payment_label": terms.payment.label(language),
        "credit_days": terms.credit_days,
        "credit_limit": credit.limit,
        "credit_limit_own": credit.own_limit,
        "credit_used": credit.used,
        "credit_left": credit.left,
        "lead_time_days": terms.lead_time_days,
        "delivery_priority": terms.delivery_priority,
        "benefits": [b.text(language) for b in terms.benefits],
    }


def terms_of_file(uow: UnitOfWork, fact: CustomerFileRead) -> dict[str, Any]:
    """What the tier engine adds to a customer's file being read: its terms."""
    customer = uow.session.get(Customer, fact.customer_id)
    return {"terms": terms_view(uow.session, customer, fact.today) if customer else None}
