"""Export the customer list in the import's own columns, so an export re-imports unchanged."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Select, func, select
from sqlalchemy.orm import aliased

from tierwise.customers.importing import CUSTOMER_COLUMNS
from tierwise.customers.models import Customer
from tierwise.organisation.models import Staff
from tierwise.sheets import CsvWriter, xlsx_row

CHUNK_ROWS = 5000


def customer_rows_query() -> Select[Any]:
    """Every customer with staff and referrer as codes, in the order of CUSTOMER_COLUMNS."""
    table = Customer.__table__
    owner, csr = aliased(Staff.__table__), aliased(Staff.__table__)
    referrer = aliased(table)
    linked = {"owner": owner.c.code, "csr": csr.c.code, "referred_by": referrer.c.code}
    columns = [linked[c.name] if c.name in linked else table.c[c.name] for c in CUSTOMER_COLUMNS]
    return (
        select(*columns)
        .outerjoin(owner, owner.c.id == table.c.owner_id)
        .outerjoin(csr, csr.c.id == table.c.csr_id)
        .outerjoin(referrer, referrer.c.id == table.c.referred_by_id)
        .order_by(table.c.code)
    )


def headers(chinese: bool) -> list[str]:
    """Canonical English headers, or their Chinese equivalents."""
    return [c.zh if chinese else c.name for c in CUSTOMER_COLUMNS]


def _rows(conn: Connection) -> Iterator[Sequence[Any]]:
    # Per statement: on the connection itself yield_per would stream every later statement too.
    yield from conn.execute(customer_rows_query(), execution_options={"yield_per": CHUNK_ROWS})


def count_customers(conn: Connection) -> int:
    """How many rows an export will write, for the progress bar."""
    return int(conn.execute(select(func.count()).select_from(Customer)).scalar_one())


def export_customers(
    conn: Connection,
    path: Path,
    fmt: str,
    chinese_headers: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write every customer to `path` as CSV (UTF-8 with BOM, Excel opens it) or XLSX."""
    total = count_customers(conn)
    written = 0
    tmp = path.with_name(path.name + ".part")
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("customers")
        sheet.append(xlsx_row(sheet, headers(chinese_headers)))
        for row in _rows(conn):
            sheet.append(xlsx_row(sheet, list(row)))
            written += 1
            if progress and written % CHUNK_ROWS == 0:
                progress(written, total)
        workbook.save(tmp)
    else:
        with tmp.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = CsvWriter(handle)
            writer.writerow(headers(chinese_headers))
            for row in _rows(conn):
                writer.writerow(row)
                written += 1
                if progress and written % CHUNK_ROWS == 0:
                    progress(written, total)
    tmp.replace(path)  # a reader never sees half a file
    if progress:
        progress(written, total)
    return written
