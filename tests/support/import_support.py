"""Helpers shared by the import tests: run an import, read the written tables back with Core."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.orm import aliased

from tierwise.customers.models import Contact, Customer, Referral
from tierwise.ingest.pipeline import Entity, ImportOptions, ImportResult, run_import
from tierwise.organisation.models import Staff
from tierwise.sales.models import Order, OrderLine, Product

CUSTOMERS: Table = Customer.__table__  # type: ignore[assignment]
CONTACTS: Table = Contact.__table__  # type: ignore[assignment]
STAFF: Table = Staff.__table__  # type: ignore[assignment]
PRODUCTS: Table = Product.__table__  # type: ignore[assignment]
ORDERS: Table = Order.__table__  # type: ignore[assignment]
LINES: Table = OrderLine.__table__  # type: ignore[assignment]
REFERRALS: Table = Referral.__table__  # type: ignore[assignment]
WRITTEN_TABLES = (STAFF, CUSTOMERS, CONTACTS, PRODUCTS, ORDERS, LINES, REFERRALS)


def load(conn: Connection, entity: Entity, path: Path, **options: Any) -> ImportResult:
    """Run one import with the given options inside the test's transaction."""
    return run_import(conn, entity, path, ImportOptions(**options))


def snapshot(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table an import writes, to show that a rejected import wrote nothing."""
    return {
        table.name: [tuple(row) for row in conn.execute(select(table).order_by(table.c.id))]
        for table in WRITTEN_TABLES
    }


def customer(conn: Connection, code: str) -> dict[str, Any]:
    """One stored customer as a dict of its columns, with owner/CSR/referrer given by code."""
    owner, csr, referrer = aliased(STAFF), aliased(STAFF), aliased(CUSTOMERS)
    query = (
        select(
            CUSTOMERS,
            owner.c.code.label("owner"),
            csr.c.code.label("csr"),
            referrer.c.code.label("referred_by"),
        )
        .outerjoin(owner, owner.c.id == CUSTOMERS.c.owner_id)
        .outerjoin(csr, csr.c.id == CUSTOMERS.c.csr_id)
        .outerjoin(referrer, referrer.c.id == CUSTOMERS.c.referred_by_id)
        .where(CUSTOMERS.c.code == code)
    )
    return dict(conn.execute(query).mappings().one())


def codes(conn: Connection, table: Table) -> list[str]:
    """The codes a table holds, sorted."""
    return list(conn.execute(select(table.c.code).order_by(table.c.code)).scalars())


def order_lines(conn: Connection) -> list[tuple[Any, ...]]:
    """(order, customer, date, line, product, quantity, amount, cost, returned order) per line."""
    original = aliased(ORDERS)
    query = (
        select(
            ORDERS.c.code,
            CUSTOMERS.c.code,
            ORDERS.c.order_date,
            LINES.c.line_no,
            PRODUCTS.c.code,
            LINES.c.quantity,
            LINES.c.amount,
            LINES.c.cost,
            original.c.code,
        )
        .select_from(LINES)
        .join(ORDERS, ORDERS.c.id == LINES.c.order_id)
        .join(CUSTOMERS, CUSTOMERS.c.id == ORDERS.c.customer_id)
        .outerjoin(PRODUCTS, PRODUCTS.c.id == LINES.c.product_id)
        .outerjoin(original, original.c.id == LINES.c.returns_order_id)
        .order_by(ORDERS.c.code, LINES.c.line_no)
    )
    return [tuple(row) for row in conn.execute(query)]


def add_customers(conn: Connection, *codes_: str) -> None:
    """Customers inserted directly, so order tests do not depend on the customers import."""
    conn.execute(
        insert(CUSTOMERS),
        [{"code": c, "name": f"Customer {c}", "kind": "enterprise"} for c in codes_],
    )


def add_products(conn: Connection, *codes_: str) -> None:
    """Products inserted directly."""
    conn.execute(insert(PRODUCTS), [{"code": c, "name": f"Product {c}"} for c in codes_])


def read_rejects(path: Path) -> list[list[str]]:
    """The rejects file as rows of text, header first."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def day(text: str) -> dt.date:
    """A date from ISO text, to keep expected rows short."""
    return dt.date.fromisoformat(text)
