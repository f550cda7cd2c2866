"""Importing orders (lines, returns, partial files), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, select

from tierwise.customers.choices import CustomerKind
from tierwise.ingest.errors import ImportRejected, RowError
from tierwise.ingest.pipeline import WriteCounts
from tierwise.sales.importing import OrdersImport

from ..support.import_support import (
    CUSTOMERS,
    ORDERS,
    add_customers,
    add_products,
    codes,
    customer,
    day,
    load,
    order_lines,
    read_rejects,
    snapshot,
)

FULL = (
    "order_code,customer_code,order_date,product_code,quantity,amount,cost,channel,department\n"
    "O1,C1,2025-01-05,P1,2,200.00,120,online,采购部\n"
    'O1,C1,2025-01-05,P2,1.5,"1,050.5",,online,采购部\n'
    "O2,C2,2025/2/1,,,99.99,50.25,,\n"
)
FULL_LINES = [
    ("O1", "C1", day("2025-01-05"), 1, "P1", Decimal("2"), Decimal("200"), Decimal("120"), None),
    ("O1", "C1", day("2025-01-05"), 2, "P2", Decimal("1.5"), Decimal("1050.5"), None, None),
    (
        "O2",
        "C2",
        day("2025-02-01"),
        1,
        None,
        Decimal("1"),
        Decimal("99.99"),
        Decimal("50.25"),
        None,
    ),
]
UNKNOWN_CUSTOMER = "the code of a customer (import customers first, or use --create-customers)"


@pytest.fixture
def known(connection: Connection) -> None:
    """Customers C1, C2 and products P1, P2 exist."""
    add_customers(connection, "C1", "C2")
    add_products(connection, "P1", "P2")


def orders(conn: Connection) -> list[tuple[object, ...]]:
    query = select(
        ORDERS.c.code, ORDERS.c.order_date, ORDERS.c.channel, ORDERS.c.department
    ).order_by(ORDERS.c.code)
    return [tuple(r) for r in conn.execute(query)]


def test_order_lines_are_written_with_every_column(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    known: None,
) -> None:
    result = load(connection, OrdersImport(), write_csv("orders.csv", FULL))

    assert result.counts == WriteCounts(inserted=3, updated=0, unchanged=0)
    assert result.rows == 3
    assert order_lines(connection) == FULL_LINES
    assert orders(connection) == [
        ("O1", day("2025-01-05"), "online", "采购部"),
        ("O2", day("2025-02-01"), None, None),
    ]


def test_chinese_headers_and_written_forms_of_dates_and_money(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    known: None,
) -> None:
    path = write_csv(
        "订单.csv",
        "订单编号,客户编码,订单日期,产品编码,数量,金额,成本,渠道,部门\n"
        'D-1,C1,2025年1月5日,P1,3,"￥1,200",900,线上,财务部\n'
        "D-2,C2,2025.03.09 14:30,P2,1,¥88.8,,,\n",
    )
    load(connection, OrdersImport(), path)

    assert order_lines(connection) == [
        ("D-1", "C1", day("2025-01-05"), 1, "P1", Decimal(3), Decimal(1200), Decimal(900), None),
        ("D-2", "C2", day("2025-03-09"), 1, "P2", Decimal(1), Decimal("88.80"), None, None),
    ]
    assert orders(connection)[0] == ("D-1", day("2025-01-05"), "线上", "财务部")


def test_orders_with_only_customer_date_and_amount(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    add_customers(connection, "C1", "C2")
    path = write_csv(
        "sales.csv",
        "客户编码,订单日期,金额\n"
        "C1,2025-01-05,100\n"
        "C1,2025-01-05,50.5\n"
        "C2,2025-01-05,10\n"
        "C1,2025-01-06,7\n",
    )
    result = load(connection, OrdersImport(), path)

    assert result.counts == WriteCounts(inserted=4, updated=0, unchanged=0)
    one = Decimal(1)
    assert order_lines(connection) == [
        ("C1@2025-01-05", "C1", day("2025-01-05"), 1, None, one, Decimal(100), None, None),
        ("C1@2025-01-05", "C1", day("2025-01-05"), 2, None, one, Decimal("50.5"), None, None),
        ("C1@2025-01-06", "C1", day("2025-01-06"), 1, None, one, Decimal(7), None, None),
        ("C2@2025-01-05", "C2", day("2025-01-05"), 1, None, one, Decimal(10), None, None),
    ]

    before = snapshot(connection)
    again = load(connection, OrdersImport(), path)
    assert again.counts == WriteCounts(inserted=0, updated=0, unchanged=4)
    assert snapshot(connection) == before


def test_reimporting_the_same_orders_changes_nothing(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    known: None,
) -> None:
    path = write_csv("orders.csv", FULL)
    load(connection, OrdersImport(), path)
    before = snapshot(connection)

    again = load(connection, OrdersImport(), path)

    assert again.counts == WriteCounts(inserted=0, updated=0, unchanged=3)
    assert snapshot(connection) == before


def test_a_changed_line_is_updated(connection: Connection, write_csv, known: None) -> None:  # type: ignore[no-untyped-def]
    load(connection, OrdersImport(), write_csv("orders.csv", FULL))
    changed = FULL.replace("O2,C2,2025/2/1,,,99.99,50.25", "O2,C2,2025/2/1,,,89.99,50.25")

    result = load(connection, OrdersImport(), write_csv("changed.csv", changed))

    assert result.counts == WriteCounts(inserted=0, updated=1, unchanged=2)
    assert order_lines(connection) == [
        *FULL_LINES[:2],
        (
            "O2",
            "C2",
            day("2025-02-01"),
            1,
            None,
            Decimal(1),
            Decimal("89.99"),
            Decimal("50.25"),
            None,
        ),
    ]


def test_an_order_reimported_with_fewer_lines_loses_the_stale_ones(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    known: None,
) -> None:
    header = "order_code,customer_code,order_date,product_code,amount\n"
    load(
        connection,
        OrdersImport(),
        write_csv(
            "three.csv",
            header
            + "O1,C1,2025-01-05,P1,10\nO1,C1,2025-01-05,P2,20\nO1,C1,2025-01-05,P1,30\n"
            + "O2,C2,2025-01-06,P1,40\n",
        ),
    )

    result = load(
        connection,
        OrdersImport(),
        write_csv("one.csv", header + "O1,C1,2025-01-05,P2,25\n"),
    )

    assert result.counts == WriteCounts(inserted=0, updated=1, unchanged=0)
    assert [(r[0], r[3], r[4], r[6]) for r in order_lines(connection)] == [
        ("O1", 1, "P2", Decimal(25)),
        ("O2", 1, "P1", Decimal(40)),  # orders absent from the file are left alone
    ]


def test_unknown_customer_is_an_error_and_nothing_is_written(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    known: None,
) -> None:
    before = snapshot(connection)
    path = write_csv(
        "orders.csv",
        "customer_code,order_date,amount\nC1,2025-01-05,10\nC9,2025-01-06,20\n",
    )

    with pytest.raises(ImportRejected) as caught:
        load(connection, OrdersImport(), path)

    assert caught.value.log.errors == [
        RowError("orders.csv", 3, "customer_code", "C9", UNKNOWN_CUSTOMER)
    ]
    assert snapshot(connection) == before


def test_create_customers_adds_the_missing_ones(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    add_customers(connection, "C1")
    c1 = customer(connection, "C1")
    path = write_csv(
        "orders.csv",
        "customer_code,order_date,amount\n"
        "C1,2025-01-05,10\n"
        "N2,2025-03-01,20\n"
        "N1,2025-02-01,5\n"
        "N2,2025-01-15,30\n",
    )

    result = load(
        connection,
        OrdersImport(new_customer_kind=CustomerKind.INDIVIDUAL),
        path,
        create_customers=True,
    )

    assert result.counts == WriteCounts(inserted=4, updated=0, unchanged=0, created_customers=2)
    assert codes(connection, CUSTOMERS) == ["C1", "N1", "N2"]
    n2 = customer(connection, "N2")
    assert (n2["name"], n2["kind"], n2["status"], n2["acquired_on"], n2["version"]) == (
        "N2",
        "individual",
        "active",
        day("2025-01-15"),
        1,
    )
    assert customer(connection, "C1") == c1
    assert [(r[0], r[1]) for r in order_lines(connection)] == [
        ("C1@2025-01-05", "C1"),
        ("N1@2025-02-01", "N1"),
        ("N2@2025-01-15", "N2"),
        ("N2@2025-03-01", "N2"),
    ]

    again = load(connection, OrdersImport(), path, create_customers=True)
    assert again.counts == WriteCounts(inserted=0, updated=0, unchanged=4, created_customers=0)


def test_unknown_product_is_an_error(connection: Connection, write_csv, known: None) -> None:  # type: ignore[no-untyped-def]
    before = snapshot(connection)
    path = write_csv(
        "orders.csv",
        "customer_code,order_date,product_code,amount\nC1,2025-01-05,P1,10\nC1,2025-01-05,P7,5\n",
    )
    with pytest.raises(ImportRejected) as caught:
        load(connection, OrdersImport(), path)
    assert caught.value.log.errors == [
        RowError(
            "orders.csv", 3, "product_code", "P7", "the code of a product (import products first)"
        )
    ]
    assert snapshot(connection) == before


def test_bad_dates_and_amounts_name_row_column_and_value(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    known: None,
) -> None:
    before = snapshot(connection)
    path = write_csv(
        "orders.csv",
        'customer_code,order_date,amount\nC1,2024-02-30,10\nC1,2025-01-05,"12,x"\nC1,yesterday,\n',
    )
    with pytest.raises(ImportRejected) as caught:
        load(connection, OrdersImport(), path)

    date, number = "a date such as 2024-03-31", "a number such as 1234.50"
    assert sorted(caught.value.log.errors, key=lambda e: (e.row, e.column)) == [
        RowError("orders.csv", 2, "order_date", "2024-02-30", date),
        RowError("orders.csv", 3, "amount", "12,x", number),
        RowError("orders.csv", 4, "amount", None, "a value (the column is required)"),
        RowError("orders.csv", 4, "order_date", "yesterday", date),
    ]
    assert snapshot(connection) == before


def test_negative_lines_without_a_returned_order_are_errors(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    known: None,
) -> None:
    before = snapshot(connection)
    path = write_csv(
        "orders.csv",
        "customer_code,order_date,quantity,amount\n"
        "C1,2025-01-05,2,10\n"
        "C1,2025-01-05,-1,10\n"
        "C2,2025-01-05,1,-10\n",
    )
    with pytest.raises(ImportRejected) as caught:
        load(connection, OrdersImport(), path)

    errors = caught.value.log.errors
    assert [(e.file, e.row, e.column) for e in errors] == [
        ("orders.csv", 3, "quantity"),
        ("orders.csv", 4, "amount"),
    ]
    assert [Decimal(e.value or "") for e in errors] == [Decimal(-1), Decimal(-10)]
    assert {e.expected for e in errors} == {
        "a positive value; a return is negative and names returns_order_code"
    }
    assert snapshot(connection) == before


def test_a_return_links_to_the_order_it_reverses(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    known: None,
) -> None:
    header = "order_code,customer_code,order_date,product_code,quantity,amount,returns_order_code\n"
    load(
        connection, OrdersImport(), write_csv("sales.csv", header + "O1,C1,2025-01-05,P1,2,200,\n")
    )

    path = write_csv(
        "returns.csv",
        header
        + "R1,C1,2025-01-20,P1,-1,-100,O1\n"  # returns an order already stored
        + "O2,C2,2025-01-21,P2,3,30,\n"
        + "R2,C2,2025-01-22,P2,-3,-30,O2\n",  # returns an order of the same file
    )
    result = load(connection, OrdersImport(), path)

    assert result.counts == WriteCounts(inserted=3, updated=0, unchanged=0)
    assert [(r[0], r[5], r[6], r[8]) for r in order_lines(connection)] == [
        ("O1", Decimal(2), Decimal(200), None),
        ("O2", Decimal(3), Decimal(30), None),
        ("R1", Decimal(-1), Decimal(-100), "O1"),
        ("R2", Decimal(-3), Decimal(-30), "O2"),
    ]
    before = snapshot(connection)
    assert load(connection, OrdersImport(), path).counts == WriteCounts(0, 0, 3)
    assert snapshot(connection) == before


def test_a_return_without_quantity_takes_back_one_unit(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    known: None,
) -> None:
    header = "order_code,customer_code,order_date,amount,returns_order_code\n"
    path = write_csv("r.csv", header + "O1,C1,2025-01-05,200,\nR1,C1,2025-01-20,-100,O1\n")
    load(connection, OrdersImport(), path)
    assert [(r[0], r[5]) for r in order_lines(connection)] == [
        ("O1", Decimal(1)),
        ("R1", Decimal(-1)),
    ]


def test_a_positive_return_line_and_an_unknown_returned_order_are_errors(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    known: None,
) -> None:
    load(
        connection,
        OrdersImport(),
        write_csv("sales.csv", "order_code,customer_code,order_date,amount\nO1,C1,2025-01-05,9\n"),
    )
    before = snapshot(connection)
    path = write_csv(
        "returns.csv",
        "order_code,customer_code,order_date,quantity,amount,returns_order_code\n"
        "R1,C1,2025-01-20,1,5,O1\n"
        "R2,C1,2025-01-21,-1,-5,O404\n",
    )
    with pytest.raises(ImportRejected) as caught:
        load(connection, OrdersImport(), path)

    errors = sorted(caught.value.log.errors, key=lambda e: (e.row, e.column))
    assert [(e.row, e.column, e.expected) for e in errors] == [
        (2, "amount", "a negative value on a return line"),
        (2, "quantity", "a negative value on a return line"),
        (3, "returns_order_code", "the code of an order in the database or this file"),
    ]
    assert [Decimal(e.value or "") for e in errors[:2]] == [Decimal(5), Decimal(1)]
    assert errors[2].value == "O404"
    assert snapshot(connection) == before


def test_an_order_code_shared_by_two_customers_is_an_error(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    known: None,
) -> None:
    before = snapshot(connection)
    path = write_csv(
        "orders.csv",
        "order_code,customer_code,order_date,amount\n"
        "O1,C1,2025-01-05,10\n"
        "O2,C2,2025-01-05,10\n"
        "O1,C1,2025-01-05,20\n"
        "O1,C2,2025-01-05,30\n",
    )
    with pytest.raises(ImportRejected) as caught:
        load(connection, OrdersImport(), path)

    assert caught.value.log.errors == [
        RowError(
            "orders.csv",
            5,
            "customer_code",
            "C2",
            "the same customer as the first line of order O1",
        )
    ]
    assert snapshot(connection) == before


def test_skip_invalid_leaves_out_whole_orders_and_writes_rejects(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    known: None,
) -> None:
    path = write_csv(
        "orders.csv",
        "order_code,customer_code,order_date,product_code,amount,note\n"
        "O1,C1,2025-01-05,P1,100,a\n"  # same order as a bad line
        'O1,C1,2025-01-05,P2,"12,x",b\n'  # bad amount
        'O2,C1,2025/1/6,P1,"1,000",c\n'  # good
        "O3,C2,2025-01-07,P1,70,d\n"  # same order as a line naming an unknown product
        "O3,C2,2025-01-07,P9,30,e\n"  # unknown product
        "O4,C9,2025-01-08,P1,5,f\n",  # unknown customer
    )

    result = load(connection, OrdersImport(), path, skip_invalid=True)

    assert result.counts == WriteCounts(inserted=1, updated=0, unchanged=0)
    assert order_lines(connection) == [
        ("O2", "C1", day("2025-01-06"), 1, "P1", Decimal(1), Decimal(1000), None, None),
    ]
    assert result.rejected == 5
    assert result.rejects_file == path.with_name("orders.csv.rejects.csv")
    errors = sorted(result.errors, key=lambda e: e.row)
    assert [(e.row, e.column) for e in errors] == [
        (3, "amount"),
        (6, "product_code"),
        (7, "customer_code"),
    ]
    rows = read_rejects(path.with_name("orders.csv.rejects.csv"))
    assert rows[0] == [
        "row",
        "errors",
        "order_code",
        "customer_code",
        "order_date",
        "product_code",
        "amount",
        "note",
    ]
    group = "another row of the same group was rejected"
    assert sorted(rows[1:], key=lambda r: int(r[0])) == [
        ["2", group, "O1", "C1", "2025-01-05", "P1", "100", "a"],
        ["3", str(errors[0]), "O1", "C1", "2025-01-05", "P2", "12,x", "b"],
        ["5", group, "O3", "C2", "2025-01-07", "P1", "70", "d"],
        ["6", str(errors[1]), "O3", "C2", "2025-01-07", "P9", "30", "e"],
        ["7", str(errors[2]), "O4", "C9", "2025-01-08", "P1", "5", "f"],
    ]


def test_skip_invalid_cascades_over_derived_order_codes(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    known: None,
) -> None:
    path = write_csv(
        "orders.csv",
        "customer_code,order_date,amount\n"
        "C1,2025-01-05,10\n"
        "C1,2025-01-05,abc\n"  # bad: the whole of C1's order of that day is left out
        "C1,2025-01-06,30\n"
        "C2,2025-01-05,40\n",
    )
    result = load(connection, OrdersImport(), path, skip_invalid=True)

    assert result.counts.inserted == 2
    assert [(r[0], r[6]) for r in order_lines(connection)] == [
        ("C1@2025-01-06", Decimal(30)),
        ("C2@2025-01-05", Decimal(40)),
    ]
    assert sorted(int(r[0]) for r in read_rejects(result.rejects_file or Path())[1:]) == [2, 3]


def test_skip_invalid_with_every_row_bad_writes_nothing(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    known: None,
) -> None:
    before = snapshot(connection)
    path = write_csv(
        "orders.csv",
        "customer_code,order_date,amount\nC9,2025-01-05,10\nC1,2025-01-05,x\n",
    )
    result = load(connection, OrdersImport(), path, skip_invalid=True)

    assert result.counts == WriteCounts(inserted=0, updated=0, unchanged=0)
    assert (result.rows, result.rejected) == (2, 2)
    assert snapshot(connection) == before


# --- property: amounts and dates survive the trip through CSV and the database exactly ---------

AMOUNTS = st.decimals(
    min_value=Decimal("0.00"),
    max_value=Decimal("9999999999999.99"),
    places=2,
    allow_nan=False,
    allow_infinity=False,
)
DATES_UNTIL = dt.date(2100, 12, 31)  # later than the settings allow by default, as an operator may
DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=DATES_UNTIL)


def _written(amount: Decimal, style: int) -> str:
    """The amount as a person or a spreadsheet might write it."""
    if style == 0:
        return str(amount)
    if style == 1:
        return f'"{amount:,.2f}"'
    if style == 2:
        return f"¥{amount.normalize():f}"
    return f"{amount:.2f}"


def _date_text(date: dt.date, style: int) -> str:
    if style == 0:
        return date.isoformat()
    if style == 1:
        return f"{date.year}/{date.month}/{date.day}"
    if style == 2:
        return f"{date.year}年{date.month}月{date.day}日"
    return f"{date.isoformat()} 08:30:00"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    lines=st.lists(
        st.tuples(DATES, AMOUNTS, st.integers(0, 3), st.integers(0, 3)), min_size=1, max_size=8
    )
)
def test_amounts_and_dates_round_trip_exactly(
    connection: Connection,
    tmp_path: Path,
    lines: list[tuple[dt.date, Decimal, int, int]],
) -> None:
    path = tmp_path / "orders.csv"
    body = "".join(
        f"O{i},C1,{_date_text(date, ds)},{_written(amount, ms)}\n"
        for i, (date, amount, ds, ms) in enumerate(lines)
    )
    path.write_text("order_code,customer_code,order_date,amount\n" + body, encoding="utf-8")
    savepoint = connection.begin_nested()
    try:
        add_customers(connection, "C1")
        result = load(connection, OrdersImport(), path, latest_order_date=DATES_UNTIL)
        stored = {r[0]: (r[2], r[6]) for r in order_lines(connection)}
    finally:
        savepoint.rollback()

    assert result.counts.inserted == len(lines)
    assert stored == {f"O{i}": (date, amount) for i, (date, amount, _, _) in enumerate(lines)}
    assert all(amount.as_tuple().exponent == -2 for _, amount in stored.values())
