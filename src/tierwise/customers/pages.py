"""Customer pages: the scoped, masked list and the customer 360 with tier and timeline."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from tierwise.customers.choices import (
    ChurnType,
    ConsentPurpose,
    CustomerStatus,
    Direction,
    ManagementClass,
)
from tierwise.customers.reads import (
    customer_file,
    customer_page,
    latest_interactions,
    terms_rows,
)
from tierwise.identity.access import require
from tierwise.identity.roles import Permission
from tierwise.organisation.choices import InteractionChannel
from tierwise.organisation.models import Staff
from tierwise.web.deps import AppDep, UowDep, as_of_today
from tierwise.web.pages import PagePrincipal
from tierwise.web.render import render

router = APIRouter(include_in_schema=False)
PAGE_ROWS = 50
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
    management_class: Annotated[str | None, Query(alias="class", max_length=20)] = None,
    segment: Annotated[str | None, Query(max_length=30)] = None,
    sort: Annotated[str, Query(pattern="^-?(code|name)$")] = "code",
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> HTMLResponse:
    """Find customers: search, filter by tier, status and owner, sort, page; move in bulk."""
    require(principal, Permission.CUSTOMERS_READ)
    chosen_status = CustomerStatus(status) if status in set(CustomerStatus) else None
    chosen_class = (
        ManagementClass(management_class) if management_class in set(ManagementClass) else None
    )
    items, next_cursor = customer_page(
        uow,
        principal,
        app.settings.secret_key,
        sort,
        cursor,
        PAGE_ROWS,
        tier=tier or None,
        status=chosen_status,
        owner=owner or None,
        search=q or None,
        management_class=chosen_class,
        segment=segment or None,
    )
    uow.commit()
    staff = list(uow.session.scalars(select(Staff).order_by(Staff.code)))
    filters = {
        "q": q or "",
        "tier": tier or "",
        "status": status or "",
        "owner": owner or "",
        "sort": sort,
        "class": management_class or "",
        "segment": segment or "",
    }
    return render(
        request,
        "customers.html",
        principal,
        items=items,
        next_cursor=next_cursor,
        filters=filters,
        statuses=list(CustomerStatus),
        classes=list(ManagementClass),
        staff=staff,
        can_assign=principal.can(Permission.ASSIGNMENTS_WRITE),
    )


@router.get("/customers/{code}", response_class=HTMLResponse)
def customer_360(
    code: str, request: Request, app: AppDep, uow: UowDep, principal: PagePrincipal
) -> HTMLResponse:
    """Everything about one customer as the reader may see it, with what they can do."""
    return render_360(code, request, app, uow, principal)


def render_360(
    code: str,
    request: Request,
    app: Any,
    uow: Any,
    principal: Any,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The 360 page, or the same page with why a change was refused."""
    customer, detail = customer_file(
        uow, principal, code, app.settings.secret_key, app.settings.today(), whole=True
    )
    timeline = detail.pop("timeline")
    context = {
        "c": detail,
        "terms": terms_rows(detail["terms"]) if detail.get("terms") else None,
        "tier": timeline.get("tier"),
        "history": timeline.get("history", []),
        "trend": timeline.get("trend", []),
        "tasks": timeline.get("tasks", []),
        "orders": timeline.get("orders", []),
        "tickets": timeline.get("tickets", []),
        "entitlements": timeline.get("entitlements", []),
        "interactions": latest_interactions(uow.session, customer),
        "channels": list(InteractionChannel),
        "directions": list(Direction),
        "editable": EDITABLE,
        "can_edit": principal.can(Permission.CUSTOMERS_WRITE),
        "can_log": principal.can(Permission.INTERACTIONS_WRITE),
        "can_privacy": principal.can(Permission.PRIVACY_MANAGE),
        "can_order": principal.can(Permission.ORDERS_WRITE),
        "can_override": principal.can(Permission.TIERS_APPLY),
        "purposes": list(ConsentPurpose),
        "churn_types": list(ChurnType),
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
