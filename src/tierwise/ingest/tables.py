"""An open import file as batches of text columns, and the bounds every file is held to."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from tierwise import config
from tierwise.i18n import _
from tierwise.ingest.errors import ErrorLog, ImportFileError, ImportRejected, RowError

Progress = Callable[[int, int], None]
Batches = Iterator[tuple[pa.Array, pa.RecordBatch]]


@dataclass(frozen=True)
class Limits:
    """How much one import file may hold (settings TIERWISE_IMPORT_MAX_*)."""

    rows: int = config.IMPORT_MAX_ROWS
    columns: int = config.IMPORT_MAX_COLUMNS
    cell_chars: int = config.IMPORT_MAX_CELL_CHARS
    xlsx_bytes: int = config.IMPORT_MAX_XLSX_MB << 20

    @classmethod
    def of(cls, settings: config.Settings) -> Limits:
        """The limits an operator set."""
        return cls(
            rows=settings.import_max_rows,
            columns=settings.import_max_columns,
            cell_chars=settings.import_max_cell_chars,
            xlsx_bytes=settings.import_max_xlsx_mb << 20,
        )


@dataclass
class Table:
    """An open import file: its headers, how big it is, and its rows in batches.

    Each batch comes with the file row number of each of its rows (the header is row 1); rows
    skipped as malformed leave gaps, so the numbers after them still match the file.
    """

    path: Path
    headers: list[str]
    size: int
    batches: Batches
    malformed: list[tuple[int, str, str]] = field(default_factory=list)  # row, why, its text


def check_width(path: Path, headers: list[str], limits: Limits) -> None:
    """Refuse a file with more columns than any import has a use for."""
    if len(headers) > limits.columns:
        raise ImportFileError(
            path,
            _("row 1 has {found} columns; at most {limit} are accepted").format(
                found=len(headers), limit=limits.columns
            ),
        )


def bounded(path: Path, headers: list[str], batches: Batches, limits: Limits) -> Batches:
    """Pass the batches on, refusing the file at its first row past the limit or overlong cell."""
    for numbers, batch in batches:
        if len(numbers) and numbers[-1].as_py() > limits.rows + 1:
            raise ImportFileError(
                path,
                _("more than {limit} rows; split the file or raise the limit").format(
                    limit=limits.rows
                ),
            )
        for index, column in enumerate(batch.columns):
            too_long = pc.greater(pc.utf8_length(column), limits.cell_chars)
            if pc.any(too_long).as_py():
                at = pc.index(too_long, True).as_py()
                log = ErrorLog()
                expected = _("at most {limit} characters in a cell").format(limit=limits.cell_chars)
                row = numbers[at].as_py()
                log.add(RowError(path.name, row, headers[index], column[at].as_py(), expected))
                raise ImportRejected(log)
        yield numbers, batch
