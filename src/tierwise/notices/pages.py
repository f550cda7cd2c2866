"""The outbox page: drafts to read and approve, approved notices to send, what went out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from tierwise.i18n import _
from tierwise.identity.access import require
from tierwise.identity.roles import Permission
from tierwise.notices.channels import smtp_from
from tierwise.notices.models import NoticeStatus
from tierwise.notices.service import approve, list_notices, no_server, send
from tierwise.web.deps import AppDep, UowDep, as_of_today
from tierwise.web.pages import PagePrincipal, redirect_with
from tierwise.web.render import render

router = APIRouter(include_in_schema=False)
MAX_TICKED = 500


@router.get("/notices", response_class=HTMLResponse)
def notices(request: Request, uow: UowDep, principal: PagePrincipal, app: AppDep) -> HTMLResponse:
    """The drafts with tick boxes to approve, the approved ones to send, and the sent ones."""
    require(principal, Permission.CUSTOMERS_READ)
    rows = list_notices(uow.session, principal)
    by_status = {s: [(n, c) for n, c in rows if n.status is s] for s in NoticeStatus}
    return render(
        request,
        "notices.html",
        principal,
        drafts=by_status[NoticeStatus.DRAFT],
        approved=by_status[NoticeStatus.APPROVED],
        done=by_status[NoticeStatus.SENT] + by_status[NoticeStatus.FAILED],
        can_write=principal.can(Permission.CUSTOMERS_WRITE),
        mail_ready=smtp_from(app.settings) is not None,
    )


@router.post("/notices/approve")
async def approve_ticked(
    request: Request, uow: UowDep, principal: PagePrincipal
) -> RedirectResponse:
    """Approve the ticked drafts."""
    form = await request.form()
    ticked = [str(i) for i in form.getlist("ids")[:MAX_TICKED]]
    ids = [int(i) for i in ticked if i.isdigit()]
    if not ids:
        return redirect_with(request, "/notices", _("Tick the notices to approve."))
    result = approve(uow, principal, ids)
    uow.commit()
    return redirect_with(
        request,
        "/notices",
        _("{count} notices approved.").format(count=len(result.approved)),
    )


@router.post("/notices/send")
def send_approved(
    request: Request, uow: UowDep, principal: PagePrincipal, app: AppDep
) -> RedirectResponse:
    """Send the approved notices by the mail server the settings name."""
    require(principal, Permission.CUSTOMERS_WRITE)
    channel = smtp_from(app.settings)
    if channel is None:
        return redirect_with(request, "/notices", no_server())
    result = send(uow, principal, channel, as_of_today())
    uow.commit()
    return redirect_with(
        request,
        "/notices",
        _("{sent} notices sent, {failed} not sent.").format(
            sent=len(result.sent), failed=len(result.failed)
        ),
    )
