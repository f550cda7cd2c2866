"""The one writer every export uses: nothing a spreadsheet would run, numbers left as numbers."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pyarrow as pa
import pytest
from openpyxl import Workbook, load_workbook

from tierwise.customers.privacy import bundle_zip
from tierwise.sheets import csv_cell, restore_neutralised, write_table_csv, xlsx_row


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+86 138", "'+86 138"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-12.50", "-12.50"),
        ("+3", "+3"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (-5, -5),
    ],
)
def test_csv_cells_never_start_a_formula(value: object, cell: object) -> None:
    assert csv_cell(value) == cell


def test_restoring_undoes_the_neutraliser_and_nothing_else() -> None:
    texts = ["'=1+1", "'+86", "'plain", "=raw", None]
    cells = [csv_cell(t) for t in texts]
    assert restore_neutralised(pa.array(cells)).to_pylist() == ["=1+1", "+86", "'plain", "=raw", ""]


def test_a_table_csv_has_a_bom_and_neutralised_text(tmp_path: Path) -> None:
    path = tmp_path / "movers.csv"
    write_table_csv(pa.table({"name": ["=cmd|' /C calc'!A0", "ok", None], "n": [1, -2, 3]}), path)
    raw = path.read_bytes()
    assert raw.startswith("\ufeff".encode())
    assert raw.decode("utf-8-sig").splitlines() == [
        '"name","n"',
        "\"'=cmd|' /C calc'!A0\",1",
        '"ok",-2',
        ",3",
    ]


@pytest.mark.parametrize("write_only", [True, False])
def test_xlsx_text_is_typed_as_text(tmp_path: Path, write_only: bool) -> None:
    book = Workbook(write_only=write_only)
    sheet = book.create_sheet("x") if write_only else book.active
    sheet.append(xlsx_row(sheet, ["=1+1", 2.5, None, "@A1"]))
    book.save(tmp_path / "x.xlsx")
    cells = next(load_workbook(tmp_path / "x.xlsx").worksheets[-1].iter_rows())
    assert [(c.value, c.data_type) for c in cells] == [
        ("=1+1", "s"),
        (2.5, "n"),
        (None, "n"),
        ("@A1", "s"),
    ]


def test_personal_data_csvs_neutralise_formulas() -> None:
    archive = zipfile.ZipFile(io.BytesIO(bundle_zip({"customers": [{"name": "=1+1", "n": 3}]})))
    text = archive.read("customers.csv").decode("utf-8-sig")
    assert text.splitlines() == ["name,n", "'=1+1,3"]
