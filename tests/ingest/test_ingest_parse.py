"""Parsing cells of import files into typed values, without a database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pytest

from tierwise.customers.choices import CustomerStatus
from tierwise.ingest.columns import Column, Kind
from tierwise.ingest.errors import ErrorLog, RowError
from tierwise.ingest.parse import BatchParser, expected_text

DATE = Column("day", "日期", Kind.DATE)
MONEY = Column("amount", "金额", Kind.DECIMAL)
PRICE = Column("price", "价格", Kind.DECIMAL, non_negative=True)
QUANTITY = Column("quantity", "数量", Kind.DECIMAL, scale=3)
SHARE = Column("growth", "增长率", Kind.DECIMAL, scale=4, percent=True)
COUNT = Column("capacity", "容量", Kind.INTEGER, non_negative=True)
DELTA = Column("delta", "差", Kind.INTEGER)
FLAG = Column("active", "在职", Kind.BOOL)
STATUS = Column("status", "状态", Kind.CHOICE, choice=CustomerStatus)
CODE = Column("code", "编码", required=True, max_length=5)


def parse(
    column: Column, cells: list[str], rows: list[int] | None = None
) -> tuple[list[object], list[bool], list[RowError]]:
    """Parse one column of text cells; return its values, the bad-row mask and the errors."""
    numbers = rows or list(range(2, 2 + len(cells)))
    parser = BatchParser("f.csv", [column], {column.name: 0})
    batch = pa.RecordBatch.from_arrays([pa.array(cells, pa.string())], names=["c0"])
    log = ErrorLog()
    typed, bad = parser.parse(pa.array(numbers, pa.int64()), batch, log)
    assert typed.column("row_no").to_pylist() == numbers
    return typed.column(column.name).to_pylist(), bad.to_pylist(), log.errors


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2024-03-31", dt.date(2024, 3, 31)),
        ("2024/3/5", dt.date(2024, 3, 5)),
        ("2024.03.05", dt.date(2024, 3, 5)),
        ("2024年3月5日", dt.date(2024, 3, 5)),
        ("2024-02-29", dt.date(2024, 2, 29)),
        ("2024-03-31 23:59:59", dt.date(2024, 3, 31)),
        ("2024-03-31T08:00", dt.date(2024, 3, 31)),
        ("2024-02-29 00:00:00.250000", dt.date(2024, 2, 29)),
        ("2024年2月29日 9:05", dt.date(2024, 2, 29)),
        (" 2024-03-31 ", dt.date(2024, 3, 31)),
    ],
)
def test_dates_in_the_forms_people_write(text: str, value: dt.date) -> None:
    assert parse(DATE, [text]) == ([value], [False], [])


@pytest.mark.parametrize(
    "text",
    [
        "2024-02-30",
        "2023-02-29",
        "2024-13-01",
        "2024-00-10",
        "yesterday",
        "31/03/2024",
        "20240331",
        "2024-02-29 25:61:00",
        "2024-02-29 10:00:00 garbage",
        "2024-02-29 10:60",
        "2024-02-29T",
        "2024-02-29 noon",
    ],
)
def test_impossible_or_unreadable_dates_are_errors(text: str) -> None:
    values, bad, errors = parse(DATE, ["2024-01-01", text], rows=[7, 9])
    assert values == [dt.date(2024, 1, 1), None]
    assert bad == [False, True]
    assert errors == [RowError("f.csv", 9, "day", text, "a date such as 2024-03-31")]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1234.5", Decimal("1234.50")),
        ("1,234.56", Decimal("1234.56")),
        ("￥1，234", Decimal("1234.00")),
        ("¥ 88", Decimal("88.00")),
        ("$7.10", Decimal("7.10")),
        ("-12.30", Decimal("-12.30")),
        ("+5", Decimal("5.00")),
        (".5", Decimal("0.50")),
        ("5.", Decimal("5.00")),
        ("0.005", Decimal("0.00")),  # banker's rounding to the cent
        ("0.015", Decimal("0.02")),
        ("9999999999999.99", Decimal("9999999999999.99")),  # the largest amount kept exact
    ],
)
def test_money_tolerates_separators_and_currency_signs(text: str, value: Decimal) -> None:
    values, bad, errors = parse(MONEY, [text])
    assert (values, bad, errors) == ([value], [False], [])
    assert values[0].as_tuple().exponent == -2  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "text",
    ["12,x", "abc", "1e5", "1.2.3", "--1", "0.1234567", "10000000000000", "9" * 40],
)
def test_unreadable_or_out_of_range_money_is_an_error(text: str) -> None:
    values, bad, errors = parse(MONEY, [text])
    assert (values, bad) == ([None], [True])
    assert errors == [RowError("f.csv", 2, "amount", text, "a number such as 1234.50")]


def test_non_negative_money_and_other_scales() -> None:
    assert parse(PRICE, ["-0.01", "0"])[2] == [
        RowError("f.csv", 2, "price", "-0.01", "a number ≥ 0 such as 1234.50")
    ]
    assert parse(QUANTITY, ["1.2345", "-2"])[0] == [Decimal("1.234"), Decimal("-2.000")]
    values, _bad, errors = parse(SHARE, ["15%", "0.15", "12.5 %", "abc%"])
    assert values == [Decimal("0.1500"), Decimal("0.1500"), Decimal("0.1250"), None]
    assert errors == [RowError("f.csv", 5, "growth", "abc%", "a share such as 0.15 or 15%")]


@pytest.mark.parametrize("text", ["many", "1.5", "-1", "1e3", "9999999999999999"])
def test_whole_numbers_that_must_not_be_negative(text: str) -> None:
    values, bad, errors = parse(COUNT, ["12", text])
    assert (values[0], bad) == (12, [False, True])
    assert errors == [RowError("f.csv", 3, "capacity", text, "a whole number ≥ 0")]


def test_whole_numbers_may_be_negative_when_allowed() -> None:
    values, bad, errors = parse(DELTA, ["-3", "+4", "x"])
    assert (values, bad) == ([-3, 4, None], [False, False, True])
    assert errors == [RowError("f.csv", 4, "delta", "x", "a whole number")]


def test_yes_and_no_in_both_languages() -> None:
    cells = ["是", "否", "Yes", "n", "TRUE", "0", "", "maybe"]
    values, bad, errors = parse(FLAG, cells)
    assert values == [True, False, True, False, True, False, None, None]
    assert bad == [False] * 7 + [True]
    assert errors == [RowError("f.csv", 9, "active", "maybe", "yes/no (是/否)")]


def test_choices_by_key_english_label_or_chinese_label() -> None:
    values, bad, errors = parse(STATUS, ["active", "Dormant", "黑名单", "潜在客户", "", "gone"])
    assert values == ["active", "dormant", "blacklisted", "prospect", None, None]
    assert bad == [False, False, False, False, False, True]
    assert [(e.row, e.value) for e in errors] == [(7, "gone")]
    assert errors[0].expected.startswith(
        "one of prospect (潜在客户), disqualified (不合格), active (活跃)"
    )


def test_required_text_and_its_length() -> None:
    values, bad, errors = parse(CODE, [" C1 ", "", "   ", "ABCDEF", "客户编码五"])
    assert [values[i] for i in (0, 1, 2, 4)] == ["C1", None, None, "客户编码五"]
    assert bad == [False, True, True, True, False]
    assert errors == [
        RowError("f.csv", 3, "code", None, "a value (the column is required)"),
        RowError("f.csv", 4, "code", None, "a value (the column is required)"),
        RowError("f.csv", 5, "code", "ABCDEF", "text of at most 5 characters"),
    ]


@pytest.mark.parametrize("column", [DATE, MONEY, COUNT, FLAG, STATUS])
def test_empty_cells_are_null_and_fine_unless_required(column: Column) -> None:
    assert parse(column, ["", " "]) == ([None, None], [False, False], [])
    required = Column(column.name, column.zh, column.kind, required=True, choice=column.choice)
    values, bad, errors = parse(required, [""])
    assert (values, bad) == ([None], [True])
    assert errors == [RowError("f.csv", 2, column.name, None, "a value (the column is required)")]


def test_a_row_with_several_bad_cells_is_reported_once_per_cell() -> None:
    parser = BatchParser("f.csv", [CODE, DATE, MONEY], {"code": 2, "day": 0, "amount": 1})
    batch = pa.RecordBatch.from_arrays(
        [pa.array(["2024-01-01", "nope"]), pa.array(["1", "x"]), pa.array(["A", "B"])],
        names=["c0", "c1", "c2"],
    )
    log = ErrorLog()
    typed, bad = parser.parse(pa.array([2, 3], pa.int64()), batch, log)

    assert typed.to_pylist() == [
        {"row_no": 2, "code": "A", "day": dt.date(2024, 1, 1), "amount": Decimal("1.00")},
        {"row_no": 3, "code": "B", "day": None, "amount": None},
    ]
    assert bad.to_pylist() == [False, True]
    assert sorted((e.row, e.column) for e in log.errors) == [(3, "amount"), (3, "day")]
    assert log.bad_rows == {3}


def test_expected_text_and_the_error_message() -> None:
    assert expected_text(PRICE) == "a number ≥ 0 such as 1234.50"
    error = RowError("orders.csv", 12, "amount", "12,x", expected_text(MONEY))
    assert (
        str(error)
        == "orders.csv, row 12, column amount: '12,x' — expected a number such as 1234.50"
    )
