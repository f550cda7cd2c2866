"""Products and orders: the transactions that existing customers are graded on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tierwise.db.base import Base, IdMixin, TimestampMixin
from tierwise.db.choices import choice_column
from tierwise.sales.terms import Payment


class Product(IdMixin, TimestampMixin, Base):
    """Something we sell; standard cost lets analytics find loss-making products."""

    __tablename__ = "products"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(100))
    list_price: Mapped[Decimal | None]
    standard_cost: Mapped[Decimal | None]
    active: Mapped[bool] = mapped_column(default=True)


class Order(IdMixin, Base):
    """One purchase (or return) by a customer on a date, through a channel, for a department."""

    __tablename__ = "orders"

    code: Mapped[str] = mapped_column(String(130), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    order_date: Mapped[dt.date] = mapped_column(Date, index=True)
    channel: Mapped[str | None] = mapped_column(String(50))
    department: Mapped[str | None] = mapped_column(String(100))
    # The tier terms it was recorded on (none for orders imported or recorded before terms).
    payment: Mapped[Payment | None] = mapped_column(choice_column(Payment))
    terms_tier: Mapped[str | None] = mapped_column(String(16))
    terms_version: Mapped[int | None]
    due_on: Mapped[dt.date | None] = mapped_column(Date, doc="on credit: owed until this day")


class OrderLine(IdMixin, Base):
    """A line of an order; a return is a negative line pointing at the order it reverses."""

    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "line_no"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    line_no: Mapped[int]
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(18, 3), default=Decimal(1))
    amount: Mapped[Decimal]
    cost: Mapped[Decimal | None] = mapped_column(doc="unknown when the source system lacks it")
    returns_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    list_amount: Mapped[Decimal | None] = mapped_column(doc="quantity at list price, if priced")
    discount_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
