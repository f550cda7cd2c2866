"""Facts leave the system of record as Arrow tables in bulk (ADBC; COPY on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import BigInteger, Float, Select, String, cast, func, select
from sqlalchemy.engine import Dialect, make_url

from tierwise.customers.models import Customer, Interaction, Referral
from tierwise.sales.models import Order, OrderLine, Product
from tierwise.service.models import SatisfactionFactor, Survey

NULL_REAL = -1.0e300
NULL_INTEGER = -(2**62)
NULL_TEXT = ""  # imports store empty cells as NULL, so no real value is the empty string


@dataclass(frozen=True)
class Facts:
    """Everything the indicators are computed from, as of one date."""

    as_of: dt.date
    lines: pa.Table
    customers: pa.Table
    referrals: pa.Table
    first_contacts: pa.Table
    surveys: pa.Table


SURVEY_FACTORS = [factor.value for factor in SatisfactionFactor]

SCHEMAS = {
    "lines": pa.schema(
        [
            ("customer_id", pa.int64()),
            ("order_id", pa.int64()),
            ("order_date", pa.date32()),
            ("department", pa.string()),
            ("product_id", pa.int64()),
            ("category", pa.string()),
            ("amount", pa.float64()),
            ("cost", pa.float64()),
            ("is_return", pa.bool_()),
        ]
    ),
    "customers": pa.schema(
        [
            ("customer_id", pa.int64()),
            ("kind", pa.string()),
            ("status", pa.string()),
            ("credit_rating", pa.string()),
            ("management_class", pa.string()),
            ("acquired_on", pa.date32()),
            ("enterprise_nature", pa.string()),
            ("asset_scale", pa.float64()),
            ("annual_revenue", pa.float64()),
            ("growth_rate", pa.float64()),
            ("potential_demand", pa.float64()),
        ]
    ),
    "referrals": pa.schema([("customer_id", pa.int64()), ("referrals", pa.int64())]),
    "first_contacts": pa.schema([("customer_id", pa.int64()), ("first_contact", pa.date32())]),
    "surveys": pa.schema(
        [
            ("customer_id", pa.int64()),
            ("answered_on", pa.date32()),
            ("nps", pa.int64()),
            ("csat", pa.int64()),
            *(
                (f"{f}_{side}", pa.float64())
                for f in SURVEY_FACTORS
                for side in ("expected", "perceived")
            ),
        ]
    ),
}


def queries(as_of: dt.date) -> dict[str, Select[Any]]:
    """The SELECTs that extract each fact table; only what happened up to and including as_of."""
    o, line, p = Order.__table__, OrderLine.__table__, Product.__table__
    c, r, i, s = Customer.__table__, Referral.__table__, Interaction.__table__, Survey.__table__
    next_day = as_of + dt.timedelta(days=1)
    return {
        "lines": select(
            o.c.customer_id,
            o.c.id,
            o.c.order_date,
            o.c.department,
            line.c.product_id,
            p.c.category,
            cast(line.c.amount, Float),
            cast(line.c.cost, Float),
            line.c.returns_order_id.is_not(None),
        )
        .select_from(line)
        .join(o, o.c.id == line.c.order_id)
        .outerjoin(p, p.c.id == line.c.product_id)
        .where(o.c.order_date <= as_of),
        "customers": select(
            c.c.id,
            c.c.kind,
            c.c.status,
            c.c.credit_rating,
            c.c.management_class,
            c.c.acquired_on,
            c.c.enterprise_nature,
            cast(c.c.asset_scale, Float),
            cast(c.c.annual_revenue, Float),
            cast(c.c.growth_rate, Float),
            cast(c.c.potential_demand, Float),
        ),
        "referrals": select(r.c.referrer_id, func.count())
        .where(r.c.referred_on <= as_of)
        .group_by(r.c.referrer_id),
        "first_contacts": select(i.c.customer_id, func.date(func.min(i.c.occurred_at)))
        .where(i.c.occurred_at < dt.datetime.combine(next_day, dt.time(), dt.UTC))
        .group_by(i.c.customer_id),
        "surveys": select(
            s.c.customer_id,
            s.c.answered_on,
            s.c.nps,
            s.c.csat,
            *(s.c[f"{f}_{side}"] for f in SURVEY_FACTORS for side in ("expected", "perceived")),
        ).where(s.c.answered_on <= as_of),
    }


def _sql(query: Select[Any], dialect: Dialect) -> str:
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _sentinel(kind: pa.DataType) -> tuple[Any, Any]:
    """SQL type and stand-in value for NULL in a column of this Arrow type."""
    if pa.types.is_floating(kind):
        return Float(), NULL_REAL
    if pa.types.is_integer(kind) or pa.types.is_boolean(kind):
        return BigInteger(), NULL_INTEGER
    return String(), NULL_TEXT


def _without_nulls(query: Select[Any], schema: pa.Schema) -> Select[Any]:
    """SQLite's driver guesses each column's type from its first values, and a NULL says nothing:
    every column is cast to one type and NULL replaced by a stand-in that _restore_nulls undoes."""
    columns = []
    for column, field in zip(query.selected_columns, schema, strict=True):
        kind, stand_in = _sentinel(field.type)
        columns.append(cast(func.coalesce(column, stand_in), kind).label(field.name))
    return query.with_only_columns(*columns)


def _conform(table: pa.Table, schema: pa.Schema, stand_ins: bool) -> pa.Table:
    """Name and type columns the same whichever database they came from."""
    if table.num_rows == 0:  # SQLite's driver cannot type the columns of an empty result
        return schema.empty_table()
    columns = []
    for column, field in zip(table.columns, schema, strict=True):
        if stand_ins:
            stand_in = pa.scalar(_sentinel(field.type)[1], column.type)
            column = pc.if_else(pc.equal(column, stand_in), pa.scalar(None, column.type), column)
        columns.append(column.cast(field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def extract(url: str, as_of: dt.date) -> Facts:
    """Read every fact table in one consistent read transaction."""
    wanted = {name: (query, SCHEMAS[name]) for name, query in queries(as_of).items()}
    return Facts(as_of=as_of, **fetch(url, wanted))


def fetch(url: str, wanted: dict[str, tuple[Select[Any], pa.Schema]]) -> dict[str, pa.Table]:
    """Run each SELECT in one read transaction and return Arrow tables typed by their schemas."""
    parsed = make_url(url)
    dialect = parsed.get_dialect()()
    sqlite = parsed.get_backend_name() == "sqlite"
    tables: dict[str, pa.Table] = {}
    if sqlite:
        import adbc_driver_sqlite.dbapi as adbc

        # Read-only: closing a writable connection of this second SQLite library would delete the
        # write-ahead log under the application's own connections ("disk I/O error").
        connection = adbc.connect(f"file:{parsed.database}?mode=ro")
    else:
        import adbc_driver_postgresql.dbapi as adbc  # type: ignore[no-redef]

        plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        connection = adbc.connect(plain)
    try:
        with connection.cursor() as cursor:
            if not sqlite:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            for name, (query, schema) in wanted.items():
                statement = _without_nulls(query, schema) if sqlite else query
                cursor.execute(_sql(statement, dialect))
                tables[name] = _conform(cursor.fetch_arrow_table(), schema, stand_ins=sqlite)
        connection.rollback()
    finally:
        connection.close()
    return tables
