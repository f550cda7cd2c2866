"""Customer pages: the scoped, masked list and the customer 360 with tier, timeline and edits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from tierwise.accountability.models import Staff, Task, TaskStatus
from tierwise.accountability.service import set_owner
from tierwise.analytics.models import AnalyticsRun, CustomerIndicator
from tierwise.customers.choices import CustomerStatus, Direction, InteractionChannel
from tierwise.customers.models import Customer, Interaction
from tierwise.customers.service import log_interaction
from tierwise.customers.views import (
    audit_read,
    customer_detail,
    customer_rows,
    scoped_customers,
    update_customer,
)
from tierwise.db.base import utcnow
from tierwise.i18n import _, current_language
from tierwise.identity.access import require, visible_customer
from tierwise.identity.audit import record
from tierwise.identity.roles import Permission
from tierwise.sales.models import Order
from tierwise.service.queue_models import Ticket
from tierwise.tiering import service as tiers
from tierwise.tiering.explain import shown_gap
from tierwise.web.deps import AppDep, UowDep, as_of_today, release
from tierwise.web.pages import PagePrincipal, redirect_with
from tierwise.web.pagination import page
from tierwise.web.render import render

router = APIRouter(include_in_schema=False)
PAGE_ROWS = 50
SORTS = {"code": Customer.code, "name": Customer.name}
EDITABLE = ("name", "industry", "region", "phone", "email", "address")


@router.get("/customers", response_class=HTMLResponse)
def customers(
    request: Request,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    q: Annotated[str | None, Query(max_length=100)] = None,
    tier: Annotated[str | None, Query(max_length=16)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    owner: Annotated[str | None, Query(max_length=64)] = None,
    sort: Annotated[str, Query(pattern="^-?(code|name)$")] = "code",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> HTMLResponse:
    """Find customers: search, filter by tier, status and owner, sort, page; move in bulk."""
    require(principal, Permission.CUSTOMERS_READ)
    chosen_status = CustomerStatus(status) if status in set(CustomerStatus) else None
    query = scoped_customers(principal, tier or None, chosen_status, owner or None, q or None)
    key = Customer.id if principal.pseudonymous else SORTS[sort.lstrip("-")]
    rows, next_cursor = page(
        uow.session, query, key, Customer.id, sort.startswith("-"), cursor, PAGE_ROWS
    )
    items = customer_rows(uow.session, principal, rows, app.settings.secret_key)
    audit_read(uow.session, principal, [c.code for c in rows], ["phone", "email", "address"])
    uow.commit()
    staff = list(uow.session.scalars(select(Staff).order_by(Staff.code)))
    filters = {
        "q": q or "",
        "tier": tier or "",
        "status": status or "",
        "owner": owner or "",
        "sort": sort,
    }
    return render(
        request,
        "customers.html",
        principal,
        items=items,
        next_cursor=next_cursor,
        filters=filters,
        statuses=list(CustomerStatus),
        staff=staff,
        can_assign=principal.can(Permission.ASSIGNMENTS_WRITE),
    )


TREND = ("sales_12m", "gross_profit", "clv", "p_alive", "rfm_segment")


def _trend(session: Any, customer: Customer) -> list[dict[str, Any]]:
    """A few indicators of the customer in each of the last snapshots, oldest first."""
    ci = CustomerIndicator
    rows = session.execute(
        select(AnalyticsRun.as_of, *[getattr(ci, n) for n in TREND])
        .join(ci, ci.run_id == AnalyticsRun.id)
        .where(ci.customer_id == customer.id)
        .order_by(AnalyticsRun.as_of.desc())
        .limit(6)
    ).mappings()
    return [dict(r) for r in rows][::-1]


def _timeline(uow: Any, customer: Customer) -> dict[str, Any]:
    """Orders, contacts, tickets and open obligations of the customer, newest first."""
    session = uow.session
    return {
        "trend": _trend(session, customer),
        "tasks": list(
            session.scalars(
                select(Task)
                .where(Task.customer_id == customer.id, Task.status == TaskStatus.OPEN)
                .order_by(Task.due_on)
            )
        ),
        "orders": list(
            session.scalars(
                select(Order)
                .where(Order.customer_id == customer.id)
                .order_by(Order.order_date.desc())
                .limit(20)
            )
        ),
        "interactions": list(
            session.scalars(
                select(Interaction)
                .where(Interaction.customer_id == customer.id)
                .order_by(Interaction.occurred_at.desc())
                .limit(20)
            )
        ),
        "tickets": list(
            session.scalars(
                select(Ticket)
                .where(Ticket.customer_id == customer.id)
                .order_by(Ticket.opened_at.desc())
                .limit(20)
            )
        ),
    }


def _explanation(uow: Any, code: str) -> dict[str, Any] | None:
    """The tier, its checks and the gaps to the next tier; None before the first grading."""
    try:
        policy, result, state = tiers.explanation(uow.session, code)
    except LookupError:
        return None
    names = {t.code: t.name(current_language()) for t in policy.tiers}
    return {
        "tier": result.tier,
        "qualified": result.qualified,
        "since": state.since if state else None,
        "as_of": result.as_of,
        "version": result.version,
        "checks": [
            {
                "tier": c.tier.code,
                "name": names.get(c.tier.code),
                "passed": c.passed,
                "criteria": [
                    {"text": k.text, "passed": k.passed, "gap": shown_gap(k)} for k in c.criteria
                ],
            }
            for c in result.checks
        ],
    }


@router.get("/customers/{code}", response_class=HTMLResponse)
def customer_360(
    code: str, request: Request, app: AppDep, uow: UowDep, principal: PagePrincipal
) -> HTMLResponse:
    """Everything about one customer as the reader may see it, with what they can do."""
    return _render_360(code, request, app, uow, principal)


def _render_360(
    code: str,
    request: Request,
    app: Any,
    uow: Any,
    principal: Any,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The 360 page, or the same page with why a change was refused."""
    detail = customer_detail(uow, principal, code, app.settings.secret_key)
    customer = visible_customer(uow.session, principal, code)
    context = {
        "c": detail,
        "tier": _explanation(uow, code),
        **_timeline(uow, customer),
        "history": tiers.history(uow.session, code)[:10],
        "channels": list(InteractionChannel),
        "directions": list(Direction),
        "editable": EDITABLE,
        "can_edit": principal.can(Permission.CUSTOMERS_WRITE),
        "can_log": principal.can(Permission.INTERACTIONS_WRITE),
        "today": as_of_today(),
    }
    uow.commit()
    return render(
        request,
        "customer.html",
        principal,
        status=status_code,
        error=error,
        **context,
    )


@router.post("/customers/{code}/contacts", response_class=HTMLResponse, response_model=None)
def log_contact(
    code: str,
    request: Request,
    uow: UowDep,
    principal: PagePrincipal,
    channel: Annotated[InteractionChannel, Form()],
    direction: Annotated[Direction, Form()],
    memo: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    """Log a contact from the 360 page; the customer's tasks follow it."""
    require(principal, Permission.INTERACTIONS_WRITE)
    customer = visible_customer(uow.session, principal, code)
    staff = uow.session.get(Staff, principal.staff_id) if principal.staff_id else None
    log_interaction(
        uow,
        customer.code,
        utcnow(),
        channel,
        direction,
        memo or None,
        None,
        staff.code if staff else None,
    )
    record(uow.session, principal, "create", "interaction", customer.code)
    uow.commit()
    return redirect_with(request, f"/customers/{customer.code}", _("Contact logged."))


@router.post("/customers/{code}/edit", response_class=HTMLResponse, response_model=None)
async def edit(
    code: str, request: Request, app: AppDep, uow: UowDep, principal: PagePrincipal
) -> Response:
    """Save the edited fields unless someone changed the customer since the form was loaded."""
    require(principal, Permission.CUSTOMERS_WRITE)
    form = await request.form()
    customer = visible_customer(uow.session, principal, code)
    if str(customer.version) != form.get("version"):
        return _render_360(
            code,
            request,
            app,
            uow,
            principal,
            status_code=409,
            error=_(
                "Someone changed this customer after you opened it; nothing was saved. "
                "Their version is shown below — make your change again."
            ),
        )
    masked = {f for f in EDITABLE if f in ("phone", "email", "address") and not principal.sees(f)}
    changes = {
        f: (str(form.get(f) or "").strip() or None)
        for f in EDITABLE
        if f not in masked and f in form
    }
    changes = {
        f: v
        for f, v in changes.items()
        if v != getattr(customer, f) and not (f == "name" and not v)
    }
    try:
        update_customer(uow.session, principal, customer, changes)
    except StaleDataError:
        return _render_360(
            code,
            request,
            app,
            uow,
            principal,
            status_code=409,
            error=_("Someone saved this customer at the same moment; nothing was saved."),
        )
    uow.commit()
    return redirect_with(request, f"/customers/{customer.code}", _("Saved."))


@router.post("/customers/reassign", response_model=None)
async def reassign(
    request: Request, app: AppDep, uow: UowDep, principal: PagePrincipal
) -> Response:
    """Hand the ticked customers to another owner, each within capacity; report what moved."""
    require(principal, Permission.ASSIGNMENTS_WRITE)
    form = await request.form()
    codes = [str(c) for c in form.getlist("codes")][:PAGE_ROWS]
    staff, reason = str(form.get("staff") or ""), str(form.get("reason") or "").strip()
    owners = {}
    for code in codes:
        customer = visible_customer(uow.session, principal, code)
        owner = uow.session.get(Staff, customer.owner_id) if customer.owner_id else None
        owners[customer.code] = owner.code if owner else None
    release(uow)  # each move runs in a unit of work of its own
    moved, refused = [], []
    for code in owners:
        try:
            set_owner(app, code, staff, reason, principal.username, as_of_today(), False)
            moved.append(code)
        except (ValueError, LookupError) as exc:
            refused.append(f"{code}: {exc}")
    for code in moved:
        change = {"owner": [owners[code], staff]}
        record(uow.session, principal, "assign", "customer", code, changes=change, note=reason)
    uow.commit()
    message = _("{moved} customers moved to {staff}.").format(moved=len(moved), staff=staff)
    if refused:
        message += " " + _("Not moved: {refused}").format(refused="; ".join(refused[:5]))
    return redirect_with(request, "/customers", message)
