"""A customer's tier statement from the console's button, the same page the API answers."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from tierwise.identity.access import Principal
from tierwise.tiering.statement import statement_for
from tierwise.tiering.statement_render import pdf_of, statement_html
from tierwise.web.deps import AppDep, UowDep
from tierwise.web.pages import PagePrincipal
from tierwise.web.security import attachment

router = APIRouter(include_in_schema=False)
Format = Literal["html", "pdf"]


def answer(app: AppDep, uow: UowDep, principal: Principal, code: str, fmt: str) -> Response:
    """The statement of a customer the principal may open, as a page or a PDF download."""
    statement = statement_for(uow.session, principal, code, app.settings.today())
    html = statement_html(statement)
    if fmt == "pdf":
        headers = attachment(f"{statement.code}.pdf")
        return Response(pdf_of(html), media_type="application/pdf", headers=headers)
    return HTMLResponse(html)


@router.get("/customers/{code}/statement")
def statement_page(
    code: str,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    format: Format = "html",
) -> Response:
    """The statement to print or send, from the customer's page."""
    return answer(app, uow, principal, code, format)
