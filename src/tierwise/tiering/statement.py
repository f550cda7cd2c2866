"""The customer's own tier statement (服务升级规划 published): what its tier gives, how it stands
against the next tier, what that tier adds, and what keeps the tier when a downgrade is pending.

Only what a customer may read: purchase figures of its own, never scores, margins, ranks or
other customers, and every condition in business language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tierwise.customers.models import Customer
from tierwise.customers.reads import terms_rows
from tierwise.customers.scopes import visible_customer
from tierwise.customers.service import get_customer
from tierwise.errors import DomainError
from tierwise.i18n import _, current_language
from tierwise.identity.access import Principal, require
from tierwise.identity.roles import Permission
from tierwise.sales.pricing import yuan
from tierwise.tiering.benefits import terms_table, terms_view
from tierwise.tiering.document import Tier
from tierwise.tiering.expressions import Criterion
from tierwise.tiering.models import TierEvent, TierEventKind
from tierwise.tiering.policy import Policy
from tierwise.tiering.service import explanation

# What a customer may be told about itself, in its words; every other criterion stays internal.
CUSTOMER_FACING = {
    "sales_12m": ("近 12 个月采购额", "Purchases in the last 12 months"),
    "sales": ("累计采购额", "Purchases to date"),
    "avg_monthly_sales": ("月均采购额", "Average monthly purchases"),
    "avg_quarterly_sales": ("季均采购额", "Average quarterly purchases"),
    "avg_annual_sales": ("年均采购额", "Average yearly purchases"),
    "orders": ("订单数", "Orders placed"),
    "products": ("采购的产品数", "Products bought"),
    "product_lines": ("采购的产品类别数", "Product categories bought"),
    "departments": ("采购部门数", "Buying departments"),
    "tenure_days": ("合作天数", "Days as our customer"),
}
# The conditions measured in money: what the customer can buy its way up with.
PURCHASES = frozenset(
    {"sales_12m", "sales", "avg_monthly_sales", "avg_quarterly_sales", "avg_annual_sales"}
)


class NoStatement(DomainError):
    """A customer who gets no statement (the blacklist)."""


@dataclass(frozen=True)
class Standing:
    """One condition of a tier as the customer reads it, with a progress bar."""

    label: str
    current: str
    required: str
    met: bool
    progress: float
    still_needed: str | None
    purchase: bool = False


@dataclass(frozen=True)
class TierStatement:
    """Everything one customer's statement says."""

    code: str
    name: str
    issued_on: dt.date
    tier: str
    tier_name: str
    since: dt.date | None
    prospect: bool
    terms: list[tuple[str, str]]
    benefits: list[str]
    next_tier: str | None = None
    headline: str | None = None
    conditions: list[Standing] = field(default_factory=list)
    more_conditions: bool = False
    comparison: tuple[list[str], list[list[str]]] | None = None
    top: bool = False
    keep_by: dt.date | None = None
    keep: list[Standing] = field(default_factory=list)


def standings(criteria: list[Criterion]) -> tuple[list[Standing], bool]:
    """The customer-facing conditions, and whether others not shown to the customer are unmet."""
    language = current_language()
    shown, hidden = [], False
    for criterion in criteria:
        if criterion.subject not in CUSTOMER_FACING or not _numeric(criterion):
            hidden = hidden or not criterion.passed
            continue
        zh, en = CUSTOMER_FACING[criterion.subject]
        value, threshold = float(criterion.value), float(criterion.threshold)  # type: ignore[arg-type]
        progress = 1.0 if criterion.passed or threshold <= 0 else max(0.0, value / threshold)
        needed = None if criterion.passed else _shown(criterion.subject, threshold - value)
        shown.append(
            Standing(
                zh if language.startswith("zh") else en,
                _shown(criterion.subject, value),
                _shown(criterion.subject, threshold),
                criterion.passed,
                min(progress, 1.0),
                needed,
                criterion.subject in PURCHASES,
            )
        )
    return shown, hidden


def _numeric(criterion: Criterion) -> bool:
    return (
        criterion.operator in (">=", ">")
        and isinstance(criterion.value, int | float | Decimal)
        and isinstance(criterion.threshold, int | float | Decimal)
    )


def _shown(subject: str, value: float) -> str:
    if subject in PURCHASES:
        return yuan(Decimal(str(round(value))))
    if subject == "tenure_days":
        return _("{days} days").format(days=f"{value:,.0f}")
    return f"{value:,.0f}"


def headline(next_name: str, shown: list[Standing], others: bool) -> str | None:
    """ "再采购 ¥18,803 即可升级为 A 关键客户" when purchases are what is missing."""
    missing = [s for s in shown if not s.met]
    purchase = next((s for s in missing if s.purchase), None)
    if purchase is None:
        return None
    if len(missing) == 1 and not others:
        return _("Purchase {amount} more to move up to {tier}").format(
            amount=purchase.still_needed, tier=next_name
        )
    return _("Purchase {amount} more to meet the purchase condition of {tier}").format(
        amount=purchase.still_needed, tier=next_name
    )


def two_tiers(policy: Policy, current: Tier, upper: Tier) -> tuple[list[str], list[list[str]]]:
    """The terms of the customer's tier beside the next tier's."""
    header, rows = terms_table(policy, current_language())
    columns = [i for i, h in enumerate(header) if h.split(" ")[0] in (upper.code, current.code)]
    keep = [0, *columns]
    return [header[i] for i in keep], [[row[i] for i in keep] for row in rows]


def downgrade_date(session: Session, customer: Customer, today: dt.date) -> dt.date | None:
    """When a pending downgrade happens, as the last "downgrade at risk" notice said."""
    return session.scalar(
        select(TierEvent.occurs_on)
        .where(
            TierEvent.customer_id == customer.id,
            TierEvent.kind == TierEventKind.DOWNGRADE_AT_RISK,
            TierEvent.occurs_on >= today,
        )
        .order_by(TierEvent.id.desc())
        .limit(1)
    )


def build_statement(session: Session, code: str, today: dt.date) -> TierStatement:
    """The statement of the customer with `code` as it stands today (NoPolicy or NoSnapshot
    until a policy is applied and a recompute has run)."""
    policy, result, state = explanation(session, code)
    customer = get_customer(session, code)
    language = current_language()
    held = result.tier or result.qualified
    tier = policy.tier(held)
    if tier.blacklist:
        raise NoStatement(
            _("{customer} is on the blacklist; it gets no tier statement").format(
                customer=customer.code
            )
        )
    terms = terms_view(session, customer, today)
    statement = TierStatement(
        code=customer.code,
        name=customer.name,
        issued_on=today,
        tier=tier.code,
        tier_name=tier.name(language),
        since=state.since if state else None,
        prospect=result.prospect,
        terms=terms_rows_for_customer(terms) if terms else [],
        benefits=terms["benefits"] if terms else [],
        top=tier is policy.value_tiers[0],
    )
    value = policy.value_tiers
    if tier in value and value.index(tier) > 0 and not tier.blacklist:
        upper = value[value.index(tier) - 1]
        check = next((c for c in result.checks if c.tier.code == upper.code), None)
        shown, others = standings(check.criteria) if check else ([], False)
        next_name = f"{upper.code} {upper.name(language)}"
        statement = replace(
            statement,
            next_tier=next_name,
            conditions=shown,
            more_conditions=others,
            headline=None if result.prospect else headline(next_name, shown, others),
            comparison=two_tiers(policy, tier, upper) if upper.terms and tier.terms else None,
        )
    if state is not None and state.below_since is not None:
        own = next((c for c in result.checks if c.tier.code == tier.code), None)
        keep, _others = standings(own.criteria) if own else ([], False)
        statement = replace(
            statement,
            keep_by=downgrade_date(session, customer, today),
            keep=[k for k in keep if not k.met],
        )
    return statement


def terms_rows_for_customer(terms: dict[str, object]) -> list[tuple[str, str]]:
    """The terms in force as the customer reads them: no credit figures of the day, which
    change with every order, but the limit the tier gives."""
    hidden = {_("Credit used"), _("Credit left")}
    own = " " + _("(the customer's own limit)")
    return [
        (label, text.replace(own, "")) for label, text in terms_rows(terms) if label not in hidden
    ]


def statement_for(
    session: Session, principal: Principal, code: str, today: dt.date
) -> TierStatement:
    """The statement of a customer the principal may open; reading it is not a personal-data
    read (it holds the name, tier and purchases only)."""
    require(principal, Permission.TIERS_READ)
    return build_statement(session, visible_customer(session, principal, code).code, today)
