"""Streams CSV (UTF-8, UTF-8 with BOM, GB18030) and XLSX files as batches of text columns."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from tierwise.i18n import _
from tierwise.ingest.errors import ImportFileError
from tierwise.ingest.tables import Batches, Limits, Progress, Table, bounded, check_width
from tierwise.ingest.textcheck import verify_text
from tierwise.ingest.workbook import open_xlsx

SNIFF_BYTES = 1 << 20
ENCODINGS = ("utf-8", "gb18030")


class _CountingReader(io.RawIOBase):
    """Counts bytes as Arrow pulls them, so the progress bar moves with the file.

    It also notes whether the file holds a quote at all: only then can quoting go wrong.
    """

    def __init__(self, raw: BinaryIO, progress: Progress | None, size: int) -> None:
        self._raw, self._progress, self._size, self.done = raw, progress, size, 0
        self.quoted = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self.done += n or 0
        self.quoted = self.quoted or b'"' in memoryview(buffer)[: n or 0].tobytes()
        if self._progress:
            self._progress(self.done, self._size)
        return n


def detect_encoding(path: Path, sample: bytes) -> str:
    """UTF-8 (with or without BOM) if the start of the file decodes as it, else GB18030."""
    # NUL bytes decode as both, yet mean UTF-16/32 without a BOM (or not text at all).
    for encoding in ENCODINGS if b"\x00" not in sample else ():
        try:
            codecs.getincrementaldecoder(encoding)().decode(sample, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ImportFileError(
        path, _("the file is neither UTF-8 nor GB18030 text; save it as CSV UTF-8")
    )


def open_table(
    path: Path,
    batch_rows: int,
    progress: Progress | None = None,
    encoding: str | None = None,
    limits: Limits | None = None,
) -> Table:
    """Open a CSV or XLSX file by its suffix; its rows are read within `limits`."""
    limits = limits or Limits()
    if not path.is_file():
        raise ImportFileError(path, _("no such file"))
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        table = open_xlsx(path, batch_rows, progress, limits)
    else:
        table = _open_csv(path, batch_rows, progress, encoding)
    check_width(path, table.headers, limits)
    table.batches = bounded(path, table.headers, table.batches, limits)
    return table


def _open_csv(
    path: Path, batch_rows: int, progress: Progress | None, encoding: str | None
) -> Table:
    size = path.stat().st_size
    with path.open("rb") as handle:
        sample = handle.read(SNIFF_BYTES)
    encoding = encoding or detect_encoding(path, sample)
    try:  # strictly, so a forced wrong encoding is named as such, not as garbled headers
        decoder = codecs.getincrementaldecoder(encoding)()
        first_line = decoder.decode(sample.split(b"\n", 1)[0]).lstrip("\ufeff")
    except (LookupError, UnicodeDecodeError) as exc:
        raise ImportFileError(
            path,
            _("unreadable after row {row} as {encoding}: {error}").format(
                row=0, encoding=encoding, error=exc
            ),
        ) from exc
    if b"\r" in sample and b"\n" not in sample:
        raise ImportFileError(
            path,
            _(
                "row 1: the lines end in a carriage return alone (classic Mac text), which "
                "cannot be told from a line break inside a value; save it as CSV UTF-8"
            ),
        )
    try:
        headers = next(csv.reader([first_line], strict=True), [])
    except csv.Error as exc:
        raise ImportFileError(
            path,
            _("row 1 (the headers) is not valid CSV: {error}").format(error=exc),
        ) from exc
    if not any(h.strip() for h in headers):
        raise ImportFileError(path, _("the first line must hold the column headers"))
    names = [f"c{i}" for i in range(len(headers))]
    table = Table(path=path, headers=headers, size=size, batches=iter(()))

    def on_invalid(row: Any) -> str:
        table.malformed.append(
            (
                row.number or 0,
                _("{expected} fields (found {actual})").format(
                    expected=row.expected_columns, actual=row.actual_columns
                ),
                row.text,
            )
        )
        return "skip"

    def batches() -> Batches:
        with path.open("rb") as raw:
            counting = _CountingReader(raw, progress, size)
            row = 2
            try:  # open_csv already reads and converts the first block
                reader = pacsv.open_csv(
                    io.BufferedReader(counting, buffer_size=1 << 20),
                    read_options=pacsv.ReadOptions(
                        column_names=names,
                        skip_rows=1,
                        encoding=encoding,
                        block_size=max(1 << 20, batch_rows * 64),
                        use_threads=False,
                    ),
                    parse_options=pacsv.ParseOptions(
                        newlines_in_values=True, invalid_row_handler=on_invalid
                    ),
                    convert_options=pacsv.ConvertOptions(
                        column_types={n: pa.string() for n in names},
                        strings_can_be_null=False,
                        quoted_strings_can_be_null=False,
                    ),
                )
                for batch in reader:
                    skipped = [number for number, _, _ in table.malformed]
                    numbers = _row_numbers(row, batch.num_rows, skipped)
                    yield numbers, batch
                    if len(numbers):
                        row = numbers[-1].as_py() + 1
                verify_text(path, encoding, headers, counting.quoted)
            except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
                raise ImportFileError(
                    path,
                    _("unreadable after row {row} as {encoding}: {error}").format(
                        row=row - 1, encoding=encoding, error=exc
                    ),
                ) from exc

    table.batches = batches()
    return table


def _row_numbers(start: int, count: int, skipped: list[int]) -> pa.Array:
    """The numbers of `count` rows read from row `start` on, passing over the skipped rows."""
    later = [n for n in skipped if n >= start]
    numbers = pa.array(np.arange(start, start + count + len(later), dtype=np.int64))
    if later:
        numbers = numbers.filter(pc.invert(pc.is_in(numbers, pa.array(later, pa.int64()))))
    return numbers.slice(0, count)
