"""Facts leave the system of record as Arrow tables in bulk (ADBC on PostgreSQL, sqlite3 else)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from sqlalchemy import Engine, Float, Select, and_, case, cast, func, not_, select
from sqlalchemy.engine import Dialect

from tierwise.customers.choices import ConsentPurpose
from tierwise.customers.models import Customer, Interaction, Referral
from tierwise.customers.reads import consent_in_force
from tierwise.customers.surveys import SatisfactionFactor, Survey
from tierwise.organisation.choices import InteractionChannel
from tierwise.runtime import EventSource
from tierwise.sales.models import Order, OrderLine, Product

BATCH_ROWS = 100_000  # rows converted to Arrow at a time when reading SQLite


@dataclass(frozen=True)
class Facts:
    """Everything the indicators are computed from, as of one date."""

    as_of: dt.date
    lines: pa.Table
    customers: pa.Table
    referrals: pa.Table
    first_contacts: pa.Table
    surveys: pa.Table
    # What serving the customers took (cost-to-serve); none known unless given.
    contacts: pa.Table = field(default_factory=lambda: SCHEMAS["contacts"].empty_table())
    credit: pa.Table = field(default_factory=lambda: SCHEMAS["credit"].empty_table())
    events: pa.Table = field(default_factory=lambda: SCHEMAS["events"].empty_table())


SURVEY_FACTORS = [factor.value for factor in SatisfactionFactor]

SCHEMAS: dict[str, pa.Schema] = {
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
            ("wallet_estimate", pa.float64()),
            ("profiling_withheld", pa.bool_()),
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
    "contacts": pa.schema(
        [
            ("customer_id", pa.int64()),
            ("channel", pa.string()),
            ("contacts", pa.int64()),
            ("logged_minutes", pa.float64()),
            ("unlogged", pa.int64()),
        ]
    ),
    "credit": pa.schema(
        [
            ("customer_id", pa.int64()),
            ("order_id", pa.int64()),
            ("order_date", pa.date32()),
            ("due_on", pa.date32()),
        ]
    ),
    "events": pa.schema(
        [
            ("customer_id", pa.int64()),
            ("kind", pa.string()),
            ("quantity", pa.float64()),
            ("value", pa.float64()),
        ]
    ),
}


def day_ends(as_of: dt.date, zone: str = "UTC") -> dt.datetime:
    """The instant the as-of day ends in the company's zone: what happened before it counts."""
    return dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), ZoneInfo(zone)).astimezone(
        dt.UTC
    )


def queries(as_of: dt.date, zone: str = "UTC") -> dict[str, Select[Any]]:
    """The SELECTs that extract each fact table; only what happened up to and including as_of."""
    o, line, p = Order.__table__, OrderLine.__table__, Product.__table__
    c, r, i, s = Customer.__table__, Referral.__table__, Interaction.__table__, Survey.__table__
    ends = day_ends(as_of, zone)
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
            cast(c.c.wallet_estimate, Float),
            # Consent is applied when the run is made, whatever its as-of date (docs/analytics.md).
            c.c.id.in_(consent_in_force(ConsentPurpose.ANALYTICS, granted=False)),
        ),
        "referrals": select(r.c.referrer_id, func.count())
        .where(r.c.referred_on <= as_of)
        .group_by(r.c.referrer_id),
        "first_contacts": select(i.c.customer_id, func.date(func.min(i.c.occurred_at)))
        .where(i.c.occurred_at < ends)
        .group_by(i.c.customer_id),
        "surveys": select(
            s.c.customer_id,
            s.c.answered_on,
            s.c.nps,
            s.c.csat,
            *(s.c[f"{f}_{side}"] for f in SURVEY_FACTORS for side in ("expected", "perceived")),
        ).where(s.c.answered_on <= as_of),
        # A note the system writes by itself (a ticket moving) is costed with its ticket.
        "contacts": select(
            i.c.customer_id,
            i.c.channel,
            func.count(),
            cast(func.sum(i.c.minutes), Float),
            func.sum(case((i.c.minutes.is_(None), 1), else_=0)),
        )
        .where(
            i.c.occurred_at < ends,
            not_(and_(i.c.channel == InteractionChannel.OTHER, i.c.staff_id.is_(None))),
        )
        .group_by(i.c.customer_id, i.c.channel),
        "credit": select(o.c.customer_id, o.c.id, o.c.order_date, o.c.due_on).where(
            o.c.due_on.is_not(None), o.c.order_date <= as_of
        ),
    }


def _sql(query: Select[Any], dialect: Dialect) -> str:
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Name and type columns the same whichever database they came from."""
    if table.num_rows == 0:
        return schema.empty_table()
    columns = [column.cast(field.type) for column, field in zip(table.columns, schema, strict=True)]
    return pa.Table.from_arrays(columns, schema=schema)


def _column(values: tuple[Any, ...], kind: pa.DataType) -> pa.Array:
    """One column of fetched rows as Arrow: SQLite hands dates over as text and booleans as 0/1."""
    if pa.types.is_date(kind):
        return pa.array(values, pa.string()).cast(kind)
    if pa.types.is_boolean(kind):
        return pa.array(values, pa.int64()).cast(kind)
    return pa.array(values, kind)


def _streamed(cursor: Any, schema: pa.Schema) -> pa.Table:
    """The rows of an executed SQLite cursor as an Arrow table, converted one batch at a time."""
    batches = []
    while rows := cursor.fetchmany(BATCH_ROWS):
        columns = zip(*rows, strict=True)
        arrays = [_column(v, f.type) for v, f in zip(columns, schema, strict=True)]
        batches.append(pa.RecordBatch.from_arrays(arrays, schema=schema))
    return pa.Table.from_batches(batches, schema=schema)


def extract(
    engine: Engine, as_of: dt.date, events: Sequence[EventSource] = (), zone: str = "UTC"
) -> Facts:
    """Read every fact table, and the service events of upper capabilities, in one consistent
    read transaction; timestamps count up to the end of the as-of day in `zone`."""
    wanted = {name: (query, SCHEMAS[name]) for name, query in queries(as_of, zone).items()}
    for number, source in enumerate(events):
        wanted[f"events_{number}"] = (source(as_of, day_ends(as_of, zone)), SCHEMAS["events"])
    tables = fetch(engine, wanted)
    parts = [tables.pop(f"events_{number}") for number in range(len(events))]
    merged = pa.concat_tables(parts) if parts else SCHEMAS["events"].empty_table()
    return Facts(as_of=as_of, events=merged, **tables)


def fetch(engine: Engine, wanted: dict[str, tuple[Select[Any], pa.Schema]]) -> dict[str, pa.Table]:
    """Run each SELECT in one read transaction and return Arrow tables typed by their schemas."""
    if engine.dialect.name == "sqlite":
        return _fetch_sqlite(engine, wanted)
    return _fetch_postgresql(engine, wanted)


def _fetch_sqlite(
    engine: Engine, wanted: dict[str, tuple[Select[Any], pa.Schema]]
) -> dict[str, pa.Table]:
    """Through the process's own `sqlite3` library: a second SQLite library in the process (such as
    ADBC's) would drop this process's locks when it closes, and another process could then delete
    the write-ahead log under the server's connections."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("BEGIN")  # deferred: a read snapshot that never waits for writers
        try:
            tables = {}
            for name, (query, schema) in wanted.items():
                cursor.execute(_sql(query, engine.dialect))
                tables[name] = _streamed(cursor, schema)
        finally:
            cursor.execute("ROLLBACK")
            cursor.close()
    finally:
        connection.close()
    return tables


def _fetch_postgresql(
    engine: Engine, wanted: dict[str, tuple[Select[Any], pa.Schema]]
) -> dict[str, pa.Table]:
    """Through ADBC, which reads PostgreSQL's binary COPY straight into Arrow."""
    import adbc_driver_postgresql.dbapi as adbc

    plain = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = adbc.connect(plain)
    tables: dict[str, pa.Table] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            for name, (query, schema) in wanted.items():
                cursor.execute(_sql(query, engine.dialect))
                tables[name] = _conform(cursor.fetch_arrow_table(), schema)
        connection.rollback()
    finally:
        connection.close()
    return tables
