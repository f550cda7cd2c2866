"""Export the latest snapshot, customer code and name first, for spreadsheets and data tools."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from tierwise.analytics.labels import value_label
from tierwise.analytics.models import CustomerIndicator
from tierwise.analytics.reports import Report
from tierwise.analytics.service import latest_run
from tierwise.customers.models import Customer
from tierwise.db.session import UnitOfWork
from tierwise.identity.access import Principal
from tierwise.identity.audit import record
from tierwise.identity.operator import UNMASKED
from tierwise.sheets import write_table_csv, write_workbook

SKIPPED = {"run_id", "customer_id"}


def snapshot_table(session: Session) -> pa.Table:
    """The latest snapshot as an Arrow table."""
    run = latest_run(session)
    indicators = [c for c in CustomerIndicator.__table__.columns if c.name not in SKIPPED]
    query = (
        select(Customer.code, Customer.name, *indicators)
        .join(Customer, Customer.id == CustomerIndicator.customer_id)
        .where(CustomerIndicator.run_id == run.id)
        .order_by(Customer.code)
    )
    result = session.execute(query)
    names = list(result.keys())
    columns: list[list[object]] = [[] for _ in names]
    for row in result:
        for i, value in enumerate(row):
            columns[i].append(float(value) if isinstance(value, Decimal) else value)
    table = pa.table(dict(zip(names, columns, strict=True)))
    return table.append_column("as_of", pa.array([run.as_of] * table.num_rows, pa.date32()))


def export_snapshot(session: Session, path: Path, fmt: str) -> int:
    """Write the snapshot as CSV (UTF-8 BOM), Parquet or XLSX; the file appears when complete."""
    table = snapshot_table(session)
    tmp = path.with_name(path.name + ".part")
    if fmt == "parquet":
        pq.write_table(table, tmp)
    elif fmt == "xlsx":
        rows = (list(row.values()) for row in table.to_pylist())
        write_workbook(tmp, {"indicators": itertools.chain([table.column_names], rows)})
    else:
        write_table_csv(table, tmp)
    tmp.replace(path)
    return int(table.num_rows)


def report_rows(report: Report) -> Iterator[list[object]]:
    """A report as spreadsheet rows: its title, the headers, the rows, then its notes."""
    yield [report.title]
    yield [value_label(c) for c in report.columns]
    for row in report.rows:
        yield [value_label(v) if isinstance(v, str) else v for v in row]
    for note in report.notes:
        yield [note]


def sheet_name(place: int, title: str) -> str:
    """A worksheet name Excel accepts (31 characters, none of []:*?/\\), unique by its place."""
    return re.sub(r"[\[\]:*?/\\]", " ", f"{place} {title}")[:31].strip()


def export_reports(
    uow: UnitOfWork, principal: Principal, name: str, reports: Sequence[Report], path: Path
) -> None:
    """Write reports to an XLSX, one sheet each; who took it is audited, as it names customers."""
    record(uow.session, principal, "export", "report", name, ["name"], note=f"to {path.name}")
    tmp = path.with_name(path.name + ".part")
    write_workbook(tmp, {sheet_name(i, r.title): report_rows(r) for i, r in enumerate(reports, 1)})
    tmp.replace(path)


def export_indicators(uow: UnitOfWork, principal: Principal, path: Path, fmt: str) -> int:
    """Write the latest snapshot with customers' names to `path`; who took it is audited."""
    note = f"{UNMASKED}, to {path.name}"
    record(uow.session, principal, "export", "indicators", None, ["name"], note=note)
    return export_snapshot(uow.session, path, fmt)
