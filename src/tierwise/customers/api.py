"""Customers over HTTP: scoped lists, the masked file, optimistic updates, consents and rights."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from tierwise.customers import people, privacy, usecases
from tierwise.customers.choices import CustomerStatus, ManagementClass
from tierwise.customers.models import Consent, Contact, Customer, Interaction
from tierwise.customers.reads import (
    consents_of,
    customer_file,
    customer_page,
    interactions_of,
)
from tierwise.customers.schemas import (
    ConsentIn,
    ConsentOut,
    ContactIn,
    ContactOut,
    ContactUpdate,
    CustomerAdded,
    CustomerDetail,
    CustomerIn,
    CustomerOut,
    CustomerUpdate,
    InteractionIn,
    InteractionOut,
)
from tierwise.i18n import _
from tierwise.identity.access import Principal
from tierwise.identity.roles import Permission
from tierwise.organisation.models import Staff
from tierwise.web.deps import AppDep, IfMatchDep, UowDep, allowed, etag
from tierwise.web.pagination import CursorQuery, LimitQuery, Page, page
from tierwise.web.problems import error_responses
from tierwise.web.security import attachment

router = APIRouter(prefix="/customers", tags=["customers"])
Code = Annotated[str, "customer code"]


@router.get("", response_model=Page[CustomerOut], responses=error_responses(401, 403, 422))
def list_customers(
    app: AppDep,
    uow: UowDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
    tier: Annotated[str | None, Query(max_length=16, examples=["A"])] = None,
    status: CustomerStatus | None = None,
    owner: Annotated[str | None, Query(max_length=64, description="owner's staff code")] = None,
    q: Annotated[
        str | None,
        Query(max_length=100, description="code starts with, or name, phone or contact holds it"),
    ] = None,
    management_class: Annotated[ManagementClass | None, Query(alias="class")] = None,
    segment: Annotated[
        str | None, Query(max_length=30, description="RFM segment in the latest snapshot")
    ] = None,
    sort: Literal["code", "-code", "name", "-name"] = "code",
    principal: Principal = allowed(Permission.CUSTOMERS_READ),
) -> dict[str, Any]:
    """The customers your role may see, filtered and sorted, a page at a time."""
    items, next_cursor = customer_page(
        uow,
        principal,
        app.settings.secret_key,
        sort,
        cursor,
        limit,
        tier=tier,
        status=status,
        owner=owner,
        search=q,
        management_class=management_class,
        segment=segment,
    )
    uow.commit()
    return {"items": items, "next_cursor": next_cursor}


@router.post(
    "",
    response_model=CustomerAdded,
    status_code=201,
    responses=error_responses(401, 403, 409, 422),
)
def add_customer(
    body: CustomerIn,
    response: Response,
    app: AppDep,
    uow: UowDep,
    principal: Principal = allowed(Permission.CUSTOMERS_CREATE),
) -> dict[str, Any]:
    """Add a customer or prospect (a prospect unless `status` says otherwise); 409 if the code is
    taken or another customer has the phone. Who adds it owns it if they win customers."""
    fields = body.model_dump(exclude_unset=True)
    code = usecases.create_customer(uow, principal, fields, app.settings.today())
    # Read from the database: the reactions gave the owner with set-based updates.
    added = (
        uow.session.execute(
            select(Customer.code, Customer.name, Customer.status, Staff.code.label("owner"))
            .outerjoin(Staff, Staff.id == Customer.owner_id)
            .where(Customer.code == code)
        )
        .mappings()
        .one()
    )
    uow.commit()
    response.headers["Location"] = f"/api/v1/customers/{code}"
    return dict(added)


@router.get("/{code}", response_model=CustomerDetail, responses=error_responses(401, 403, 404))
def get_customer(
    code: Code,
    response: Response,
    app: AppDep,
    uow: UowDep,
    principal: Principal = allowed(Permission.CUSTOMERS_READ),
) -> dict[str, Any]:
    """One customer's file; the ETag is the version to send back in If-Match."""
    detail = customer_file(uow, principal, code, app.settings.secret_key, app.settings.today())[1]
    uow.commit()
    response.headers["ETag"] = etag(detail["version"])
    return detail


@router.patch(
    "/{code}",
    response_model=CustomerDetail,
    responses=error_responses(401, 403, 404, 412, 422, 428),
)
def update(
    code: Code,
    body: CustomerUpdate,
    version: IfMatchDep,
    response: Response,
    app: AppDep,
    uow: UowDep,
    principal: Principal = allowed(Permission.CUSTOMERS_WRITE),
) -> dict[str, Any]:
    """Change a customer; 412 if someone changed it since you read it (nothing is overwritten)."""
    changes = body.model_dump(exclude_unset=True)
    if changes.get("name", "") is None:
        raise ValueError(_("a customer needs a name"))
    usecases.update_customer(uow, principal, code, changes, version, app.settings.today())
    detail = customer_file(uow, principal, code, app.settings.secret_key, app.settings.today())[1]
    uow.commit()
    response.headers["ETag"] = etag(detail["version"])
    return detail


@router.get(
    "/{code}/interactions",
    response_model=Page[InteractionOut],
    responses=error_responses(401, 403, 404, 422),
)
def interactions(
    code: Code,
    uow: UowDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
    principal: Principal = allowed(Permission.CUSTOMERS_READ),
) -> dict[str, Any]:
    """Logged contacts, newest first."""
    query = interactions_of(uow.session, principal, code)
    rows, next_cursor = page(
        uow.session, query, Interaction.id, Interaction.id, True, cursor, limit
    )
    return {"items": rows, "next_cursor": next_cursor}


@router.post(
    "/{code}/interactions",
    response_model=InteractionOut,
    status_code=201,
    responses=error_responses(401, 403, 404, 422),
)
def add_interaction(
    code: Code,
    body: InteractionIn,
    uow: UowDep,
    principal: Principal = allowed(Permission.INTERACTIONS_WRITE),
) -> Interaction:
    """Log a contact; the customer's last-contact date and open tasks follow it."""
    logged = usecases.log_contact(
        uow,
        principal,
        code,
        body.occurred_at,
        body.channel,
        body.direction,
        body.memo,
        body.outcome,
        minutes=body.minutes,
    )
    uow.commit()
    return logged.interaction


def _contact_out(contact: Contact) -> dict[str, Any]:
    """A contact as the API answers it (only roles that read contacts change them)."""
    return {f: getattr(contact, f) for f in ContactOut.model_fields}


@router.post(
    "/{code}/contacts",
    response_model=ContactOut,
    status_code=201,
    responses=error_responses(401, 403, 404, 409, 422),
)
def add_contact(
    code: Code,
    body: ContactIn,
    uow: UowDep,
    principal: Principal = allowed(Permission.CUSTOMERS_WRITE),
) -> dict[str, Any]:
    """Add a person at the customer; 409 if it already has a contact of that name."""
    contact = people.add_contact(uow, principal, code, body.model_dump())
    answer = _contact_out(contact)
    uow.commit()
    return answer


@router.patch(
    "/{code}/contacts/{contact_code}",
    response_model=ContactOut,
    responses=error_responses(401, 403, 404, 422),
)
def update_contact(
    code: Code,
    contact_code: str,
    body: ContactUpdate,
    uow: UowDep,
    principal: Principal = allowed(Permission.CUSTOMERS_WRITE),
) -> dict[str, Any]:
    """Change a person at the customer; leave out what stays."""
    changes = body.model_dump(exclude_unset=True)
    if "is_primary" in changes and changes["is_primary"] is None:
        raise ValueError(_("primary contact: give true or false"))
    contact = people.update_contact(uow, principal, code, contact_code, changes)
    answer = _contact_out(contact)
    uow.commit()
    return answer


@router.get(
    "/{code}/consents", response_model=list[ConsentOut], responses=error_responses(401, 403, 404)
)
def consents(
    code: Code, uow: UowDep, principal: Principal = allowed(Permission.CUSTOMERS_READ)
) -> list[Consent]:
    """Every consent decision, oldest first; the latest per purpose is in force."""
    return consents_of(uow.session, principal, code)


@router.post(
    "/{code}/consents",
    response_model=ConsentOut,
    status_code=201,
    responses=error_responses(401, 403, 404, 422),
)
def add_consent(
    code: Code,
    body: ConsentIn,
    uow: UowDep,
    principal: Principal = allowed(Permission.CUSTOMERS_WRITE),
) -> Consent:
    """Record a grant or withdrawal; history is kept."""
    consent = usecases.decide_consent(uow, principal, code, body.purpose, body.granted, body.source)
    uow.commit()
    return consent


@router.get(
    "/{code}/personal-data",
    responses={
        200: {"content": {"application/json": {}, "application/zip": {}}},
        **error_responses(401, 403, 404, 422),
    },
)
def personal_data(
    code: Code,
    app: AppDep,
    uow: UowDep,
    format: Literal["json", "zip"] = "json",
    principal: Principal = allowed(Permission.PRIVACY_MANAGE),
) -> Any:
    """Everything held about the person (data-subject access request), as JSON or zipped CSVs."""
    bundle = privacy.personal_data(uow.session, principal, code)
    uow.commit()
    if format == "zip":
        content = privacy.bundle_zip(bundle)
        headers = attachment(f"{code}.zip")
        return StreamingResponse(iter([content]), media_type="application/zip", headers=headers)
    return bundle


@router.post(
    "/{code}/erase", response_model=CustomerDetail, responses=error_responses(401, 403, 404)
)
def erase(
    code: Code,
    app: AppDep,
    uow: UowDep,
    principal: Principal = allowed(Permission.PRIVACY_MANAGE),
) -> dict[str, Any]:
    """Erase a person: personal fields anonymised, orders and figures kept, consents withdrawn."""
    settings = app.settings
    customer = usecases.erase_person(uow, principal, code, settings.secret_key)
    detail = customer_file(uow, principal, customer.code, settings.secret_key, settings.today())[1]
    uow.commit()
    return detail
