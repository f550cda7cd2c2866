"""Recording one order by hand (imports do the bulk): a sale, or a return of an earlier order."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tierwise.config import Settings
from tierwise.customers.scopes import visible_customer
from tierwise.customers.service import get_customer
from tierwise.db.base import MAX_AMOUNT
from tierwise.db.session import UnitOfWork
from tierwise.i18n import _, current_language
from tierwise.identity.access import Principal, require
from tierwise.identity.audit import record
from tierwise.identity.roles import Permission
from tierwise.ingest.parse import amount_limit_note
from tierwise.sales.models import Order, OrderLine, Product
from tierwise.sales.pricing import (
    Price,
    TermsRefused,
    check_terms,
    price_line,
    returned_price,
    yuan,
)
from tierwise.sales.terms import OrderAsksTerms, Payment, TermsInForce


def money(text: str, field: str) -> Decimal:
    """An amount as typed, to the cent; ValueError naming the field and value otherwise."""
    try:
        value = Decimal(text.replace(",", "").replace("¥", "").strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if value.is_finite() and abs(value) > MAX_AMOUNT:
        raise ValueError(f"{field}: {text!r} — {amount_limit_note()}")
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise ValueError(
            _("{field}: {value!r} is not an amount in yuan with at most two decimals").format(
                field=field, value=text
            )
        )
    return value


MAX_QUANTITY = Decimal(10**9)  # as the API allows; more is a typing error


def quantity_of(text: str) -> Decimal:
    """A quantity as typed (up to three decimals); ValueError naming the value otherwise."""
    try:
        value = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if (
        not value.is_finite()
        or value <= 0
        or value > MAX_QUANTITY
        or value != value.quantize(Decimal("0.001"))
    ):
        raise ValueError(
            _(
                "quantity {value!r} is not a positive number up to {limit} with at most three "
                "decimals"
            ).format(value=text, limit=f"{MAX_QUANTITY:,}")
        )
    return value


def terms_line(recorded: RecordedOrder) -> str:
    """What the order was priced and paid on, as the person who recorded it reads it."""
    in_force, price = recorded.in_force, recorded.price
    assert in_force is not None
    language = current_language()
    text = _("On the terms of tier {tier} (policy version {version}): {amount}").format(
        tier=f"{in_force.tier} {in_force.tier_name(language)}",
        version=in_force.version,
        amount=yuan(recorded.amount),
    )
    if price is not None and price.discount_percent is not None and price.list_amount:
        text += _(" (list {listed}, {discount}% off)").format(
            listed=yuan(price.list_amount), discount=f"{price.discount_percent.normalize():f}"
        )
    if recorded.order.payment is not None:
        text += " · " + recorded.order.payment.label(language)
    return text


EARLIEST_ORDER_DATE = dt.date(1900, 1, 1)


def order_dates_expected(latest: dt.date) -> str:
    """The order dates every path accepts, said to the user."""
    return _("a date from {earliest} to {latest}").format(
        earliest=EARLIEST_ORDER_DATE.isoformat(), latest=latest.isoformat()
    )


def check_order_date(day: dt.date, latest: dt.date) -> None:
    """ValueError naming the date and the accepted range unless the date is in it."""
    if not EARLIEST_ORDER_DATE <= day <= latest:
        raise ValueError(
            _("order date {day}: expected {expected}").format(
                day=day.isoformat(), expected=order_dates_expected(latest)
            )
        )


def record_order(
    session: Session,
    customer_code: str,
    order_date: dt.date,
    amount: Decimal,
    cost: Decimal | None = None,
    product_code: str | None = None,
    order_code: str | None = None,
    returns: str | None = None,
    *,
    latest_date: dt.date | None = None,
    quantity: Decimal = Decimal(1),
    price: Price | None = None,
    payment: Payment | None = None,
    in_force: TermsInForce | None = None,
) -> Order:
    """Record a one-line order (or, with `returns`, a return of that earlier order); dates past
    `latest_date` (default: the settings' latest order date) are refused."""
    check_order_date(order_date, latest_date or Settings().latest_order_date())
    customer = get_customer(session, customer_code)
    if amount <= 0:
        raise ValueError(_("--amount must be positive; a return is recorded with --returns ORDER"))
    returned = None
    if returns is not None:
        returned = session.scalar(select(Order).where(Order.code == returns))
        if returned is None or returned.customer_id != customer.id:
            raise ValueError(
                _("{customer} has no order {order!r} to return").format(
                    customer=customer_code, order=returns
                )
            )
    product_id = None
    if product_code is not None:
        product_id = session.scalar(select(Product.id).where(Product.code == product_code))
        if product_id is None:
            raise ValueError(_("no product with code {code!r}").format(code=product_code))
    code = order_code or _next_code(session, customer_code, order_date)
    if session.scalar(select(Order.id).where(Order.code == code)) is not None:
        raise ValueError(_("an order with code {code!r} already exists").format(code=code))
    order = Order(
        code=code,
        customer_id=customer.id,
        order_date=order_date,
        payment=payment,
        terms_tier=in_force.tier if in_force else None,
        terms_version=in_force.version if in_force else None,
        due_on=_due_on(order_date, payment, in_force),
    )
    if returned is not None:  # a return gives back what its order was owed on
        order.payment, order.due_on = returned.payment, returned.due_on
    session.add(order)
    session.flush()
    sign = -1 if returned is not None else 1
    session.add(
        OrderLine(
            order_id=order.id,
            line_no=1,
            product_id=product_id,
            quantity=quantity,
            amount=sign * amount,
            list_amount=price.list_amount if price else None,
            discount_percent=price.discount_percent if price else None,
            cost=None if cost is None else sign * cost,
            returns_order_id=returned.id if returned is not None else None,
        )
    )
    session.flush()
    return order


@dataclass(frozen=True)
class OrderRecorded:
    """An order (or a return) landed for a customer; what it changes takes effect on `effective`."""

    customer_id: int
    order_code: str
    effective: dt.date
    author: str | None


@dataclass(frozen=True)
class RecordedOrder:
    """The order as recorded, the terms it was priced on, and the customer's tier after it
    (None: no tier policy yet)."""

    order: Order
    tier: str | None
    amount: Decimal
    price: Price | None = None
    in_force: TermsInForce | None = None


def add_order(
    uow: UnitOfWork,
    principal: Principal,
    customer_code: str,
    order_date: dt.date | None,
    amount: Decimal | None,
    cost: Decimal | None = None,
    product_code: str | None = None,
    order_code: str | None = None,
    returns: str | None = None,
    *,
    today: dt.date,
    latest_date: dt.date,
    quantity: Decimal = Decimal(1),
    payment: Payment | None = None,
    override: str | None = None,
) -> RecordedOrder:
    """Record an order (or a return) for a customer in scope, dated today unless told, on the
    terms of its tier that day: priced from the list when no amount is given, refused when the
    payment or the credit is more than the tier allows unless overridden with a reason. The
    customer is regraded at once, with what a tier change brings; the audit says who."""
    require(principal, Permission.ORDERS_WRITE)
    customer = visible_customer(uow.session, principal, customer_code)
    day = order_date or today
    check_order_date(day, latest_date)
    if quantity <= 0:
        raise ValueError(_("--quantity must be positive"))
    refused: list[str] = []
    in_force = None if returns else uow.happened(OrderAsksTerms(customer.id, day)).get("terms")
    if returns is not None and amount is None:
        price = returned_price(uow.session, customer, returns, quantity)
    else:
        price = price_line(uow.session, product_code, quantity, amount, in_force)
    if in_force is not None:
        payment = payment or in_force.terms.payment
        refused = check_terms(uow.session, customer, in_force, payment, price.amount, today)
        if refused and not (override and override.strip()):
            raise TermsRefused(
                "; ".join(refused) + _(" — nothing was recorded; override with a reason")
            )
    order = record_order(
        uow.session,
        customer.code,
        day,
        price.amount,
        cost,
        product_code,
        order_code,
        returns,
        latest_date=latest_date,
        quantity=quantity,
        price=price,
        payment=payment,
        in_force=in_force,
    )
    record(uow.session, principal, "create", "order", order.code)
    if refused:
        record(uow.session, principal, "override_terms", "order", order.code, note=override)
    fact = OrderRecorded(customer.id, order.code, max(day, today), principal.username)
    tier = uow.happened(fact).get("tier")
    return RecordedOrder(order, tier, price.amount, price, in_force)


def _due_on(day: dt.date, payment: Payment | None, in_force: TermsInForce | None) -> dt.date | None:
    """When an order on credit falls due: its date plus the credit period of its terms."""
    if payment is not Payment.NET or in_force is None:
        return None
    return day + dt.timedelta(days=in_force.terms.credit_days)


def _next_code(session: Session, customer_code: str, order_date: dt.date) -> str:
    """CUSTOMER@DATE as imports key orders without a code, numbered when the day has one."""
    base = f"{customer_code}@{order_date.isoformat()}"
    taken = session.scalar(select(func.count()).where(Order.code.like(f"{base}%"))) or 0
    return base if taken == 0 else f"{base}#{taken + 1}"
