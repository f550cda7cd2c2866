"""Declarative base and the column types every capability shares."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import DateTime, MetaData, Numeric, Table, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Money = Numeric(18, 2)
Total = Numeric(28, 2)
"""Sums of amounts (indicators, profits, CLV): 10^13 lines of the largest amount still fit."""
MAX_AMOUNT = Decimal("9999999999999.99")
"""The largest amount (in size) any money field takes from the API, CLI, console or import: below
10^13 a SQLite double is exact to the cent, and Total holds any realistic sum of such amounts."""


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores aware UTC timestamps; SQLite returns naive values, so tag them UTC on the way out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: Tierwise stores aware UTC timestamps")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """A timestamp read through Core: SQLite gives naive UTC back, PostgreSQL aware."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def plain(value: Any) -> Any:
    """A column value as JSON carries it: dates, decimals and choices become text."""
    if value is None or isinstance(value, bool | int | float | list | dict):
        return value
    return str(value)


def utcnow() -> dt.datetime:
    """The write side's clock; the read side never calls it (it takes as_of)."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Root of every table: one metadata, one naming convention, shared type map."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {Decimal: Money, dt.datetime: UTCDateTime()}

    if TYPE_CHECKING:
        # Every model here is declared with __tablename__, so its __table__ is a Table (with
        # insert/update/delete and .name), not just the FromClause a mapping to a select might be.
        __table__: ClassVar[Table]


class IdMixin:
    """Surrogate integer key; external systems use each table's `code` instead."""

    id: Mapped[int] = mapped_column(primary_key=True)


class TimestampMixin:
    """When a row was written and last changed, for audit and sync."""

    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
