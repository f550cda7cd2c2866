"""The ticket pages a helpdesk works from: the list with its views and bulk actions, the board by
status, and the ticket page's assignment, comments and macros."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import Field

from tierwise.db.base import utcnow
from tierwise.db.session import UnitOfWork
from tierwise.desk import work
from tierwise.desk.macros import apply_macro
from tierwise.desk.pages import ticket_response
from tierwise.desk.usecases import move_ticket
from tierwise.desk.views import TicketLine, View, ticket_view
from tierwise.desk.workflow import MOVES, TicketStatus, department_needed, note_needed
from tierwise.errors import Conflict
from tierwise.i18n import _, current_language
from tierwise.identity.access import Principal
from tierwise.organisation.service import active_rules
from tierwise.web.deps import AppDep, UowDep
from tierwise.web.pages import PagePrincipal, redirect_with
from tierwise.web.render import render
from tierwise.web.types import MAX_ID, RowId

router = APIRouter(include_in_schema=False)
LISTED = 200
BOARD = 300


@dataclass(frozen=True)
class Outcome:
    """What a bulk action did to one ticket, or why it was refused."""

    ticket_id: int
    done: bool
    message: str


def _status_of(text: str) -> TicketStatus | None:
    """The status a filter names, by key or label; none for the open tickets."""
    if not text:
        return None
    found = TicketStatus.aliases().get(text.casefold())
    if found is None:
        raise ValueError(_("status: {value} is no ticket status").format(value=text))
    return found


def _list_page(
    request: Request,
    uow: UnitOfWork,
    principal: Principal,
    zone: str,
    view: str,
    status: str,
    tier: str,
    outcomes: list[Outcome] | None = None,
) -> HTMLResponse:
    """The list page of a view, with what a bulk action did when there was one."""
    lines: list[TicketLine] = []
    error = None
    chosen = View.aliases().get(view.casefold(), View.ALL)
    try:
        lines, _more = ticket_view(
            uow, principal, zone, utcnow(), chosen, _status_of(status), tier or None, limit=LISTED
        )
    except ValueError as refused:
        error = str(refused)
    rules = active_rules(uow.connection)
    return render(
        request,
        "tickets.html",
        principal,
        lines=lines,
        error=error,
        views=list(View),
        view=chosen,
        statuses=list(TicketStatus),
        status_filter=status,
        tiers=[t.tier for t in rules.tiers],
        tier=tier,
        workers=work.workers(uow.session),
        outcomes=outcomes,
    )


@router.get("/service/tickets", response_class=HTMLResponse)
def ticket_list(
    request: Request,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    view: str = "all",
    status: str = "",
    tier: str = "",
) -> HTMLResponse:
    """Tickets of a view — mine, my team's, unassigned, breaching soon — by tier and status."""
    return _list_page(request, uow, principal, app.settings.timezone, view, status, tier)


@router.post("/service/tickets/bulk", response_class=HTMLResponse)
def bulk(
    request: Request,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    action: Annotated[str, Form(pattern="^(assign|move)$")],
    ids: Annotated[list[Annotated[int, Field(ge=1, le=MAX_ID)]], Form()] = [],  # noqa: B006 (FastAPI copies form defaults)
    assignee: Annotated[str, Form(max_length=64)] = "",
    to: Annotated[str, Form(max_length=40)] = "",
    view: Annotated[str, Form(max_length=20)] = "all",
    status: Annotated[str, Form(max_length=40)] = "",
    tier: Annotated[str, Form(max_length=16)] = "",
) -> HTMLResponse:
    """Assign or move the ticked tickets, each through its use case on its own: the page says per
    ticket what was done or why not, and shows the same view again."""
    zone, outcomes = app.settings.timezone, []
    if not ids:
        outcomes.append(Outcome(0, False, _("tick at least one ticket")))
    for ticket_id in ids:
        savepoint = uow.session.begin_nested()
        try:
            if action == "assign":
                staff = work.assign_ticket(uow, principal, ticket_id, assignee or None)
                message = (
                    _("assigned to {name}").format(name=staff.name)
                    if staff
                    else _("back in the desk's queue")
                )
            else:
                target = _status_of(to)
                if target is None:
                    raise ValueError(_("to: choose the status to move to"))
                move_ticket(uow, principal, zone, ticket_id, target, None, None)
                message = _("now {status}").format(status=target.label(current_language()))
        except (LookupError, ValueError) as refused:
            savepoint.rollback()
            outcomes.append(Outcome(ticket_id, False, str(refused)))
            continue
        savepoint.commit()
        outcomes.append(Outcome(ticket_id, True, message))
    uow.commit()
    return _list_page(request, uow, principal, zone, view, status, tier, outcomes)


@router.get("/service/board", response_class=HTMLResponse)
def board(
    request: Request,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    view: str = "all",
    tier: str = "",
) -> HTMLResponse:
    """Open tickets of a view in a column per status; each card offers only its legal moves, and
    a move that needs a note or a department opens the ticket page instead."""
    chosen = View.aliases().get(view.casefold(), View.ALL)
    lines: list[TicketLine] = []
    error = None
    try:
        lines, _more = ticket_view(
            uow, principal, app.settings.timezone, utcnow(), chosen, tier=tier or None, limit=BOARD
        )
    except ValueError as refused:
        error = str(refused)
    columns = [
        (status, [line for line in lines if line.ticket.status is status])
        for status in TicketStatus
        if status is not TicketStatus.CLOSED
    ]
    cards = {
        line.ticket.id: [
            (
                move,
                note_needed(line.ticket.kind, line.ticket.status)
                or (
                    move is TicketStatus.ASSIGNED
                    and department_needed(line.ticket.kind, line.ticket.status)
                ),
            )
            for move in MOVES[line.ticket.kind][line.ticket.status]
        ]
        for line in lines
    }
    return render(
        request,
        "board.html",
        principal,
        columns=columns,
        cards=cards,
        views=list(View),
        view=chosen,
        tier=tier,
        error=error,
    )


def _on_ticket(
    request: Request,
    uow: UnitOfWork,
    principal: Principal,
    zone: str,
    ticket_id: int,
    act: Callable[[], str],
    error_key: str,
    **kept: str,
) -> RedirectResponse | HTMLResponse:
    """Do one thing on the ticket page: back to the page with what was done, or the page again
    with the reason beside the form and what was typed kept."""
    try:
        done = act()
    except LookupError:
        return ticket_response(request, uow, principal, zone, ticket_id)
    except ValueError as refused:
        uow.session.rollback()
        status = 409 if isinstance(refused, Conflict) else 400
        return ticket_response(
            request, uow, principal, zone, ticket_id, status, **{error_key: str(refused)}, **kept
        )
    uow.commit()
    return redirect_with(request, f"/service/tickets/{ticket_id}", done)


@router.post("/service/tickets/{ticket_id}/assign", response_model=None)
def assign(
    request: Request,
    ticket_id: RowId,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    assignee: Annotated[str, Form(max_length=64)] = "",
) -> RedirectResponse | HTMLResponse:
    """Give the ticket to a person, or back to the desk's queue when none is chosen."""

    def act() -> str:
        """Assign, and say to whom."""
        staff = work.assign_ticket(uow, principal, ticket_id, assignee or None)
        if staff is None:
            return _("Ticket {id} is back in the desk's queue.").format(id=ticket_id)
        return _("Ticket {id} is assigned to {name}.").format(id=ticket_id, name=staff.name)

    zone = app.settings.timezone
    return _on_ticket(request, uow, principal, zone, ticket_id, act, "assign_error")


@router.post("/service/tickets/{ticket_id}/comments", response_model=None)
def comment(
    request: Request,
    ticket_id: RowId,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    body: Annotated[str, Form(max_length=4000)] = "",
    internal: Annotated[str, Form(max_length=5)] = "",
) -> RedirectResponse | HTMLResponse:
    """Add a reply for the customer, or an internal note when ticked."""

    def act() -> str:
        """Comment, and say so."""
        work.comment_on(uow, principal, ticket_id, body, bool(internal), utcnow())
        return _("Comment added to ticket {id}.").format(id=ticket_id)

    zone = app.settings.timezone
    return _on_ticket(
        request, uow, principal, zone, ticket_id, act, "comment_error", kept_comment=body
    )


@router.post("/service/tickets/{ticket_id}/macro", response_model=None)
def macro(
    request: Request,
    ticket_id: RowId,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    name: Annotated[str, Form(min_length=1, max_length=100)],
) -> RedirectResponse | HTMLResponse:
    """Apply a canned reply: the reply as a comment for the customer, and its move if it has one."""
    zone = app.settings.timezone

    def act() -> str:
        """Apply the macro, and name it."""
        applied = apply_macro(uow, principal, zone, ticket_id, name, utcnow())
        return _("Macro {name} applied to ticket {id}.").format(name=applied.name, id=ticket_id)

    return _on_ticket(request, uow, principal, zone, ticket_id, act, "macro_error")
