"""Every CSV and XLSX the system writes goes through here, so no cell opens as a live formula."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet takes as the start of a formula (OWASP's CSV injection list)."""
BOM = "\ufeff"
_PLAIN_NUMBER = r"[+-]?\d+(\.\d+)?"
_FORMULA_START_PATTERN = "^[=+\\-@\t\r]"
_NEUTRALISED_PATTERN = "^'([=+\\-@\t\r])"


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading '."""
    if value is None:
        return ""
    if (
        isinstance(value, str)
        and value[:1] in FORMULA_STARTS
        and not re.fullmatch(_PLAIN_NUMBER, value)
    ):
        return "'" + value
    return value


class CsvWriter:
    """csv.writer whose every cell passes csv_cell first."""

    def __init__(self, handle: TextIO) -> None:
        self._writer = csv.writer(handle)

    def writerow(self, values: Iterable[object]) -> None:
        """Write one row of neutralised cells."""
        self._writer.writerow([csv_cell(v) for v in values])


def neutralised(table: pa.Table) -> pa.Table:
    """The table with csv_cell applied to every text column, in bulk."""
    for index, field in enumerate(table.schema):
        if not (pa.types.is_string(field.type) or pa.types.is_large_string(field.type)):
            continue
        text = table.column(index)
        risky = pc.and_(
            pc.match_substring_regex(text, _FORMULA_START_PATTERN),
            pc.invert(pc.match_substring_regex(text, f"^{_PLAIN_NUMBER}$")),
        )
        quoted = pc.binary_join_element_wise("'", text, "")
        table = table.set_column(index, field, pc.if_else(risky, quoted, text))
    return table


def write_table_csv(table: pa.Table, target: Path | BinaryIO) -> None:
    """An Arrow table as CSV with a BOM (Excel then reads UTF-8), formulas neutralised."""
    if isinstance(target, Path):
        with target.open("wb") as handle:
            write_table_csv(table, handle)
        return
    target.write(BOM.encode())
    pacsv.write_csv(neutralised(table), target)


def restore_neutralised(text: pa.Array | pa.ChunkedArray) -> Any:
    """Undo csv_cell's leading ' when a file this system wrote is read back in."""
    return pc.replace_substring_regex(text, _NEUTRALISED_PATTERN, "\\1")


def xlsx_row(sheet: Any, values: Sequence[object]) -> list[Any]:
    """Cells for openpyxl's `sheet.append`, text typed as text so '=…' is never a formula."""
    from openpyxl.cell.cell import Cell

    cells = []
    for column, value in enumerate(values, 1):
        cell = Cell(sheet, column=column, value=value)
        if isinstance(value, str):
            cell.data_type = "s"
        cells.append(cell)
    return cells


def write_workbook(path: Path, sheets: Mapping[str, Iterable[Sequence[object]]]) -> None:
    """An XLSX of named sheets, each an iterable of rows (headers first), streamed row by row."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(xlsx_row(sheet, row))
    workbook.save(path)
