"""Set-based upserts from a SELECT (insert new keys, update changed rows), SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Select, Table, func, literal, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from tierwise.db.base import utcnow
from tierwise.ingest.pipeline import WriteCounts


@dataclass(frozen=True)
class Written:
    """Rows one upsert inserted and rows it changed, as the database reported them."""

    inserted: int
    updated: int


def upsert_from_select(
    conn: Connection,
    table: Table,
    select: Select[Any],
    columns: Sequence[str],
    keys: Sequence[str],
    insert_only: Sequence[str] = (),
    stamp: Sequence[str] = (),
    on_change: Mapping[str, Any] | None = None,
) -> Written:
    """Insert the selected rows whose keys are new, then update the rows whose values differ.

    Each statement counts what it did itself, so the counts stay true when another transaction
    writes the same keys meanwhile: a key it inserted first is not inserted here but compared
    (and updated if it differs). `insert_only` columns (defaults, created_at) are set on insert
    alone; `stamp` columns (updated_at) are written but never compared; `on_change` sets values
    on update, e.g. a version.
    """
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    # SQLite needs a WHERE in INSERT … SELECT … ON CONFLICT to parse it unambiguously.
    insert = (
        dialect.insert(table)
        .from_select(list(columns), select.where(true()))
        .on_conflict_do_nothing(index_elements=list(keys))
    )
    inserted = _rowcount(conn, insert)
    compared = [c for c in columns if c not in (*keys, *insert_only, *stamp)]
    if not compared:
        return Written(inserted, 0)
    source = dict(zip(columns, select.subquery().c, strict=True))
    changes = (
        update(table)
        .values({c: source[c] for c in (*compared, *stamp)} | dict(on_change or {}))
        .where(*(table.c[k] == source[k] for k in keys))
        .where(or_(*(table.c[c].is_distinct_from(source[c]) for c in compared)))
    )
    return Written(inserted, _rowcount(conn, changes))


def _rowcount(conn: Connection, statement: Any) -> int:
    """Rows a write statement touched, as the driver reports them."""
    return int(conn.execute(statement, execution_options={"preserve_rowcount": True}).rowcount)


def split_counts(total: int, written: Written) -> WriteCounts:
    """From rows staged and what the upsert did, tell what happened to each staged row."""
    return WriteCounts(
        inserted=written.inserted,
        updated=written.updated,
        unchanged=total - written.inserted - written.updated,
    )


def staged_rows(conn: Connection, stage: Table) -> int:
    """Rows that survived validation and wait in the staging table."""
    return int(conn.execute(select(func.count()).select_from(stage)).scalar_one())


@dataclass(frozen=True)
class Reference:
    """A staged code column resolved to a foreign key on the way in."""

    column: str
    target: str
    code: Column[Any]


def upsert_staged(
    conn: Connection,
    stage: Table,
    table: Table,
    key: str,
    references: Sequence[Reference] = (),
    defaults: Mapping[str, Any] | None = None,
) -> WriteCounts:
    """Upsert staged rows into `table` on `key`; only the columns the file had are written."""
    defaults = defaults or {}
    now = utcnow()
    values: dict[str, Any] = {}
    for column in stage.c:
        if column.name in table.c and column.name != "row_no":
            default = defaults.get(column.name)
            values[column.name] = column if default is None else func.coalesce(column, default)
    query = select(stage)
    for ref in references:
        if ref.column in stage.c:
            target = aliased(ref.code.table)
            query = query.outerjoin(target, target.c[ref.code.name] == stage.c[ref.column])
            values[ref.target] = target.c.id
    insert_only = {n: literal(v) for n, v in defaults.items() if n not in values}
    if "created_at" in table.c:
        insert_only["created_at"] = literal(now, table.c.created_at.type)
    on_change = {}
    if "version" in table.c:
        insert_only["version"] = literal(1)
        on_change["version"] = table.c.version + 1
    stamp = {"updated_at": literal(now, table.c.updated_at.type)} if "updated_at" in table.c else {}
    columns = {**values, **insert_only, **stamp}
    written = upsert_from_select(
        conn,
        table,
        query.with_only_columns(*columns.values()),
        list(columns),
        keys=[key],
        insert_only=list(insert_only),
        stamp=list(stamp),
        on_change=on_change,
    )
    return split_counts(staged_rows(conn, stage), written)


def link_by_code(conn: Connection, stage: Table, table: Table, column: str, target: str) -> None:
    """Resolve a code naming a row of the same table, after every staged row is in."""
    other = aliased(table)
    resolved = (
        select(other.c.id)
        .select_from(stage)
        .join(other, other.c.code == stage.c[column])
        .where(stage.c.code == table.c.code)
        .scalar_subquery()
    )
    # Only rows whose link changes: an UPDATE stamps updated_at, and re-imports must change nothing.
    conn.execute(
        update(table)
        .where(table.c.code.in_(select(stage.c.code)), table.c[target].is_distinct_from(resolved))
        .values({target: resolved})
    )
