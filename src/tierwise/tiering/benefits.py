"""What a customer's tier gives it on a day: the tier held then (a downgrade in its grace
period keeps the tier and its terms), with the terms of the policy version in force."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tierwise.customers.models import Customer
from tierwise.customers.service import CustomerFileRead
from tierwise.db.session import UnitOfWork
from tierwise.i18n import _, current_language
from tierwise.sales.pricing import credit_of, yuan
from tierwise.sales.terms import OrderAsksTerms, Payment, Terms, TermsInForce
from tierwise.tiering.engine import active_policy
from tierwise.tiering.models import CustomerTier, TierHistory
from tierwise.tiering.policy import Policy
from tierwise.tiering.rewards import rewards_of


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
        "payment_choices": [
            (p.value, p.label(language), terms.allows(p)) for p in reversed(list(Payment))
        ],
    }


def terms_of_file(uow: UnitOfWork, fact: CustomerFileRead) -> dict[str, Any]:
    """What the tier engine adds to a customer's file being read: its terms and rewards."""
    customer = uow.session.get(Customer, fact.customer_id)
    if customer is None:
        return {}
    language = current_language()
    rewards = [
        {
            "id": r.id,
            "name": r.name(language),
            "value": r.value,
            "reason": r.reason,
            "granted_on": r.granted_on,
            "expires_on": r.expires_on,
            "used_on": r.used_on,
        }
        for r in rewards_of(uow.session, customer.id)
    ]
    return {"terms": terms_view(uow.session, customer, fact.today), "rewards": rewards}


def terms_table(policy: Policy, language: str) -> tuple[list[str], list[list[str]]]:
    """Every tier's terms side by side: the tiers as columns, each term as a row, in business
    language (the CLI, the policy page and the programme show the same table)."""
    tiers = [t for t in policy.value_tiers if t.terms is not None]
    header = [_("Term")] + [f"{t.code} {t.name(language)}" for t in tiers]
    rows: list[list[str]] = []

    def row(label: str, shown: Callable[[Terms], str]) -> None:
        rows.append([label] + [shown(t.terms) for t in tiers if t.terms is not None])

    row(_("Discount off list price"), lambda t: f"{t.discount_percent:g}%")
    categories = sorted({c for t in tiers if t.terms for c in t.terms.category_discounts})
    for category in categories:
        row(
            _("Discount on {category}").format(category=category),
            lambda t, c=category: f"{t.discount_for(c):g}%",  # type: ignore[misc]
        )
    row(_("Payment"), lambda t: t.payment.label(language))
    row(
        _("Credit period"),
        lambda t: _("{days} days").format(days=t.credit_days) if t.credit_days else "—",
    )
    row(_("Credit limit"), lambda t: credit_rule(t))
    row(
        _("Delivery"),
        lambda t: (
            "—"
            if t.lead_time_days is None
            else _("the next day")
            if t.lead_time_days == 1
            else _("within {days} days").format(days=t.lead_time_days)
        ),
    )
    row(
        _("Delivery priority"),
        lambda t: "—" if t.delivery_priority is None else str(t.delivery_priority),
    )
    row(_("Benefits"), lambda t: "、".join(b.text(language) for b in t.benefits) or "—")
    return header, rows


def credit_rule(terms: Terms) -> str:
    """A tier's credit limit as its customers read it."""
    if terms.credit_limit is not None:
        return yuan(Decimal(terms.credit_limit))
    if terms.credit_limit_months is None:
        return "—"
    text = _("{months:g} months of average sales").format(months=terms.credit_limit_months)
    if terms.credit_limit_min is not None:
        text += _(", at least {floor}").format(floor=yuan(Decimal(terms.credit_limit_min)))
    if terms.credit_limit_cap is not None:
        text += _(", at most {cap}").format(cap=yuan(Decimal(terms.credit_limit_cap)))
    return text
