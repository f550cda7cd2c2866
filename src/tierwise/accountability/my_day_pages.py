"""The My day page: the reader's lists for today, and a one-click "Done" on each task."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from tierwise.accountability.my_day import my_day
from tierwise.accountability.usecases import finish_task
from tierwise.customers.models import Customer
from tierwise.db.base import utcnow
from tierwise.i18n import _, current_language
from tierwise.identity.roles import Permission
from tierwise.web.deps import AppDep, UowDep, as_of_today
from tierwise.web.pages import PagePrincipal, redirect_with
from tierwise.web.render import render
from tierwise.web.types import RowId

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    status: int = 200,
    **more: str,
) -> HTMLResponse:
    """The page as of now, with a message or an error when a click did or could not do its work."""
    work = my_day(uow, principal, utcnow(), app.settings.timezone)
    can_finish = principal.can(Permission.TASKS_WRITE)
    return render(
        request, "my_day.html", principal, status, work=work, can_finish=can_finish, **more
    )


@router.get("/my-day", response_class=HTMLResponse)
def my_day_page(
    request: Request, app: AppDep, uow: UowDep, principal: PagePrincipal
) -> HTMLResponse:
    """Tasks due and overdue, callbacks, items to answer, tier news and complaints; the team's."""
    return _page(request, app, uow, principal)


@router.post("/my-day/tasks/{task_id}/done", response_model=None)
def done(
    request: Request, task_id: RowId, app: AppDep, uow: UowDep, principal: PagePrincipal
) -> Response:
    """Mark a task done through the same use case as the API, and come back to the day."""
    try:
        task = finish_task(uow, principal, task_id, as_of_today())
    except (LookupError, ValueError) as refused:  # refused before anything was written
        return _page(request, app, uow, principal, 409, error=str(refused))
    customer = uow.session.get_one(Customer, task.customer_id)
    words = _("Done: {task} for {customer}.").format(
        task=task.kind.label(current_language()), customer=f"{customer.code} {customer.name}"
    )
    uow.commit()
    return redirect_with(request, "/my-day", words)
