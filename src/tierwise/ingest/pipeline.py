"""Runs an import: read in batches, parse, stage, check in SQL, upsert — in one transaction."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Column as SAColumn
from sqlalchemy import Connection, Row, Select, SQLColumnExpression, Table, delete, func, select

from tierwise.config import Settings
from tierwise.i18n import _
from tierwise.ingest import staging
from tierwise.ingest.columns import Column, match_headers
from tierwise.ingest.errors import ErrorLog, ImportRejected, RowError
from tierwise.ingest.parse import BatchParser
from tierwise.ingest.reader import open_table
from tierwise.ingest.tables import Batches, Limits, Progress
from tierwise.ingest.tables import Table as SourceTable
from tierwise.sheets import CsvWriter

DELETE_CHUNK = 10_000  # row numbers per DELETE, well under SQLite's bound-parameter limit

Phases = Callable[[str], AbstractContextManager[object]]
"""Wraps each named phase of an import, so a caller can see where an import spends its time.

The phases, in order: open, stage, then for each batch read, parse, derive and load; then index,
checks, rejects (only with skip_invalid), write and drop.
"""


def _no_phases(_name: str) -> AbstractContextManager[object]:
    """Without a caller's wrapper, phases cost nothing."""
    return nullcontext()


@dataclass(frozen=True)
class ImportOptions:
    """How the user asked the file to be read and written."""

    skip_invalid: bool = False
    mapping: dict[str, str] = field(default_factory=dict)
    encoding: str | None = None
    create_customers: bool = False
    batch_rows: int = 50_000
    latest_order_date: dt.date = field(default_factory=lambda: Settings().latest_order_date())
    today: dt.date = field(default_factory=lambda: Settings().today())  # in the company's zone
    limits: Limits = field(default_factory=Limits)

    @classmethod
    def from_settings(cls, settings: Settings, **choices: Any) -> ImportOptions:
        """The user's choices with what the operator configured (batch size, latest order date,
        the limits of a file)."""
        return cls(
            batch_rows=settings.import_batch_rows,
            latest_order_date=settings.latest_order_date(),
            today=settings.today(),
            limits=Limits.of(settings),
            **choices,
        )


@dataclass(frozen=True)
class WriteCounts:
    """What an upsert did to the target table."""

    inserted: int
    updated: int
    unchanged: int
    created_customers: int = 0


@dataclass(frozen=True)
class ImportResult:
    """The closing report of one import."""

    entity: str
    file: str
    rows: int
    counts: WriteCounts
    rejected: int
    rejects_file: Path | None
    ignored_columns: list[str]
    errors: list[RowError]


class Entity(Protocol):
    """What one kind of import file contributes: its columns, derived keys, checks and writes."""

    # Read-only members: the imports are frozen dataclasses.
    @property
    def name(self) -> str:
        """The kind of file (customers, orders, …)."""

    @property
    def columns(self) -> Sequence[Column]:
        """The columns a file of this kind may hold."""

    @property
    def extra_stage_columns(self) -> Sequence[SAColumn[Any]]:
        """Staging columns the file does not hold (derived keys)."""

    @property
    def cascade_column(self) -> str | None:
        """Rows sharing this column's value are rejected together (the lines of one order)."""

    def derive(self, rows: pa.Table) -> pa.Table:
        """Add derived columns (such as keys computed from other fields) before staging."""

    def checks(self, stage: Table, file: str, options: ImportOptions) -> Iterable[Check]:
        """Set-based checks across rows and against the database."""

    def write(self, conn: Connection, stage: Table, options: ImportOptions) -> WriteCounts:
        """Upsert the staged rows into the real tables."""


@dataclass(frozen=True)
class Import:
    """What most imports share: no derived columns, and bad rows are rejected one by one."""

    extra_stage_columns: Sequence[SAColumn[Any]] = ()
    cascade_column: str | None = None

    def derive(self, rows: pa.Table) -> pa.Table:
        """No derived columns unless an import adds them."""
        return rows


@dataclass(frozen=True)
class Check:
    """A query whose every row is a bad row, and how to say what is wrong with it."""

    query: Select[Any]
    explain: Callable[[Row[*tuple[Any, ...]]], RowError]


def duplicate_rows(stage: Table, key: str, file: str) -> Check:
    """Rows repeating a key already used earlier in the same file."""
    firsts = (
        select(stage.c[key], func.min(stage.c.row_no).label("first"))
        .group_by(stage.c[key])
        .having(func.count() > 1)
        .subquery()
    )
    query = (
        select(stage.c.row_no, stage.c[key], firsts.c.first)
        .join(firsts, stage.c[key] == firsts.c[key])
        .where(stage.c.row_no > firsts.c.first)
        .order_by(stage.c.row_no)
    )
    message = _("a value not used before in this file (row {row} has it)")
    return Check(query, lambda r: RowError(file, r[0], key, r[1], message.format(row=r[2])))


def unknown_references(
    stage: Table,
    column: str,
    target: SQLColumnExpression[Any],
    file: str,
    expected: str,
    also: Select[Any] | None = None,
) -> Check:
    """Rows naming a code that neither the database (nor, with `also`, the file) holds."""
    known = select(target).where(target == stage.c[column]).exists()
    condition = stage.c[column].is_not(None) & ~known
    if also is not None:
        condition &= stage.c[column].not_in(also)
    query = select(stage.c.row_no, stage.c[column]).where(condition).order_by(stage.c.row_no)
    return Check(query, lambda r: RowError(file, r[0], column, r[1], expected))


class Rejects:
    """The rejects file beside the input: rows left out, with why, in the input's own columns."""

    def __init__(self, source: Path, headers: list[str]) -> None:
        self.path = source.with_name(source.name + ".rejects.csv")
        self.headers = headers
        self._handle = self.path.open("w", encoding="utf-8-sig", newline="")
        self._writer = CsvWriter(self._handle)
        self._writer.writerow(["row", "errors", *headers])
        self.count = 0

    def write(self, row: int, reasons: str, values: list[object]) -> None:
        self._writer.writerow([row, reasons, *values])
        self.count += 1

    def close(self) -> None:
        """Finish the file; remove it if nothing was rejected, so no empty file is left behind."""
        self._handle.close()
        if not self.count:
            self.path.unlink()


def run_import(
    conn: Connection,
    entity: Entity,
    path: Path,
    options: ImportOptions,
    progress: Progress | None = None,
    phases: Phases | None = None,
) -> ImportResult:
    """Import one file inside the caller's transaction; raise ImportRejected if rows are bad."""
    phase = phases or _no_phases
    with phase("open"):
        table = open_table(path, options.batch_rows, progress, options.encoding, options.limits)
        positions, ignored = match_headers(path, table.headers, entity.columns, options.mapping)
        parser = BatchParser(path.name, entity.columns, positions)
    with phase("stage"):
        stage = staging.create_stage(conn, entity.name, parser.columns, entity.extra_stage_columns)
    log = ErrorLog()
    rejects = Rejects(path, table.headers) if options.skip_invalid else None
    cascade: set[object] = set()
    rows = 0
    for row_numbers, batch in _read(table.batches, phase):
        rows += batch.num_rows
        with phase("parse"):
            typed, bad = parser.parse(row_numbers, batch, log)
        with phase("derive"):
            typed = entity.derive(typed)
        if pc.any(bad).as_py():
            if rejects:
                _reject_raw(rejects, log, row_numbers, batch, bad)
            if entity.cascade_column:
                cascade.update(typed.filter(bad).column(entity.cascade_column).to_pylist())
            typed = typed.filter(pc.invert(bad))
        with phase("load"):
            staging.load(conn, stage, typed)
    with phase("index"):
        staging.ready(conn, stage, entity.cascade_column)
    for row, reason, text in table.malformed:
        error = RowError(path.name, row, "*", None, reason)
        log.add(error)
        if rejects:
            fields: list[str] = next(csv.reader([text]), [])
            rejects.write(row, str(error), list(fields))
    with phase("checks"):
        set_errors = list(_run_checks(conn, entity, stage, path.name, options))
    for error in set_errors:
        log.add(error)
    if log and not options.skip_invalid:
        raise ImportRejected(log)
    if rejects:
        with phase("rejects"):
            source = open_table(path, options.batch_rows, None, options.encoding, options.limits)
            _reject_staged(conn, entity, stage, rejects, source, set_errors, cascade)
            rejects.close()
    with phase("write"):
        counts = entity.write(conn, stage, options)
    with phase("drop"):
        staging.drop_stage(conn, stage)
    return ImportResult(
        entity=entity.name,
        file=str(path),
        rows=rows,
        counts=counts,
        rejected=rejects.count if rejects else 0,
        rejects_file=rejects.path if rejects and rejects.count else None,
        ignored_columns=ignored,
        errors=log.errors,
    )


def _read(batches: Batches, phase: Phases) -> Batches:
    """The file's batches, each read from the file inside the read phase."""
    while True:
        with phase("read"):
            item = next(batches, None)
        if item is None:
            return
        yield item


def _run_checks(
    conn: Connection, entity: Entity, stage: Table, file: str, options: ImportOptions
) -> Iterable[RowError]:
    for check in entity.checks(stage, file, options):
        for row in conn.execute(check.query):
            yield check.explain(row)


def _reject_raw(
    rejects: Rejects, log: ErrorLog, row_numbers: pa.Array, batch: pa.RecordBatch, bad: pa.Array
) -> None:
    reasons: dict[int, list[str]] = {}
    for error in log.errors:
        reasons.setdefault(error.row, []).append(str(error))
    indices = pc.indices_nonzero(bad).to_pylist()
    for index, values in zip(indices, batch.take(pa.array(indices)).to_pylist(), strict=True):
        row = row_numbers[index].as_py()
        rejects.write(row, "; ".join(reasons.get(row, [])), list(values.values()))


def _reject_staged(
    conn: Connection,
    entity: Entity,
    stage: Table,
    rejects: Rejects,
    source: SourceTable,
    errors: list[RowError],
    cascade: set[object],
) -> None:
    """Move rows that failed set-based checks (and rows of the same group) to the rejects file.

    Their values are read again from the file, so the rejects file holds what the user wrote
    (not the parsed values), in every column of the input, ready to be fixed and imported again.
    """
    reasons: dict[int, list[str]] = {}
    for error in errors:
        reasons.setdefault(error.row, []).append(str(error))
    doomed: SQLColumnExpression[bool] = stage.c.row_no.in_(list(reasons))
    if entity.cascade_column:
        groups = select(stage.c[entity.cascade_column]).where(doomed)
        doomed = doomed | stage.c[entity.cascade_column].in_(groups)
        if cascade - {None}:
            doomed = doomed | stage.c[entity.cascade_column].in_(list(cascade - {None}))
    rows = list(conn.execute(select(stage.c.row_no).where(doomed)).scalars())
    if rows:
        wanted = pa.array(rows, pa.int64())
        for row_numbers, batch in source.batches:
            hit = pc.indices_nonzero(pc.is_in(row_numbers, value_set=wanted))
            found = zip(row_numbers.take(hit).to_pylist(), batch.take(hit).to_pylist(), strict=True)
            for row, values in found:
                why = reasons.get(row) or [_("another row of the same group was rejected")]
                rejects.write(row, "; ".join(why), list(values.values()))
    # Delete by the row numbers found above: a DELETE whose condition reads the same table
    # may see it half deleted.
    for start in range(0, len(rows), DELETE_CHUNK):
        conn.execute(delete(stage).where(stage.c.row_no.in_(rows[start : start + DELETE_CHUNK])))
