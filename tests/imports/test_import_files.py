"""Import files as people save them: encodings, XLSX, malformed rows, rejects files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import Connection

from tierwise.customers.importing import CustomersImport
from tierwise.ingest.errors import ImportFileError, ImportRejected, RowError
from tierwise.ingest.pipeline import WriteCounts
from tierwise.sales.importing import OrdersImport

from ..support.import_support import (
    CUSTOMERS,
    add_customers,
    codes,
    customer,
    day,
    load,
    order_lines,
    read_rejects,
    snapshot,
)

CHINESE = "客户编码,客户名称,地区\nC1,华东精密制造有限公司,上海\nC2,北京远望科技,北京\n"


def _names(conn: Connection) -> list[tuple[str, str, str]]:
    return [
        (c, customer(conn, c)["name"], customer(conn, c)["region"]) for c in codes(conn, CUSTOMERS)
    ]


STORED = [("C1", "华东精密制造有限公司", "上海"), ("C2", "北京远望科技", "北京")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_chinese_text_round_trips_in_each_accepted_encoding(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    encoding: str,
) -> None:
    path = write_csv("客户.csv", CHINESE, encoding)
    result = load(connection, CustomersImport(), path)

    assert result.counts == WriteCounts(inserted=2, updated=0, unchanged=0)
    assert result.ignored_columns == []
    assert _names(connection) == STORED


def test_an_encoding_can_be_forced(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    load(
        connection, CustomersImport(), write_csv("客户.csv", CHINESE, "gb18030"), encoding="gb18030"
    )
    assert _names(connection) == STORED


def test_gb18030_text_after_a_utf8_looking_start_is_refused(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    """A file whose first megabyte is ASCII is taken for UTF-8; later GB18030 bytes must fail."""
    filler = "".join(f"A{i:06d},Name {i},\n" for i in range(60_000))
    path = write_csv("big.csv", "code,name,region\n" + filler + "C1,华东,上海\n", "gb18030")
    before = snapshot(connection)

    with pytest.raises(ImportFileError) as caught:
        load(connection, CustomersImport(), path)

    assert "as utf-8" in caught.value.message
    assert snapshot(connection) == before


@pytest.mark.parametrize(
    ("encoding", "text"),
    [
        ("utf-16", CHINESE),  # what Excel saves as "Unicode text": with a BOM
        ("utf-16-le", CHINESE),
        ("utf-16-le", "code,name\nC1,Acme\n"),  # no BOM, and every other byte is NUL
        ("utf-32", CHINESE),
    ],
)
def test_other_encodings_are_refused_clearly(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    encoding: str,
    text: str,
) -> None:
    path = write_csv("unicode.csv", text, encoding)
    with pytest.raises(ImportFileError) as caught:
        load(connection, CustomersImport(), path)
    assert caught.value.path == str(path)
    assert caught.value.message == (
        "the file is neither UTF-8 nor GB18030 text; save it as CSV UTF-8"
    )
    assert codes(connection, CUSTOMERS) == []


@pytest.mark.parametrize(
    "text",
    [CHINESE, "code,name,region\nC1,华东精密制造有限公司,上海\n"],
    ids=["chinese-headers", "english-headers"],
)
def test_gb18030_forced_as_utf8_is_refused_and_writes_nothing(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    text: str,
) -> None:
    path = write_csv("gbk.csv", text, "gb18030")
    before = snapshot(connection)

    with pytest.raises(ImportFileError) as caught:
        load(connection, CustomersImport(), path, encoding="utf-8")

    assert caught.value.path == str(path)
    assert "as utf-8" in caught.value.message
    assert snapshot(connection) == before


def test_crlf_quotes_and_newlines_inside_values(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(
        "windows.csv",
        'code,name,address\r\nC1,"Acme, Inc.","Line 1\r\nLine 2"\r\nC2,"Say ""hi""",x\r\n',
    )
    load(connection, CustomersImport(), path)

    c1, c2 = customer(connection, "C1"), customer(connection, "C2")
    assert (c1["name"], c1["address"]) == ("Acme, Inc.", "Line 1\r\nLine 2")
    assert (c2["name"], c2["address"]) == ('Say "hi"', "x")


def test_missing_file_and_missing_headers(
    connection: Connection, write_csv, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ImportFileError, match="no such file"):
        load(connection, CustomersImport(), tmp_path / "absent.csv")
    with pytest.raises(ImportFileError, match="the first line must hold the column headers"):
        load(connection, CustomersImport(), write_csv("blank.csv", "\nC1,Acme\n"))


def test_malformed_rows_keep_the_numbers_of_the_rows_after_them(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    path = write_csv(
        "customers.csv",
        "code,name,acquired_on\n"
        "C1,Acme,2024-01-01\n"
        "C2,Beta,2024-01-02,surplus\n"  # row 3: too many fields
        "C3,Gamma\n"  # row 4: too few
        "C4,Delta,2024-13-01\n",  # row 5: bad date
    )
    with pytest.raises(ImportRejected) as caught:
        load(connection, CustomersImport(), path)

    assert sorted(caught.value.log.errors, key=lambda e: e.row) == [
        RowError("customers.csv", 3, "*", None, "3 fields (found 4)"),
        RowError("customers.csv", 4, "*", None, "3 fields (found 2)"),
        RowError("customers.csv", 5, "acquired_on", "2024-13-01", "a date such as 2024-03-31"),
    ]
    assert codes(connection, CUSTOMERS) == []


def test_row_numbers_span_batches(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    rows = [f"C{i},Name {i}" for i in range(1, 41)]
    rows[5] = "C6,Name 6,surplus"  # row 7
    rows[29] = ",Nameless"  # row 31
    path = write_csv("customers.csv", "code,name\n" + "\n".join(rows) + "\n")
    with pytest.raises(ImportRejected) as caught:
        load(connection, CustomersImport(), path, batch_rows=8)
    assert sorted((e.row, e.column) for e in caught.value.log.errors) == [(7, "*"), (31, "code")]


def test_skip_invalid_customers_write_good_rows_and_reject_the_rest(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    path = write_csv(
        "客户.csv",
        "客户编码,客户名称,信用额度,备注\n"
        "C1,华东,1000,ok\n"
        "C2,华北,十万,bad amount\n"
        "C3,华南,5,surplus,field\n"
        "C1,华东二,7,duplicate\n"
        "C4,西南,,ok\n",
        "gb18030",
    )
    result = load(connection, CustomersImport(), path, skip_invalid=True)

    assert result.counts == WriteCounts(inserted=2, updated=0, unchanged=0)
    assert codes(connection, CUSTOMERS) == ["C1", "C4"]
    assert customer(connection, "C1")["name"] == "华东"
    assert result.rejected == 3
    assert result.rejects_file == path.with_name("客户.csv.rejects.csv")
    errors = {e.row: e for e in result.errors}
    assert sorted(errors) == [3, 4, 5]
    rejects = read_rejects(path.with_name("客户.csv.rejects.csv"))
    assert rejects[0] == ["row", "errors", "客户编码", "客户名称", "信用额度", "备注"]
    assert sorted(rejects[1:], key=lambda r: int(r[0])) == [
        ["3", str(errors[3]), "C2", "华北", "十万", "bad amount"],
        ["4", str(errors[4]), "C3", "华南", "5", "surplus", "field"],
        ["5", str(errors[5]), "C1", "华东二", "7", "duplicate"],
    ]
    assert "row 2 has it" in rejects[1:][[r[0] for r in rejects[1:]].index("5")][1]


def test_skip_invalid_without_bad_rows_reports_no_rejects_file(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    path = write_csv("ok.csv", "code,name\nC1,Acme\n")
    result = load(connection, CustomersImport(), path, skip_invalid=True)
    assert (result.rejected, result.rejects_file, result.errors) == (0, None, [])
    assert not path.with_name("ok.csv.rejects.csv").exists()
    assert codes(connection, CUSTOMERS) == ["C1"]


# --- XLSX -----------------------------------------------------------------------------------


EXCEL_TIME = dt.datetime(2023, 12, 31, 9, 15)  # noqa: DTZ001 (Excel cells have no time zone)


def _workbook(path: Path, rows: list[list[object]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx_customers_with_date_and_number_cells(connection: Connection, tmp_path: Path) -> None:
    path = _workbook(
        tmp_path / "客户.xlsx",
        [
            ["客户编码", "客户名称", "获客日期", "信用额度", "发展速度", "电话"],
            ["C1", "华东精密", dt.date(2024, 3, 5), 500000, 0.125, "021-5555"],
            [1002, "北京远望", EXCEL_TIME, 1234.56, "8%", 13800000000],
            ["C3", "空白", None, None, None, None],
        ],
    )
    result = load(connection, CustomersImport(), path)

    assert result.counts.inserted == 3
    got = {
        c: (r["name"], r["acquired_on"], r["credit_limit"], r["growth_rate"], r["phone"])
        for c in ("C1", "1002", "C3")
        for r in [customer(connection, c)]
    }
    assert got == {
        "C1": ("华东精密", day("2024-03-05"), Decimal("500000.00"), Decimal("0.1250"), "021-5555"),
        "1002": (
            "北京远望",
            day("2023-12-31"),
            Decimal("1234.56"),
            Decimal("0.0800"),
            "13800000000",
        ),
        "C3": ("空白", None, None, None, None),
    }


def test_xlsx_orders_and_their_errors(connection: Connection, tmp_path: Path) -> None:
    add_customers(connection, "C1")
    header = ["客户编码", "订单日期", "金额", "订单编号"]
    good = _workbook(
        tmp_path / "orders.xlsx",
        [
            header,
            ["C1", dt.datetime(2025, 1, 5), 1200, "X1"],  # noqa: DTZ001 (a date cell)
            ["C1", dt.date(2025, 1, 6), 99.9, None],
        ],
    )
    assert load(connection, OrdersImport(), good).counts.inserted == 2
    assert [(r[0], r[2], r[6]) for r in order_lines(connection)] == [
        ("C1@2025-01-06", day("2025-01-06"), Decimal("99.90")),
        ("X1", day("2025-01-05"), Decimal("1200.00")),
    ]

    before = snapshot(connection)
    bad = _workbook(
        tmp_path / "bad.xlsx",
        [header, ["C1", "2024-02-30", 5, None], ["C9", dt.date(2025, 1, 7), "12,x", None]],
    )
    with pytest.raises(ImportRejected) as caught:
        load(connection, OrdersImport(), bad)
    assert sorted(caught.value.log.errors, key=lambda e: e.row) == [
        RowError("bad.xlsx", 2, "order_date", "2024-02-30", "a date such as 2024-03-31"),
        RowError("bad.xlsx", 3, "amount", "12,x", "a number such as 1234.50"),
    ]
    assert snapshot(connection) == before


def test_xlsx_empty_rows_are_passed_over(connection: Connection, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["code", "name"])
    sheet.append(["C1", "Acme"])
    sheet.append([None, None])
    sheet.append(["C2", "Beta"])
    sheet.append(["", "Nameless"])  # row 5: a real error
    sheet.cell(row=12, column=1).font = Font(bold=True)  # formatted but empty rows at the end
    book.save(tmp_path / "gaps.xlsx")

    with pytest.raises(ImportRejected) as caught:
        load(connection, CustomersImport(), tmp_path / "gaps.xlsx")
    assert caught.value.log.errors == [
        RowError("gaps.xlsx", 5, "code", None, "a value (the column is required)")
    ]

    sheet.delete_rows(5)
    book.save(tmp_path / "gaps.xlsx")
    result = load(connection, CustomersImport(), tmp_path / "gaps.xlsx")
    assert result.counts.inserted == 2
    assert codes(connection, CUSTOMERS) == ["C1", "C2"]


def test_a_damaged_workbook_is_a_file_error(connection: Connection, tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ImportFileError, match="not a readable XLSX workbook"):
        load(connection, CustomersImport(), path)


# --- text Arrow would read without a word ---------------------------------------------------


def test_a_utf8_row_in_a_gb18030_file_is_named_and_nothing_is_written(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    """GB18030 decodes UTF-8 bytes into other characters: 正常 would be stored as 姝ｅ父."""
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        "code,name,notes\nC1,华东精密,正常\n".encode("gb18030")
        + "C2,北京远望,正常\n".encode()
        + "C3,华南,好\n".encode("gb18030")
    )
    before = snapshot(connection)

    with pytest.raises(ImportRejected) as caught:
        load(connection, CustomersImport(), path)

    assert caught.value.log.errors == [
        RowError(
            "mixed.csv",
            3,
            "name",
            "北京远望",
            "GB18030 text like the rest of the file; save the whole file as CSV UTF-8",
        )
    ]
    assert snapshot(connection) == before


UNBALANCED = (
    "a closing quote right before the next comma or line end "
    "(an unbalanced quote swallows the rows after it)"
)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (
            'code,name\nC1,Acme\nC2,"Beta Ltd\nC3,Gamma\nC4,Delta\n',
            RowError("q.csv", 3, "name", '"Beta Ltd\nC3,Gamma\nC4,Delta\n', UNBALANCED),
        ),
        (
            'code,name,region\nC1,"Acme" Ltd,East\nC2,Beta,West\n',
            RowError("q.csv", 2, "name", '"Acme" Ltd', UNBALANCED),
        ),
        (
            'code,name\nC1,"Acme\nC2,"Beta"\nC3,Gamma\n',
            RowError("q.csv", 2, "name", '"Acme\nC2,"Beta"', UNBALANCED),
        ),
    ],
    ids=["open-to-the-end", "text-after-the-closing-quote", "two-stray-quotes"],
)
def test_an_unbalanced_quote_is_named_and_nothing_is_written(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    text: str,
    error: RowError,
) -> None:
    path = write_csv("q.csv", text)
    before = snapshot(connection)

    with pytest.raises(ImportRejected) as caught:
        load(connection, CustomersImport(), path)

    assert caught.value.log.errors == [error]
    assert snapshot(connection) == before


def test_quoted_values_with_newlines_and_gb18030_text_still_import(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    path = write_csv(
        "ok.csv",
        'code,name,address\nC1,"华东, 精密","上海\n浦东"\n\nC2,"说""好""",北京\n',
        "gb18030",
    )
    load(connection, CustomersImport(), path)
    stored = [customer(connection, c) for c in ("C1", "C2")]
    assert [(c["name"], c["address"]) for c in stored] == [
        ("华东, 精密", "上海\n浦东"),
        ('说"好"', "北京"),
    ]


def test_a_file_with_carriage_returns_alone_is_refused_clearly(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    path = write_csv("mac.csv", "code,name\rC1,Acme\rC2,Beta\r")
    with pytest.raises(ImportFileError) as caught:
        load(connection, CustomersImport(), path)
    assert caught.value.path == str(path)
    assert caught.value.message.startswith("row 1: the lines end in a carriage return alone")
    assert codes(connection, CUSTOMERS) == []


def test_dates_with_an_impossible_time_or_text_after_them_are_errors(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    add_customers(connection, "C1")
    path = write_csv(
        "orders.csv",
        "customer_code,order_date,amount\n"
        "C1,2024-02-29 25:61:00,10\n"
        "C1,2024-02-29 10:00:00 garbage,10\n"
        "C1,2024-02-29 10:00:00,10\n",
    )
    before = snapshot(connection)
    with pytest.raises(ImportRejected) as caught:
        load(connection, OrdersImport(), path)
    expected = "a date such as 2024-03-31"
    assert caught.value.log.errors == [
        RowError("orders.csv", 2, "order_date", "2024-02-29 25:61:00", expected),
        RowError("orders.csv", 3, "order_date", "2024-02-29 10:00:00 garbage", expected),
    ]
    assert snapshot(connection) == before
