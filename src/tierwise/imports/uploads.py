"""A file sent over HTTP (API or console), imported exactly as the CLI imports one, and audited."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from tierwise.customers.choices import CustomerKind
from tierwise.db.session import UnitOfWork
from tierwise.i18n import _
from tierwise.identity.access import Principal
from tierwise.identity.audit import record
from tierwise.imports.entities import ImportKind, entity_for
from tierwise.ingest.errors import ImportFileError
from tierwise.ingest.pipeline import ImportOptions, ImportResult, run_import
from tierwise.ingest.tables import Progress

SUFFIXES = {".csv", ".xlsx", ".txt"}


def upload_name(filename: str | None) -> str:
    """The name the user knows the file by, without any folder a browser sent along."""
    return Path(filename or "upload.csv").name


def import_file(
    uow: UnitOfWork,
    principal: Principal,
    kind: ImportKind,
    customer_kind: CustomerKind,
    path: Path,
    options: ImportOptions,
    progress: Progress | None = None,
) -> ImportResult:
    """Import a file on disk all or nothing (ImportRejected names every bad value); audited."""
    result = run_import(uow.connection, entity_for(kind, customer_kind), path, options, progress)
    note = f"{result.rows} rows, command line"
    record(uow.session, principal, "import", kind.value, path.name, note=note)
    return result


def import_upload(
    uow: UnitOfWork,
    principal: Principal,
    kind: ImportKind,
    name: str,
    content: BinaryIO,
    options: ImportOptions,
) -> ImportResult:
    """Import all or nothing (ImportRejected names every bad value); the import is audited."""
    if Path(name).suffix.lower() not in SUFFIXES:
        raise ImportFileError(name, _("send a .csv or .xlsx file"))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / (Path(name).stem[:100] + Path(name).suffix)  # a name fits the disk
        with path.open("wb") as copy:
            shutil.copyfileobj(content, copy)  # in chunks: an upload may be large
        result = run_import(
            uow.connection, entity_for(kind, CustomerKind.ENTERPRISE), path, options
        )
    record(uow.session, principal, "import", kind.value, name, note=f"{result.rows} rows")
    return result
