"""Matching a file's headers to import columns, and column mappings, without a database."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierwise.customers.importing import CUSTOMER_COLUMNS
from tierwise.ingest.columns import Column, match_headers, read_mapping
from tierwise.ingest.errors import ImportFileError
from tierwise.ingest.reader import detect_encoding
from tierwise.sales.importing import ORDER_COLUMNS

FILE = Path("in.csv")


def test_english_names_spaces_case_and_stray_bom() -> None:
    headers = ["\ufeffCustomer Code", " ORDER_DATE ", "amount", "Remarks"]
    positions, ignored = match_headers(FILE, headers, ORDER_COLUMNS, {})
    assert positions == {"customer_code": 0, "order_date": 1, "amount": 2}
    assert ignored == ["Remarks"]


def test_chinese_headers_and_their_aliases() -> None:
    headers = ["客户编码", "下单日期", "销售额", "订单号", "商品编码", "数量", "退货原订单"]
    positions, ignored = match_headers(FILE, headers, ORDER_COLUMNS, {})
    assert positions == {
        "customer_code": 0,
        "order_date": 1,
        "amount": 2,
        "order_code": 3,
        "product_code": 4,
        "quantity": 5,
        "returns_order_code": 6,
    }
    assert ignored == []


def test_mapping_wins_over_spellings_and_ignores_case() -> None:
    headers = ["Kundennr", "Firma", "名称"]
    positions, ignored = match_headers(
        FILE, headers, CUSTOMER_COLUMNS, {"KUNDENNR": "code", "firma": "name", "名称": "region"}
    )
    assert positions == {"code": 0, "name": 1, "region": 2}
    assert ignored == []


def test_mapping_to_an_unknown_column() -> None:
    with pytest.raises(ImportFileError) as caught:
        match_headers(FILE, ["Kundennr", "name"], CUSTOMER_COLUMNS, {"Kundennr": "kundennummer"})
    assert "the mapping names unknown column 'kundennummer'" in caught.value.message
    assert "code, name, kind" in caught.value.message


def test_two_headers_meaning_the_same_column() -> None:
    with pytest.raises(ImportFileError) as caught:
        match_headers(FILE, ["code", "name", "客户名称"], CUSTOMER_COLUMNS, {})
    assert caught.value.message == "columns 'name' and '客户名称' both mean 'name'"


def test_missing_required_columns_are_named_in_both_languages() -> None:
    with pytest.raises(ImportFileError) as caught:
        match_headers(FILE, ["客户编码", "备注"], ORDER_COLUMNS, {})
    assert caught.value.path == "in.csv"
    assert caught.value.message == (
        "missing required column(s) order_date (订单日期), amount (金额); "
        "the file has 客户编码, 备注"
    )


def test_read_mapping_from_options_and_toml(tmp_path: Path) -> None:
    nested = tmp_path / "nested.toml"
    nested.write_text('[columns]\n"Kundennr" = "code"\n"Firma" = "name"\n', encoding="utf-8")
    flat = tmp_path / "flat.toml"
    flat.write_text('"客户号" = "code"\n', encoding="utf-8")

    assert read_mapping([], nested) == {"Kundennr": "code", "Firma": "name"}
    assert read_mapping([], flat) == {"客户号": "code"}
    assert read_mapping([" Firma = region ", "Ort=region"], nested) == {
        "Kundennr": "code",
        "Firma": "region",  # an option overrides the file
        "Ort": "region",
    }
    assert read_mapping([], None) == {}


@pytest.mark.parametrize("pair", ["Kundennr", "=code", "Kundennr=", " = "])
def test_read_mapping_refuses_malformed_pairs(pair: str) -> None:
    with pytest.raises(ImportFileError, match="expected HEADER=column"):
        read_mapping([pair], None)


def test_read_mapping_refuses_unreadable_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("Kundennr = \n", encoding="utf-8")
    with pytest.raises(ImportFileError, match="cannot read the column mapping"):
        read_mapping([], broken)
    with pytest.raises(ImportFileError, match="cannot read the column mapping"):
        read_mapping([], tmp_path / "absent.toml")


def test_column_spellings() -> None:
    column = Column("order_date", "订单日期", aliases=("Date ",))
    assert column.spellings() == ("order_date", "order date", "订单日期", "date")


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ("客户编码\nC1".encode(), "utf-8"),
        ("客户编码\nC1".encode("utf-8-sig"), "utf-8"),
        ("客户编码\nC1".encode("gb18030"), "gb18030"),
        ("客户编码".encode()[:-1], "utf-8"),  # cut inside a character at the sniff limit
        (b"code,name\n", "utf-8"),
    ],
)
def test_detect_encoding(data: bytes, encoding: str) -> None:
    assert detect_encoding(FILE, data) == encoding


@pytest.mark.parametrize(
    "data", ["客户编码".encode("utf-16"), "code".encode("utf-16-le"), b"\xff\xff"]
)
def test_detect_encoding_refuses_other_text(data: bytes) -> None:
    with pytest.raises(ImportFileError, match="neither UTF-8 nor GB18030"):
        detect_encoding(FILE, data)
