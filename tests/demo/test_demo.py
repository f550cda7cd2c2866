"""The demo generator: reproducible, realistic enough for the analyses, safe to point at a DB."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import Connection, Engine, func, insert, make_url, select, text

from tierwise.customers.models import Customer, ProfileEntry
from tierwise.customers.profile import ProfileSection, validate_section
from tierwise.db import migrate
from tierwise.db.session import make_engine
from tierwise.demo import DemoSummary, generate
from tierwise.demo.generator import TABLES
from tierwise.sales.models import Order, OrderLine

from ..support.postgres import IN_CI, PG_URL, prepare_postgres

SIZE = 400
AS_OF = dt.date(2026, 11, 1)
customers_t, orders_t, lines_t = Customer.__table__, Order.__table__, OrderLine.__table__
SECTIONS = {section.value: section for section in ProfileSection}


def _fresh(tmp_path_factory: pytest.TempPathFactory, name: str) -> Engine:
    url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'demo.db'}"
    migrate.upgrade(url)
    return make_engine(url)


def _generated(
    tmp_path_factory: pytest.TempPathFactory, name: str, seed: int
) -> tuple[Engine, DemoSummary]:
    engine = _fresh(tmp_path_factory, name)
    with engine.begin() as conn:
        summary = generate(conn, customers=SIZE, seed=seed, as_of=AS_OF)
    return engine, summary


def _canonical(value: object) -> str:
    """A text form equal across SQLite and PostgreSQL (Decimal scale, JSON key order)."""
    if isinstance(value, Decimal):
        return f"{value:.3f}"
    if isinstance(value, dict):
        return repr(sorted(value.items()))
    return repr(value)


def checksum(conn: Connection, tables: tuple[str, ...] | None = None) -> str:
    """A digest of every column of every row of the demo tables, in id order."""
    digest = hashlib.sha256()
    for table in TABLES:
        if tables is not None and table.name not in tables:
            continue
        for row in conn.execute(select(table).order_by(table.c.id)):
            digest.update("|".join(_canonical(v) for v in row).encode())
    return digest.hexdigest()


def revenue_by_customer(conn: Connection) -> dict[int, tuple[Decimal, Decimal]]:
    """Net revenue and profit per customer that has orders."""
    query = (
        select(
            orders_t.c.customer_id,
            func.sum(lines_t.c.amount),
            func.sum(lines_t.c.amount - lines_t.c.cost),
        )
        .join(lines_t, lines_t.c.order_id == orders_t.c.id)
        .group_by(orders_t.c.customer_id)
    )
    return {cid: (Decimal(rev), Decimal(profit)) for cid, rev, profit in conn.execute(query)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, DemoSummary]]:
    engine, summary = _generated(tmp_path_factory, "demo", seed=42)
    yield engine, summary
    engine.dispose()


@pytest.fixture
def conn(demo: tuple[Engine, DemoSummary]) -> Iterator[Connection]:
    with demo[0].connect() as connection:
        yield connection


def test_same_seed_gives_identical_rows(
    demo: tuple[Engine, DemoSummary], tmp_path_factory: pytest.TempPathFactory
) -> None:
    again, summary = _generated(tmp_path_factory, "again", seed=42)
    assert summary == demo[1]
    with demo[0].connect() as first, again.connect() as second:
        assert checksum(first) == checksum(second)
    again.dispose()


def test_another_seed_gives_other_orders(
    demo: tuple[Engine, DemoSummary], tmp_path_factory: pytest.TempPathFactory
) -> None:
    other, summary = _generated(tmp_path_factory, "other", seed=43)
    assert summary != demo[1]
    with demo[0].connect() as first, other.connect() as second:
        assert checksum(first, ("orders", "order_lines")) != checksum(
            second, ("orders", "order_lines")
        )
    other.dispose()


def test_summary_counts_what_is_in_the_tables(
    demo: tuple[Engine, DemoSummary], conn: Connection
) -> None:
    summary = demo[1]
    for table in TABLES:
        assert conn.execute(select(func.count()).select_from(table)).scalar_one() == getattr(
            summary, table.name
        ), table.name
    assert summary.customers == SIZE
    assert (
        summary.prospects
        == conn.execute(select(func.count()).where(customers_t.c.status == "prospect")).scalar_one()
    )
    totals = revenue_by_customer(conn).values()
    assert sum(r for r, _ in totals) == summary.revenue
    assert sum(p for _, p in totals) == summary.profit
    buyers = SIZE - summary.prospects
    assert 10 <= summary.order_lines / buyers <= 40


def test_revenue_follows_the_80_20_rule(conn: Connection) -> None:
    revenues = sorted((r for r, _ in revenue_by_customer(conn).values()), reverse=True)
    top = revenues[: len(revenues) // 5]
    assert sum(top) > Decimal("0.6") * sum(revenues)


def test_some_customers_lose_money(conn: Connection) -> None:
    profits = [p for _, p in revenue_by_customer(conn).values()]
    losers = [p for p in profits if p < 0]
    assert losers
    assert len(losers) < len(profits) / 2
    assert sum(profits) > 0


def test_prospects_have_factors_and_no_orders(conn: Connection) -> None:
    prospects = conn.execute(select(customers_t).where(customers_t.c.status == "prospect")).all()
    assert prospects
    assert all(p.potential_demand is not None and p.acquired_on is None for p in prospects)
    enterprises = [p for p in prospects if p.kind == "enterprise"]
    assert enterprises
    assert all(
        None not in (p.enterprise_nature, p.asset_scale, p.annual_revenue, p.growth_rate)
        for p in enterprises
    )
    ordered = conn.execute(
        select(func.count())
        .select_from(orders_t.join(customers_t, customers_t.c.id == orders_t.c.customer_id))
        .where(customers_t.c.status == "prospect")
    ).scalar_one()
    assert ordered == 0


def test_returns_are_negative_and_reverse_an_earlier_order_of_the_same_customer(
    conn: Connection,
) -> None:
    original = orders_t.alias("original")
    returned = conn.execute(
        select(
            lines_t,
            orders_t.c.customer_id,
            orders_t.c.order_date,
            original.c.customer_id.label("original_customer"),
            original.c.order_date.label("original_date"),
        )
        .join(orders_t, orders_t.c.id == lines_t.c.order_id)
        .join(original, original.c.id == lines_t.c.returns_order_id)
    ).all()
    assert returned
    for line in returned:
        assert line.quantity < 0 and line.amount < 0 and line.cost < 0
        assert line.customer_id == line.original_customer
        assert line.original_date < line.order_date < AS_OF
        sold = conn.execute(
            select(func.sum(lines_t.c.quantity)).where(
                lines_t.c.order_id == line.returns_order_id,
                lines_t.c.product_id == line.product_id,
            )
        ).scalar_one()
        assert sold is not None and -line.quantity <= sold
    total = conn.execute(select(func.count()).select_from(lines_t)).scalar_one()
    assert 0.01 < len(returned) / total < 0.06


def test_status_agrees_with_the_orders(conn: Connection) -> None:
    last = (
        select(orders_t.c.customer_id, func.max(orders_t.c.order_date).label("last"))
        .group_by(orders_t.c.customer_id)
        .subquery()
    )
    rows = conn.execute(
        select(customers_t.c.status, last.c.last).outerjoin(
            last, last.c.customer_id == customers_t.c.id
        )
    ).all()
    statuses = {status for status, _ in rows}
    assert {"active", "dormant", "churned"} <= statuses
    for status, when in rows:
        assert (when is None) == (status == "prospect")
        if status == "churned":
            assert when < AS_OF - dt.timedelta(days=365)
        elif status == "dormant":
            assert AS_OF - dt.timedelta(days=365) <= when < AS_OF - dt.timedelta(days=180)
        elif status == "active":
            assert when >= AS_OF - dt.timedelta(days=180)


def test_time_stops_before_as_of(conn: Connection) -> None:
    limit = dt.datetime(AS_OF.year, AS_OF.month, AS_OF.day, tzinfo=dt.UTC)
    latest_contact = conn.execute(select(func.max(customers_t.c.last_contact_at))).scalar_one()
    assert latest_contact.tzinfo is not None and latest_contact < limit
    assert conn.execute(select(func.max(orders_t.c.order_date))).scalar_one() < AS_OF
    assert conn.execute(select(func.max(customers_t.c.created_at))).scalar_one() < limit


def test_referrals_point_back_in_time(conn: Connection) -> None:
    referred = conn.execute(
        select(customers_t.c.id, customers_t.c.referred_by_id).where(
            customers_t.c.referred_by_id.is_not(None)
        )
    ).all()
    assert referred
    assert all(referrer < cid for cid, referrer in referred)
    counts = conn.execute(
        text("SELECT referrer_id, count(*) FROM referrals GROUP BY referrer_id")
    ).all()
    assert max(n for _, n in counts) >= 2


def test_profile_entries_are_valid_sections(conn: Connection) -> None:
    entries = conn.execute(select(ProfileEntry.__table__)).all()
    assert {e.section for e in entries} >= {"basic", "business", "preferences"}
    for entry in entries:
        section = SECTIONS[entry.section]
        assert validate_section(section, entry.data) == entry.data


def test_refuses_a_database_that_has_customers(tmp_path_factory: pytest.TempPathFactory) -> None:
    engine = _fresh(tmp_path_factory, "occupied")
    stamp = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            insert(Customer).values(
                id=1,
                code="X1",
                name="已有客户",
                kind="individual",
                status="active",
                channel="direct",
                version=1,
                created_at=stamp,
                updated_at=stamp,
            )
        )
    with engine.begin() as conn:
        before = checksum(conn)
        with pytest.raises(ValueError, match="customers"):
            generate(conn, customers=50)
        assert checksum(conn) == before
        assert conn.execute(text("SELECT count(*) FROM staff")).scalar_one() == 0
    engine.dispose()


def test_reports_progress_to_the_end(tmp_path_factory: pytest.TempPathFactory) -> None:
    engine = _fresh(tmp_path_factory, "progress")
    seen: list[tuple[str, int, int]] = []
    with engine.begin() as conn:
        generate(conn, customers=30, seed=1, progress=lambda *call: seen.append(call))
    assert ("customers", 30, 30) in seen
    assert all(done <= total for _, done, total in seen)
    engine.dispose()


@pytest.mark.postgres
def test_postgres_gets_the_same_rows_and_usable_sequences(
    demo: tuple[Engine, DemoSummary], tmp_path_factory: pytest.TempPathFactory
) -> None:
    url = make_url(PG_URL).set(database="tierwise_test_demo").render_as_string(hide_password=False)
    reason = prepare_postgres(url)
    if reason:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI: {reason}")
        pytest.skip(reason)
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            summary = generate(conn, customers=SIZE, seed=42, as_of=AS_OF)
        assert summary == demo[1]
        with engine.connect() as pg, demo[0].connect() as lite:
            assert checksum(pg) == checksum(lite)
        with engine.begin() as conn:
            new_id = conn.execute(
                insert(Order)
                .values(code="NEW", customer_id=1, order_date=AS_OF)
                .returning(Order.id)
            ).scalar_one()
        assert new_id == summary.orders + 1
    finally:
        engine.dispose()
