"""Ticket pages: open a ticket from the desk, one ticket with its clocks and steps, its moves."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from tierwise.customers.choices import ChurnType, churn_type_of
from tierwise.db.session import UnitOfWork
from tierwise.desk import usecases, work
from tierwise.desk.macros import macros_for
from tierwise.desk.workflow import (
    TicketKind,
    TicketStatus,
    department_needed,
    note_needed,
)
from tierwise.errors import Conflict
from tierwise.i18n import _, current_language
from tierwise.identity.access import Principal, require
from tierwise.identity.roles import Permission
from tierwise.organisation.service import active_rules
from tierwise.web.deps import AppDep, UowDep
from tierwise.web.pages import PagePrincipal, redirect_with
from tierwise.web.render import render
from tierwise.web.types import RowId

router = APIRouter(include_in_schema=False)
SHOWN = 50


@router.post("/service/tickets")
def open_ticket(
    request: Request,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    customer: Annotated[str, Form(min_length=1, max_length=64)],
    kind: Annotated[TicketKind, Form()],
    subject: Annotated[str, Form(min_length=1, max_length=200)],
) -> RedirectResponse:
    """Open a request or complaint; its clocks run in business hours from now."""
    require(principal, Permission.TICKETS_WRITE)
    ticket_id = usecases.open_ticket(
        uow, principal, app.settings.timezone, customer.strip(), kind, subject, "phone"
    )
    uow.commit()
    return redirect_with(request, "/service", _("Ticket {id} opened.").format(id=ticket_id))


def ticket_response(
    request: Request,
    uow: UnitOfWork,
    principal: Principal,
    zone: str,
    ticket_id: int,
    status: int = 200,
    **refused: object,
) -> HTMLResponse:
    """The ticket page, or the 404 page with the menu for a ticket out of sight."""
    try:
        file = usecases.ticket_file(uow, principal, zone, ticket_id)
    except LookupError as missing:
        return render(
            request, "error.html", principal, 404, status_code=404, detail=str(missing), errors=[]
        )
    rules = active_rules(uow.connection)
    return render(
        request,
        "ticket.html",
        principal,
        status,
        file=file,
        t=file.ticket,
        note_needed=note_needed(file.ticket.kind, file.ticket.status),
        department_needed=department_needed(file.ticket.kind, file.ticket.status),
        churn_types=list(ChurnType),
        closed=TicketStatus.CLOSED,
        workers=work.workers(uow.session),
        macros=macros_for(rules, file.ticket.kind.value, file.ticket.tier),
        **refused,
    )


@router.get("/service/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket_page(
    request: Request, ticket_id: RowId, app: AppDep, uow: UowDep, principal: PagePrincipal
) -> HTMLResponse:
    """One ticket: its clocks with the business time left, every step, and the moves it may make."""
    return ticket_response(request, uow, principal, app.settings.timezone, ticket_id)


@router.post("/service/tickets/{ticket_id}/move", response_model=None)
def move_ticket(
    request: Request,
    ticket_id: RowId,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    to: Annotated[TicketStatus, Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
    department: Annotated[str, Form(max_length=100)] = "",
    churn_type: Annotated[str, Form(max_length=40)] = "",
    back: Annotated[str, Form(max_length=10)] = "",
) -> RedirectResponse | HTMLResponse:
    """Move a ticket along its workflow; a refused move shows the ticket page again with the
    reason beside the form and the agent's note kept; a move made on the ticket page returns
    there, one made on the board to the board (`back`: ticket, board, or the desk). Closing may
    say why the customer was lost."""
    zone = app.settings.timezone
    try:
        usecases.move_ticket(
            uow,
            principal,
            zone,
            ticket_id,
            to,
            note.strip() or None,
            department.strip() or None,
            churn_type=churn_type_of(churn_type),
        )
    except LookupError:
        return ticket_response(request, uow, principal, zone, ticket_id)
    except ValueError as refused:
        uow.session.rollback()
        status = 409 if isinstance(refused, Conflict) else 400
        return ticket_response(
            request,
            uow,
            principal,
            zone,
            ticket_id,
            status,
            move_error=str(refused),
            kept_note=note,
            kept_department=department,
            kept_to=to.value,
        )
    uow.commit()
    return redirect_with(
        request,
        {"ticket": f"/service/tickets/{ticket_id}", "board": "/service/board"}.get(
            back, "/service"
        ),
        _("Ticket {id} is now {status}.").format(id=ticket_id, status=to.label(current_language())),
    )
