"""Set-based INSERT … ON CONFLICT DO UPDATE from a SELECT, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Connection, Select, Table, func, literal, or_, select, true, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from tierwise.db.base import utcnow
from tierwise.ingest.pipeline import WriteCounts


def upsert_from_select(
    conn: Connection,
    table: Table,
    select: Select[Any],
    columns: Sequence[str],
    keys: Sequence[str],
    insert_only: Sequence[str] = (),
    stamp: Sequence[str] = (),
    on_change: Mapping[str, Any] | None = None,
) -> int:
    """Insert the selected rows, update existing keys whose values differ; return rows written.

    `insert_only` columns (defaults, created_at) are set on insert alone; `stamp` columns
    (updated_at) are written but never compared; `on_change` sets values on update, e.g. a version.
    """
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    # SQLite needs a WHERE in INSERT … SELECT … ON CONFLICT to parse it unambiguously.
    statement = dialect.insert(table).from_select(list(columns), select.where(true()))
    compared = [c for c in columns if c not in (*keys, *insert_only, *stamp)]
    excluded = statement.excluded
    updates: dict[str, Any] = {c: excluded[c] for c in (*compared, *stamp)}
    updates.update(on_change or {})
    statement = statement.on_conflict_do_update(
        index_elements=list(keys),
        set_=updates,
        where=or_(*(table.c[c].is_distinct_from(excluded[c]) for c in compared)),
    )
    return int(conn.execute(statement, execution_options={"preserve_rowcount": True}).rowcount)


def existing_keys(conn: Connection, stage: Table, stage_key: str, key: Column[Any]) -> int:
    """How many staged rows name a key the table already holds."""
    query = (
        select(func.count())
        .select_from(stage)
        .where(select(key).where(key == stage.c[stage_key]).exists())
    )
    return int(conn.execute(query).scalar_one())


def split_counts(total: int, existing: int, written: int) -> WriteCounts:
    """From rows staged, rows that existed before and rows written, tell what happened."""
    inserted = total - existing
    return WriteCounts(inserted=inserted, updated=written - inserted, unchanged=total - written)


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
    total, existing = staged_rows(conn, stage), existing_keys(conn, stage, key, table.c[key])
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
    return split_counts(total, existing, written)


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
