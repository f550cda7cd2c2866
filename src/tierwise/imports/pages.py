"""The imports page: upload, read the validation report; one bad row and nothing is written."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from tierwise.i18n import _
from tierwise.identity.access import require
from tierwise.identity.roles import Permission
from tierwise.imports.entities import ImportKind
from tierwise.imports.uploads import import_upload, upload_name
from tierwise.ingest.errors import ImportFileError, ImportRejected
from tierwise.ingest.pipeline import ImportOptions
from tierwise.web.deps import AppDep, UowDep
from tierwise.web.pages import PagePrincipal
from tierwise.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/imports", response_class=HTMLResponse)
def imports(request: Request, principal: PagePrincipal) -> HTMLResponse:
    """The upload form."""
    require(principal, Permission.IMPORTS_RUN)
    return render(request, "imports.html", principal, kinds=list(ImportKind))


@router.post("/imports", response_class=HTMLResponse)
def upload(
    request: Request,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    kind: Annotated[ImportKind, Form()],
    file: Annotated[UploadFile, File()],
) -> HTMLResponse:
    """Import all or nothing, and show what was written or every bad value with its place."""
    require(principal, Permission.IMPORTS_RUN)
    name = upload_name(file.filename)
    context: dict[str, Any] = {"kinds": list(ImportKind), "chosen": kind.value, "file": name}
    options = ImportOptions.from_settings(app.settings)
    try:
        result = import_upload(uow, principal, kind, name, file.file, options)
    except ImportRejected as exc:
        return render(
            request,
            "imports.html",
            principal,
            status=422,
            error=str(exc),
            rejected=exc.log.errors,
            **context,
        )
    except ImportFileError as exc:
        return render(request, "imports.html", principal, status=422, error=str(exc), **context)
    uow.commit()
    return render(
        request,
        "imports.html",
        principal,
        result=result,
        **context,
        message=_("{file}: {rows} rows imported.").format(file=name, rows=result.rows),
    )
