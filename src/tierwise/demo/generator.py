"""The demo data generator: a realistic, reproducible company history, written into an empty DB."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, Table, func, select, text

from tierwise.customers.models import (
    Consent,
    Contact,
    Customer,
    Interaction,
    ProfileEntry,
    Referral,
)
from tierwise.customers.surveys import Survey
from tierwise.demo.activity import make_consents, make_interactions, make_profile, make_referrals
from tierwise.demo.company import make_products, make_staff
from tierwise.demo.customers import Population
from tierwise.demo.orders import History, make_orders
from tierwise.demo.surveys import make_surveys
from tierwise.demo.world import Rows, World, money
from tierwise.organisation.models import Staff
from tierwise.sales.models import Order, OrderLine, Product

Progress = Callable[[str, int, int], None]

# Parents before children, so foreign keys hold at every insert.
TABLES: tuple[Table, ...] = tuple(
    m.__table__
    for m in (
        Staff,
        Product,
        Customer,
        Contact,
        Order,
        OrderLine,
        Interaction,
        Referral,
        ProfileEntry,
        Consent,
        Survey,
    )
)
CHUNK_CUSTOMERS = 1_000  # customers generated and inserted together: bounds memory at any size


@dataclass(frozen=True)
class DemoSummary:
    """What was generated; `customers` counts every row of the table, prospects included."""

    staff: int
    customers: int
    prospects: int
    contacts: int
    products: int
    orders: int  # return orders included
    order_lines: int  # return lines included
    returns: int  # return orders
    interactions: int
    referrals: int
    profile_entries: int
    consents: int
    surveys: int
    revenue: Decimal  # net of returns
    profit: Decimal  # revenue less standard cost


def generate(
    connection: Connection,
    customers: int = 2000,
    seed: int = 42,
    as_of: dt.date = dt.date(2026, 11, 1),
    progress: Progress | None = None,
) -> DemoSummary:
    """Fill an empty, migrated database; the caller's transaction decides whether it stays."""
    if customers < 1:
        raise ValueError(f"customers must be at least 1, got {customers}")
    _refuse_if_not_empty(connection)
    report = progress or (lambda stage, done, total: None)
    world = World(seed, as_of)
    rows = Rows(TABLES)
    report("staff and products", 0, 1)
    staffing = make_staff(world, rows, customers)
    products = make_products(world, rows)
    rows.flush(connection)
    report("staff and products", 1, 1)
    population = Population(world, customers, staffing, products)
    revenue = profit = returns = prospects = 0
    report("customers", 0, customers)
    for cid in range(1, customers + 1):
        history, prospect = _customer(world, population, rows, cid)
        revenue += history.revenue
        profit += history.profit
        returns += history.returns
        prospects += prospect
        if cid % CHUNK_CUSTOMERS == 0 or cid == customers:
            rows.flush(connection)
            report("customers", cid, customers)
    _advance_sequences(connection)
    count = world.count
    return DemoSummary(
        staff=count("staff"),
        customers=customers,
        prospects=prospects,
        contacts=count("contacts"),
        products=count("products"),
        orders=count("orders"),
        order_lines=count("order_lines"),
        returns=returns,
        interactions=count("interactions"),
        referrals=count("referrals"),
        profile_entries=count("profile_entries"),
        consents=count("consents"),
        surveys=count("surveys"),
        revenue=money(revenue),
        profit=money(profit),
    )


def _customer(world: World, population: Population, rows: Rows, cid: int) -> tuple[History, bool]:
    """Queue every row of one customer; parents go first when the rows are flushed."""
    plan = population.plan(cid)
    stamp = world.moment(plan.created)
    if plan.enterprise:
        population.contacts(plan, rows, stamp)
    history = make_orders(world, plan, rows)
    last_contact = make_interactions(world, plan, history, rows)
    row = population.row(plan, stamp, history.last_order, last_contact)
    rows.add("customers", row)
    make_referrals(world, plan, rows)
    make_profile(world, plan, rows, row["industry"], plan.value >= population.v90)
    make_consents(world, plan, history, rows)
    make_surveys(world, plan, history, rows)
    return history, plan.prospect


def _refuse_if_not_empty(connection: Connection) -> None:
    """The generator assigns every id itself, so it only writes into empty tables."""
    occupied = [
        t.name
        for t in TABLES
        if connection.execute(
            select(func.count()).select_from(select(t.c.id).limit(1).subquery())
        ).scalar_one()
    ]
    if occupied:
        raise ValueError(
            "demo data goes only into an empty database, but these tables already hold rows: "
            + ", ".join(occupied)
        )


def _advance_sequences(connection: Connection) -> None:
    """PostgreSQL's id sequences do not see explicit ids; move them past what we inserted
    (customers take their ids from the loop, not from the world, so read the tables)."""
    if connection.dialect.name != "postgresql":
        return
    for table in TABLES:
        if "id" in table.c:  # setval of an empty table's NULL maximum leaves the sequence alone
            highest = f"(SELECT max(id) FROM {table.name})"
            connection.execute(
                text(f"SELECT setval(pg_get_serial_sequence(:t, 'id'), {highest})"),
                {"t": table.name},
            )
