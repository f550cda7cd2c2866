"""Products and orders over HTTP; an order raises the customer's tier at once if it earns it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from tierwise.customers.models import Customer
from tierwise.customers.scopes import customer_filter, only_customer
from tierwise.db.base import MAX_AMOUNT
from tierwise.i18n import _
from tierwise.identity.access import Principal
from tierwise.identity.roles import Permission
from tierwise.sales import service
from tierwise.sales.models import Order, OrderLine, Product
from tierwise.sales.terms import Payment
from tierwise.web.deps import AppDep, UowDep, allowed
from tierwise.web.pagination import CursorQuery, LimitQuery, Page, page
from tierwise.web.problems import error_responses
from tierwise.web.types import IsoDate

router = APIRouter(tags=["products and orders"])


class ProductOut(BaseModel):
    """Something we sell."""

    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    category: str | None
    list_price: Decimal | None
    standard_cost: Decimal | None
    active: bool


class OrderOut(BaseModel):
    """An order with its net amount and cost over all lines."""

    code: str
    customer: str
    order_date: dt.date
    channel: str | None
    department: str | None
    amount: Decimal
    cost: Decimal | None


class OrderIn(BaseModel):
    """A one-line order, or with `returns` a return of an earlier order of the customer."""

    customer: str = Field(min_length=1, max_length=64, examples=["C000002"])
    amount: Decimal | None = Field(
        default=None,
        gt=0,
        le=MAX_AMOUNT,
        decimal_places=2,
        examples=["12800.00"],
        description="default: the product's list price times quantity on the tier's terms",
    )
    quantity: Decimal = Field(default=Decimal(1), gt=0, le=10**9, decimal_places=3)
    payment: Payment | None = Field(default=None, description="default: what the tier allows")
    override: bool = Field(default=False, description="beyond the tier terms; needs a reason")
    reason: str | None = Field(default=None, max_length=500)
    cost: Decimal | None = Field(default=None, ge=0, le=MAX_AMOUNT, decimal_places=2)
    order_date: IsoDate | None = Field(default=None, description="default: today")
    product: str | None = Field(default=None, max_length=64)
    code: str | None = Field(default=None, min_length=1, max_length=130)
    returns: str | None = Field(default=None, max_length=130, description="order code returned")


class OrderRecorded(BaseModel):
    """The order, the terms it was priced and paid on, and the customer's tier after it."""

    code: str
    tier: str | None
    amount: Decimal
    list_amount: Decimal | None = None
    discount_percent: Decimal | None = None
    payment: Payment | None = None
    terms_tier: str | None = None
    terms_version: int | None = None


@router.get("/products", response_model=Page[ProductOut], responses=error_responses(401, 403, 422))
def products(
    uow: UowDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
    category: Annotated[str | None, Query(max_length=100)] = None,
    principal: Principal = allowed(Permission.PRODUCTS_READ),
) -> dict[str, Any]:
    """The product catalogue by code."""
    query = select(Product)
    if category is not None:
        query = query.where(Product.category == category)
    rows, next_cursor = page(uow.session, query, Product.code, Product.id, False, cursor, limit)
    return {"items": rows, "next_cursor": next_cursor}


@router.get("/orders", response_model=Page[OrderOut], responses=error_responses(401, 403, 404, 422))
def orders(
    uow: UowDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
    customer: Annotated[str | None, Query(max_length=64)] = None,
    principal: Principal = allowed(Permission.ORDERS_READ),
) -> dict[str, Any]:
    """Orders of the customers your role may see, newest first; one customer's with ?customer=."""
    query = select(Order).join(Customer, Customer.id == Order.customer_id)
    query = query.where(customer_filter(principal))
    if customer is not None:
        query = query.where(only_customer(uow.session, principal, customer))
    rows, next_cursor = page(uow.session, query, Order.id, Order.id, True, cursor, limit)
    ids = [o.id for o in rows]
    sums = {
        order_id: (amount, cost)
        for order_id, amount, cost in uow.session.execute(
            select(OrderLine.order_id, func.sum(OrderLine.amount), func.sum(OrderLine.cost))
            .where(OrderLine.order_id.in_(ids))
            .group_by(OrderLine.order_id)
        )
    }
    codes = dict(
        uow.session.execute(
            select(Customer.id, Customer.code).where(Customer.id.in_({o.customer_id for o in rows}))
        ).all()
    )
    items = [
        {
            "code": o.code,
            "customer": codes[o.customer_id],
            "order_date": o.order_date,
            "channel": o.channel,
            "department": o.department,
            "amount": sums.get(o.id, (0, None))[0] or 0,
            "cost": sums.get(o.id, (0, None))[1],
        }
        for o in rows
    ]
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "/orders",
    response_model=OrderRecorded,
    status_code=201,
    responses=error_responses(401, 403, 404, 409, 422),
)
def add_order(
    body: OrderIn,
    app: AppDep,
    uow: UowDep,
    principal: Principal = allowed(Permission.ORDERS_WRITE),
) -> dict[str, Any]:
    """Record an order (or a return) on the customer's tier terms: priced from the list when no
    amount is given; 409 when the payment or credit is beyond the tier's terms, unless
    `override` with a `reason`. The customer is regraded at once."""
    if body.override and not (body.reason or "").strip():
        raise ValueError(_("override needs a reason: why the tier terms are overridden"))
    recorded = service.add_order(
        uow,
        principal,
        body.customer,
        body.order_date,
        body.amount,
        body.cost,
        body.product,
        body.code,
        body.returns,
        today=app.settings.today(),
        latest_date=app.settings.latest_order_date(),
        quantity=body.quantity,
        payment=body.payment,
        override=body.reason if body.override else None,
    )
    uow.commit()
    order, price = recorded.order, recorded.price
    return {
        "code": order.code,
        "tier": recorded.tier,
        "amount": recorded.amount,
        "list_amount": price.list_amount if price else None,
        "discount_percent": price.discount_percent if price else None,
        "payment": order.payment,
        "terms_tier": order.terms_tier,
        "terms_version": order.terms_version,
    }
