"""The agent's desk, the CSR's home: take the next caller with one key, see the caller's card at
once, say who an unknown caller is, open a ticket and wrap the call up without leaving the page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from tierwise.customers.choices import InteractionOutcome
from tierwise.customers.service import CustomerNotFound
from tierwise.db.base import utcnow
from tierwise.db.session import UnitOfWork
from tierwise.desk import agent_desk, calls, queue
from tierwise.desk.workflow import TicketKind
from tierwise.errors import Conflict
from tierwise.i18n import _
from tierwise.identity.access import Forbidden, Principal, require
from tierwise.identity.roles import Permission
from tierwise.organisation.service import active_rules
from tierwise.web.deps import AppDep, UowDep
from tierwise.web.pages import PagePrincipal, redirect_with
from tierwise.web.render import render
from tierwise.web.types import RowId

router = APIRouter(include_in_schema=False)
WRAP_OUTCOMES = [o for o in InteractionOutcome if o is not InteractionOutcome.NO_ANSWER]


def _desk(
    request: Request,
    zone: str,
    uow: UnitOfWork,
    principal: Principal,
    status: int = 200,
    find: str | None = None,
    **kept: Any,
) -> HTMLResponse:
    """The desk page; a refused wrap-up or look-up comes back here with what was typed."""
    now = utcnow()
    view = agent_desk.desk_view(uow, principal, zone, now)
    found = agent_desk.find_caller(uow, principal, find) if find else None
    uow.commit()
    return render(
        request,
        "service.html",
        principal,
        status,
        view=view,
        sla_warnings=view.sla_warnings,
        card=view.card,
        find=find or "",
        found=found,
        kinds=list(TicketKind),
        outcomes=WRAP_OUTCOMES,
        now=now,
        **kept,
    )


def _refused(
    request: Request, zone: str, uow: UnitOfWork, principal: Principal, status: int, **kept: Any
) -> HTMLResponse:
    """Nothing of a refused step is kept; the desk comes back with the reason and what was typed."""
    uow.session.rollback()
    said = {k: str(v) if isinstance(v, Exception) else v for k, v in kept.items()}
    return _desk(request, zone, uow, principal, status, **said)


@router.get("/service", response_class=HTMLResponse)
def service_desk(
    request: Request,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    find: Annotated[str | None, Query(max_length=100)] = None,
) -> HTMLResponse:
    """Who waits and for how long, the call in hand with its caller's card, callbacks due."""
    require(principal, Permission.QUEUE_WORK)
    return _desk(request, app.settings.timezone, uow, principal, find=(find or "").strip() or None)


def _back(request: Request, message: str) -> RedirectResponse:
    return redirect_with(request, "/service", message)


@router.post("/service/queue")
def add_call(
    request: Request,
    uow: UowDep,
    principal: PagePrincipal,
    caller: Annotated[str, Form(min_length=1, max_length=64)],
) -> RedirectResponse:
    """Queue a call: the caller is identified within your scope and waits in their tier's lane."""
    require(principal, Permission.QUEUE_WORK)
    contact_id, who = queue.enqueue(
        uow.connection, active_rules(uow.connection), caller.strip(), utcnow(), principal
    )
    uow.commit()
    return _back(
        request,
        _("Contact {id} queued: tier {tier}, lane {lane}.").format(
            id=contact_id, tier=who.tier or _("unknown"), lane=agent_desk.lane_name(who.lane)
        ),
    )


@router.post("/service/take")
def take(request: Request, uow: UowDep, principal: PagePrincipal) -> RedirectResponse:
    """Answer the next caller; the desk then shows their card."""
    row = calls.take_call(uow, principal, utcnow())
    uow.commit()
    return _back(request, _("Call answered.") if row else _("Nobody is waiting."))


@router.post("/service/calls/{contact_id}/caller", response_model=None)
def attach_caller(
    request: Request,
    contact_id: RowId,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    customer: Annotated[str, Form(min_length=1, max_length=64)],
) -> RedirectResponse | HTMLResponse:
    """Say who the unknown caller in hand is; their card then fills in."""
    try:
        calls.attach_caller(uow, principal, contact_id, customer.strip())
    except (CustomerNotFound, Conflict, Forbidden) as refused:
        return _refused(request, app.settings.timezone, uow, principal, 409, caller_error=refused)
    uow.commit()
    return _back(request, _("The caller is {code}.").format(code=customer.strip()))


@router.post("/service/calls/{contact_id}/prospect", response_model=None)
def prospect_from_call(
    request: Request,
    contact_id: RowId,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    name: Annotated[str, Form(max_length=200)] = "",
) -> RedirectResponse | HTMLResponse:
    """Add the unknown caller in hand as a prospect with their number; their card then fills in."""
    try:
        answer = calls.prospect_from_call(uow, principal, contact_id, name)
    except (ValueError, LookupError, Forbidden, Conflict) as refused:
        status = 409 if isinstance(refused, Conflict) else 400
        zone = app.settings.timezone
        return _refused(request, zone, uow, principal, status, caller_error=refused, kept_name=name)
    uow.commit()
    return _back(request, _("Prospect {code} added: the caller.").format(code=answer["customer"]))


def _follow_up(text: str, zone: ZoneInfo) -> dt.datetime | None:
    """A follow-up time typed in the company's zone (the browser's date-and-time field)."""
    if not text.strip():
        return None
    try:
        moment = dt.datetime.fromisoformat(text.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        if not 1900 <= moment.year <= 2099:
            raise ValueError(text)
        return moment.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        raise ValueError(
            _("Follow-up: {value} is not a date and time").format(value=text)
        ) from None


@router.post("/service/calls/{contact_id}/wrap-up", response_model=None)
def wrap_up(
    request: Request,
    contact_id: RowId,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    outcome: Annotated[InteractionOutcome, Form()],
    memo: Annotated[str, Form(max_length=2000)] = "",
    follow_up: Annotated[str, Form(max_length=40)] = "",
) -> RedirectResponse | HTMLResponse:
    """Finish the call in hand; a refused wrap-up keeps the memo and says why beside the form."""
    try:
        moment = _follow_up(follow_up, ZoneInfo(app.settings.timezone))
        done = calls.wrap_up(
            uow, principal, contact_id, outcome, memo.strip() or None, moment, utcnow()
        )
    except (ValueError, LookupError, Conflict) as refused:
        return _refused(
            request,
            app.settings.timezone,
            uow,
            principal,
            409 if isinstance(refused, Conflict) else 400,
            wrap_error=refused,
            kept_memo=memo,
            kept_follow_up=follow_up,
            kept_outcome=outcome.value,
        )
    uow.commit()
    message = _("Call wrapped up.")
    if done:
        message += " " + _("{n} open task(s) done by it.").format(n=done)
    return _back(request, message)
