"""Streams the first sheet of an XLSX workbook, after checking what its zip parts unpack to."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any
from xml.parsers import expat

import pyarrow as pa

from tierwise.i18n import _
from tierwise.ingest.errors import ImportFileError
from tierwise.ingest.tables import Batches, Limits, Progress, Table, check_width

# Where openpyxl finds whole texts it keeps in memory: each one is measured before it is opened.
_TEXT_UNITS = {"xl/sharedStrings.xml": "si"}
CHUNK = 1 << 16
# openpyxl reads a whole sheet on opening to learn its size when the sheet does not state it
# (Excel always does); past this many bytes that costs seconds, so such a sheet is refused.
UNSIZED_SHEET_BYTES = 16 << 20


def _cell_text(value: Any) -> str:
    """Excel cells arrive typed; turn them into the text a CSV would have held."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_archive(path: Path, limits: Limits) -> None:
    """Refuse a workbook that unpacks to more than the limit, or holds an overlong text.

    The sizes come from the zip directory, which the zip reader holds each part to. openpyxl
    keeps every shared string in memory, and reads a sheet's inline texts whole, so the texts of
    both are measured first, as they stream past.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked > limits.xlsx_bytes:
                raise ImportFileError(
                    path,
                    _(
                        "the workbook unpacks to {size} MB, more than {limit} MB; "
                        "save it as CSV or raise the limit"
                    ).format(size=unpacked >> 20, limit=limits.xlsx_bytes >> 20),
                )
            for info in archive.infolist():
                if info.filename.startswith("xl/worksheets/") and not _states_size(archive, info):
                    raise ImportFileError(
                        path,
                        _(
                            "the sheet {sheet} does not state its size, so it would be read "
                            "whole just to open it; save the workbook with Excel, or as CSV"
                        ).format(sheet=info.filename.rpartition("/")[2]),
                    )
            for info in archive.infolist():
                unit = _TEXT_UNITS.get(info.filename) or (
                    "c" if info.filename.startswith("xl/worksheets/") else None
                )
                if unit is None:
                    continue
                with archive.open(info) as part:
                    longest = _longest_text(part, unit, limits.cell_chars)
                if longest > limits.cell_chars:
                    raise ImportFileError(
                        path,
                        _("a text cell holds more than {limit} characters").format(
                            limit=limits.cell_chars
                        ),
                    )
    except (zipfile.BadZipFile, expat.ExpatError, OSError) as exc:
        raise ImportFileError(
            path, _("not a readable XLSX workbook: {error}").format(error=exc)
        ) from exc


def _states_size(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether a sheet is small or names its size (<dimension>) before its rows begin."""
    if info.file_size <= UNSIZED_SHEET_BYTES:
        return True
    with archive.open(info) as part:
        head = part.read(CHUNK)
    rows = head.find(b"sheetData")
    return head.find(b"dimension ", 0, None if rows == -1 else rows) != -1


def _longest_text(part: Any, unit: str, limit: int) -> int:
    """The length of the longest text of one `unit` (a shared string `si`, or a sheet's cell `c`
    with its value or inline string), or the first length past `limit` (then stop)."""
    longest = length = 0
    inside = False
    parser = expat.ParserCreate()
    parser.buffer_text = True

    def start(name: str, _attributes: Any) -> None:
        nonlocal length, inside
        local = name.rpartition(":")[2]
        if local == unit:
            length = 0
        inside = local in ("t", "v")

    def end(name: str) -> None:
        nonlocal longest, inside
        inside = False
        if name.rpartition(":")[2] == unit:
            longest = max(longest, length)

    def text(data: str) -> None:
        nonlocal length
        if inside:
            length += len(data)

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.CharacterDataHandler = text
    while (chunk := part.read(CHUNK)) and length <= limit:
        parser.Parse(chunk, False)
    return max(longest, length)


def open_xlsx(path: Path, batch_rows: int, progress: Progress | None, limits: Limits) -> Table:
    """The first sheet, read in openpyxl's streaming mode, rows padded to the header's width."""
    from openpyxl import load_workbook

    check_archive(path, limits)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook
        raise ImportFileError(
            path, _("not a readable XLSX workbook: {error}").format(error=exc)
        ) from exc
    sheet = workbook.worksheets[0]
    # Read the header row no wider than the limit allows: a sheet's stated size may be huge.
    first = sheet.iter_rows(max_row=1, max_col=limits.columns + 1, values_only=True)
    headers = [_cell_text(v) for v in next(first, ())]
    first.close()
    while headers and not headers[-1].strip():
        headers.pop()  # padding up to the sheet's stated width
    if not headers:
        raise ImportFileError(path, _("the first line must hold the column headers"))
    check_width(path, headers, limits)
    total = sheet.max_row or 0
    width = len(headers)
    rows = sheet.iter_rows(min_row=2, max_col=width, values_only=True)

    def batches() -> Batches:
        chunk: list[list[str]] = []
        numbers: list[int] = []
        for number, values in enumerate(rows, start=2):
            cells = [_cell_text(v) for v in values[:width]] + [""] * (width - len(values))
            if not any(cell.strip() for cell in cells):
                continue  # an empty row (often only formatted), like a CSV's blank line
            chunk.append(cells)
            numbers.append(number)
            if len(chunk) == batch_rows:
                yield pa.array(numbers, pa.int64()), _to_batch(chunk, width)
                chunk, numbers = [], []
                if progress:
                    progress(number, total)
        if chunk:
            yield pa.array(numbers, pa.int64()), _to_batch(chunk, width)
        if progress:
            progress(total, total)
        workbook.close()

    return Table(path=path, headers=headers, size=total, batches=batches())


def _to_batch(rows: list[list[str]], width: int) -> pa.RecordBatch:
    columns = [pa.array([r[i] for r in rows], pa.string()) for i in range(width)]
    return pa.RecordBatch.from_arrays(columns, names=[f"c{i}" for i in range(width)])
