"""An order on its customer's tier terms: priced from the list price, paid a way the tier allows,
and within the credit the tier gives."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tierwise.customers.models import Customer
from tierwise.db.base import MAX_AMOUNT
from tierwise.errors import Conflict
from tierwise.i18n import _, current_language
from tierwise.ingest.parse import amount_limit_note
from tierwise.sales.models import Order, OrderLine, Product
from tierwise.sales.terms import Payment, TermsInForce

CENT = Decimal("0.01")
YEAR = dt.timedelta(days=365)


class TermsRefused(Conflict):
    """An order the customer's tier terms do not allow (payment or credit), unless overridden."""


def yuan(amount: Decimal) -> str:
    """An amount as a customer reads it: ¥18,803 or ¥18,803.50."""
    whole = amount == amount.to_integral_value()
    return f"¥{amount:,.0f}" if whole else f"¥{amount:,.2f}"


@dataclass(frozen=True)
class Price:
    """An order line's amount and, when it was priced from the list, the list amount and the
    discount the tier gave."""

    amount: Decimal
    list_amount: Decimal | None
    discount_percent: Decimal | None


def price_line(
    session: Session,
    product_code: str | None,
    quantity: Decimal,
    amount: Decimal | None,
    in_force: TermsInForce | None,
) -> Price:
    """The amount as given, or the product's list price times quantity less the tier discount;
    a priced amount past what an order line holds is refused."""
    product = None
    if product_code is not None:
        product = session.scalar(select(Product).where(Product.code == product_code))
        if product is None:
            raise ValueError(_("no product with code {code!r}").format(code=product_code))
    unit = product.list_price if product is not None else None
    exact = unit * quantity if unit is not None else None
    if exact is not None and exact > MAX_AMOUNT:
        raise ValueError(
            _("{quantity} × {price} is more than an order line can hold; {limit}").format(
                quantity=f"{quantity.normalize():f}",
                price=yuan(unit or Decimal(0)),
                limit=amount_limit_note(),
            )
        )
    listed = exact.quantize(CENT, ROUND_HALF_UP) if exact is not None else None
    if amount is not None:
        return Price(amount, listed, None)
    if product is None or exact is None:
        raise ValueError(
            _("give the amount, or a product with a list price to price the order from")
        )
    discount = Decimal(str(in_force.terms.discount_for(product.category))) if in_force else None
    off = discount or Decimal(0)
    priced = (exact * (100 - off) / 100).quantize(CENT, ROUND_HALF_UP)
    return Price(priced, listed, discount)


def returned_price(session: Session, customer: Customer, returns: str, quantity: Decimal) -> Price:
    """A return without an amount gives back what was paid for `quantity` of the returned
    order's line, never more than was bought."""
    line = session.scalar(
        select(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.code == returns, Order.customer_id == customer.id, OrderLine.amount > 0)
        .order_by(OrderLine.line_no)
        .limit(1)
    )
    if line is None:
        raise ValueError(
            _("{customer} has no order {order!r} to return").format(
                customer=customer.code, order=returns
            )
        )
    if quantity > line.quantity:
        raise ValueError(
            _("order {order} bought {bought}; {quantity} cannot be returned").format(
                order=returns,
                bought=f"{line.quantity.normalize():f}",
                quantity=f"{quantity.normalize():f}",
            )
        )
    paid = (line.amount * quantity / line.quantity).quantize(CENT, ROUND_HALF_UP)
    return Price(paid, None, None)


@dataclass(frozen=True)
class Credit:
    """How much credit a customer has on its terms, and how much of it is used."""

    limit: Decimal | None
    used: Decimal
    own_limit: bool

    @property
    def left(self) -> Decimal | None:
        """What is still available (never below zero); None when no credit is given."""
        return None if self.limit is None else max(self.limit - self.used, Decimal(0))


def credit_of(
    session: Session, customer: Customer, in_force: TermsInForce | None, today: dt.date
) -> Credit:
    """The credit limit (the tier's, or the customer's own from its file when that is lower)
    and what the customer owes on credit today: every order on credit not yet due, each by the
    credit period it was recorded on, returns of them deducted (Tierwise records no payments,
    so an order on credit counts as owed until it falls due)."""
    owed = session.scalar(
        select(func.coalesce(func.sum(OrderLine.amount), 0))
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.customer_id == customer.id,
            Order.payment == Payment.NET,
            Order.due_on >= today,
        )
    )
    used = max(Decimal(owed or 0), Decimal(0))
    terms = in_force.terms if in_force else None
    if terms is None or not terms.gives_credit:
        return Credit(None, used, own_limit=False)
    year = session.scalar(
        select(func.coalesce(func.sum(OrderLine.amount), 0))
        .join(Order, Order.id == OrderLine.order_id)
        .where(
            Order.customer_id == customer.id,
            Order.order_date > today - YEAR,
            Order.order_date <= today,
        )
    )
    limit = terms.credit_limit_for(Decimal(year or 0) / 12)
    assert limit is not None
    if customer.credit_limit is not None and customer.credit_limit < limit:
        return Credit(customer.credit_limit, used, own_limit=True)
    return Credit(limit, used, own_limit=False)


def check_terms(
    session: Session,
    customer: Customer,
    in_force: TermsInForce,
    payment: Payment,
    amount: Decimal,
    today: dt.date,
) -> list[str]:
    """Why the tier's terms refuse this order (empty when they allow it); credit is what the
    customer owes today, whatever the order's date."""
    terms, language = in_force.terms, current_language()
    tier = f"{in_force.tier} {in_force.tier_name(language)}"
    if not terms.allows(payment):
        allowed = [p.label(language) for p in Payment if terms.allows(p)]
        return [
            _("{customer} is in tier {tier}, which allows {allowed}, not {payment}").format(
                customer=customer.code,
                tier=tier,
                allowed=" / ".join(allowed),
                payment=payment.label(language),
            )
        ]
    if payment is not Payment.NET:
        return []
    credit = credit_of(session, customer, in_force, today)
    if credit.limit is None or credit.used + amount <= credit.limit:
        return []
    whose = (
        _("its own credit limit")
        if credit.own_limit
        else _("the credit limit of tier {tier}").format(tier=tier)
    )
    return [
        _(
            "{amount} on credit would take {customer} to {total}, past {whose} of {limit} "
            "({used} used, {left} left)"
        ).format(
            amount=yuan(amount),
            customer=customer.code,
            total=yuan(credit.used + amount),
            whose=whose,
            limit=yuan(credit.limit),
            used=yuan(credit.used),
            left=yuan(credit.left or Decimal(0)),
        )
    ]
