"""Customer pages: the scoped, masked list and the customer 360 with tier and timeline."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from tierwise.customers.choices import (
    ConsentPurpose,
    CustomerKind,
    CustomerStatus,
    Direction,
    ManagementClass,
    SalesChannel,
)
from tierwise.customers.creation import CHOICE_FIELDS, FILE_FIELDS, field_label
from tierwise.customers.people import CONTACT_FIELDS
from tierwise.customers.reads import (
    CUSTOMER_PERSONAL,
    customer_file,
    customer_page,
    latest_interactions,
    terms_rows,
)
from tierwise.i18n import _
from tierwise.identity.access import Principal, require
from tierwise.identity.roles import Permission
from tierwise.organisation.choices import InteractionChannel
from tierwise.organisation.models import Staff
from tierwise.web.deps import AppDep, UowDep, as_of_today
from tierwise.web.pages import PagePrincipal
from tierwise.web.render import render

router = APIRouter(include_in_schema=False)
PAGE_ROWS = 50
NEW_CUSTOMER_FIELDS = ("code", *FILE_FIELDS)
INPUT_TYPES = {"email": "email", "phone": "tel", "acquired_on": "date"}


def form_fields(
    principal: Principal, values: dict[str, Any], names: tuple[str, ...] = FILE_FIELDS
) -> list[dict[str, Any]]:
    """The file's fields as a form shows them, in business words, filled in with `values`;
    personal fields the reader may not read are left out."""
    fields = []
    for name in names:
        if name in CUSTOMER_PERSONAL and not principal.sees(name):
            continue
        choices = CHOICE_FIELDS.get(name)
        value = values.get(name)
        fields.append(
            {
                "name": name,
                "label": field_label(name),
                "choices": list(choices) if choices else None,
                "value": "" if value is None else str(value),
                "type": INPUT_TYPES.get(name),
                "required": name in ("name", "kind", "status", "channel"),
            }
        )
    return fields


def render_new(
    request: Request,
    principal: Principal,
    values: dict[str, Any],
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The form that adds a customer, or the same form with what was typed and why it was
    refused."""
    require(principal, Permission.CUSTOMERS_CREATE)
    fields = form_fields(principal, values, NEW_CUSTOMER_FIELDS)
    return render(
        request, "customer_new.html", principal, status=status_code, error=error, fields=fields
    )


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
        can_create=principal.can(Permission.CUSTOMERS_CREATE),
    )


@router.get("/customers/new", response_class=HTMLResponse)
def new_customer(request: Request, principal: PagePrincipal) -> HTMLResponse:
    """The form that adds a customer or prospect."""
    defaults = {"kind": CustomerKind.ENTERPRISE, "status": CustomerStatus.PROSPECT}
    return render_new(request, principal, defaults | {"channel": SalesChannel.DIRECT})


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
        "edit_fields": form_fields(principal, detail),
        "can_edit": principal.can(Permission.CUSTOMERS_WRITE),
        "can_edit_people": principal.can(Permission.CUSTOMERS_WRITE) and principal.sees("contacts"),
        "contact_fields": [(f, _(label)) for f, (label, _n) in CONTACT_FIELDS.items()],
        "can_log": principal.can(Permission.INTERACTIONS_WRITE),
        "can_privacy": principal.can(Permission.PRIVACY_MANAGE),
        "can_order": principal.can(Permission.ORDERS_WRITE),
        "can_override": principal.can(Permission.TIERS_APPLY),
        "purposes": list(ConsentPurpose),
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
