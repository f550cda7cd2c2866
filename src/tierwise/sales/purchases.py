"""What a customer has bought from us, for its file: the totals net of returns, and on the
console's 360 the latest orders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import case, distinct, func, select
from sqlalchemy.orm import Session

from tierwise.customers.service import CustomerFileRead
from tierwise.db.session import UnitOfWork
from tierwise.sales.models import Order, OrderLine, Product

LATEST_ORDERS = 20


@dataclass(frozen=True)
class OrderTotals:
    """What a customer has bought from us, net of returns."""

    orders: int
    revenue: Decimal
    cost: Decimal | None
    returns: Decimal
    first_order: dt.date | None
    last_order: dt.date | None
    product_categories: int
    departments: int

    @property
    def gross_profit(self) -> Decimal | None:
        """Revenue less known cost; unknown when no line carries a cost."""
        return None if self.cost is None else self.revenue - self.cost


def order_totals(session: Session, customer_id: int) -> OrderTotals:
    """Sums over the customer's order lines in one query."""
    query = (
        select(
            func.count(distinct(Order.id)),
            func.coalesce(func.sum(OrderLine.amount), 0),
            func.sum(OrderLine.cost),
            func.coalesce(func.sum(case((OrderLine.amount < 0, -OrderLine.amount), else_=0)), 0),
            func.min(Order.order_date),
            func.max(Order.order_date),
            func.count(distinct(Product.category)),
            func.count(distinct(Order.department)),
        )
        .select_from(Order)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .outerjoin(Product, Product.id == OrderLine.product_id)
        .where(Order.customer_id == customer_id)
    )
    orders, revenue, cost, returns, first, last, categories, departments = session.execute(
        query
    ).one()
    return OrderTotals(
        orders=orders,
        revenue=Decimal(revenue).quantize(Decimal("0.01")),
        cost=None if cost is None else Decimal(cost).quantize(Decimal("0.01")),
        returns=Decimal(returns).quantize(Decimal("0.01")),
        first_order=first,
        last_order=last,
        product_categories=categories,
        departments=departments,
    )


def purchases_of_file(uow: UnitOfWork, fact: CustomerFileRead) -> dict[str, Any]:
    """What sales adds to a customer's file being read: the totals, and the latest orders when
    the whole file is read."""
    added: dict[str, Any] = {"totals": order_totals(uow.session, fact.customer_id)}
    if fact.whole:
        added["orders"] = list(
            uow.session.scalars(
                select(Order)
                .where(Order.customer_id == fact.customer_id)
                .order_by(Order.order_date.desc())
                .limit(LATEST_ORDERS)
            )
        )
    return added
