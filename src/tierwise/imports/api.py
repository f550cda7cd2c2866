"""Imports and exports over HTTP, with the CLI's validation report and the caller's masking."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, File, Query, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from tierwise.customers import usecases as customer_jobs
from tierwise.customers.models import Customer
from tierwise.customers.reads import customer_rows, marketing_consented, scoped_customers
from tierwise.identity.access import Principal
from tierwise.identity.roles import Permission
from tierwise.imports.entities import ImportKind
from tierwise.imports.uploads import import_upload, upload_name
from tierwise.ingest.pipeline import ImportOptions
from tierwise.sheets import BOM, CsvWriter
from tierwise.web.deps import AppDep, UowDep, allowed
from tierwise.web.problems import error_responses
from tierwise.web.security import attachment

router = APIRouter(tags=["imports and exports"])
EXPORT_COLUMNS = ("code", "name", "kind", "status", "tier", "owner", "phone", "email", "address")
PAGE_ROWS = 2000


class ImportOut(BaseModel):
    """What the import wrote: rows read, inserted, updated, unchanged, customers created."""

    entity: str
    file: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    created_customers: int
    ignored_columns: list[str]


@router.post(
    "/imports/{kind}",
    response_model=ImportOut,
    status_code=201,
    responses=error_responses(401, 403, 422),
)
def import_file(
    kind: ImportKind,
    app: AppDep,
    uow: UowDep,
    file: Annotated[UploadFile, File(description="CSV (UTF-8, BOM, GB18030) or XLSX")],
    create_customers: bool = False,
    principal: Principal = allowed(Permission.IMPORTS_RUN),
) -> dict[str, Any]:
    """Import a file all or nothing: any bad value is reported (file, row, column, value) and
    nothing is written."""
    name = upload_name(file.filename)
    options = ImportOptions.from_settings(app.settings, create_customers=create_customers)
    result = import_upload(uow, principal, kind, name, file.file, options)
    uow.commit()
    counts = result.counts
    return {
        "entity": result.entity,
        "file": name,
        "rows": result.rows,
        "inserted": counts.inserted,
        "updated": counts.updated,
        "unchanged": counts.unchanged,
        "created_customers": counts.created_customers,
        "ignored_columns": result.ignored_columns,
    }


def _csv(uow: Any, principal: Principal, secret: str, marketing: bool) -> Iterator[str]:
    """Customers in the caller's scope, masked for them, a page at a time."""
    query = scoped_customers(uow, principal)
    if marketing:
        query = query.where(Customer.id.in_(marketing_consented()))
    last = 0
    yield BOM + ",".join(EXPORT_COLUMNS) + "\r\n"
    while True:
        batch = list(
            uow.session.scalars(
                query.where(Customer.id > last).order_by(Customer.id).limit(PAGE_ROWS)
            )
        )
        if not batch:
            return
        last = batch[-1].id
        text = io.StringIO()
        writer = CsvWriter(text)
        for row in customer_rows(uow, principal, batch, secret):
            writer.writerow([row[c] for c in EXPORT_COLUMNS])
        yield text.getvalue()


@router.get(
    "/exports/customers",
    responses={200: {"content": {"text/csv": {}}}, **error_responses(401, 403, 422)},
)
def export_customers(
    app: AppDep,
    uow: UowDep,
    purpose: Annotated[
        str, Query(pattern="^(service|marketing)$", description="marketing: consented only")
    ] = "service",
    principal: Principal = allowed(Permission.EXPORTS_RUN),
) -> StreamingResponse:
    """Customers you may see as CSV, masked as you see them; a marketing export leaves out
    everyone without marketing consent in force."""
    customer_jobs.export_customers(uow, principal, f"purpose {purpose}")
    uow.commit()
    rows = list(_csv(uow, principal, app.settings.secret_key, purpose == "marketing"))
    headers = attachment(f"customers-{purpose}.csv")
    return StreamingResponse(iter(rows), media_type="text/csv; charset=utf-8", headers=headers)
