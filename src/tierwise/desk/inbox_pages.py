"""The inbox page: the signed-in user's notifications, newest first, marked read one or all."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from tierwise.db.base import utcnow
from tierwise.desk import notifications
from tierwise.i18n import _
from tierwise.web.deps import UowDep
from tierwise.web.pages import PagePrincipal, redirect_with
from tierwise.web.render import render
from tierwise.web.types import RowId

router = APIRouter(include_in_schema=False)


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(request: Request, uow: UowDep, principal: PagePrincipal) -> HTMLResponse:
    """Your notifications, each in business words with a link to what it is about."""
    return render(
        request,
        "inbox.html",
        principal,
        items=notifications.my_notifications(uow, principal),
        linked=principal.staff_id is not None,
    )


@router.post("/inbox/{notification_id}/read")
def read_one(
    request: Request, notification_id: RowId, uow: UowDep, principal: PagePrincipal
) -> RedirectResponse:
    """Mark one notification read and come back to the inbox."""
    notifications.read_notification(uow, principal, notification_id, utcnow())
    uow.commit()
    return redirect_with(request, "/inbox", _("Marked read."))


@router.post("/inbox/read")
def read_all(request: Request, uow: UowDep, principal: PagePrincipal) -> RedirectResponse:
    """Mark every notification read and come back to the inbox."""
    marked = notifications.read_all(uow, principal, utcnow())
    uow.commit()
    return redirect_with(request, "/inbox", _("Notifications marked read: {n}.").format(n=marked))
