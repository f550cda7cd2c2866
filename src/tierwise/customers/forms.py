"""Forms that change customers from the console: new customers, contacts, edits, consent,
erasure."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from tierwise.customers import people, usecases
from tierwise.customers.choices import ConsentPurpose, Direction
from tierwise.customers.creation import FILE_FIELDS
from tierwise.customers.pages import NEW_CUSTOMER_FIELDS, render_360, render_new
from tierwise.customers.reads import CUSTOMER_PERSONAL
from tierwise.customers.scopes import visible_customer
from tierwise.db.base import utcnow
from tierwise.errors import DomainError, StaleVersion
from tierwise.i18n import _
from tierwise.organisation.choices import InteractionChannel
from tierwise.web.deps import AppDep, UowDep
from tierwise.web.pages import PagePrincipal, redirect_with

router = APIRouter(include_in_schema=False)


@router.post("/customers/{code}/contacts", response_class=HTMLResponse, response_model=None)
def log_contact(
    code: str,
    request: Request,
    uow: UowDep,
    principal: PagePrincipal,
    channel: Annotated[InteractionChannel, Form()],
    direction: Annotated[Direction, Form()],
    memo: Annotated[str, Form(max_length=5000)] = "",
    minutes: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Log a contact from the 360 page; the customer's tasks follow it."""
    usecases.log_contact(
        uow, principal, code, utcnow(), channel, direction, memo or None, minutes=_minutes(minutes)
    )
    uow.commit()
    return redirect_with(request, f"/customers/{code}", _("Contact logged."))


def _minutes(text: str) -> float | None:
    """How long a contact took, as typed: empty when not said."""
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 24 * 60:
        raise ValueError(
            _("Minutes it took: {value} is not a number of minutes from 0 to 1440").format(
                value=text
            )
        )
    return value


@router.post("/customers/new", response_class=HTMLResponse, response_model=None)
async def add(request: Request, app: AppDep, uow: UowDep, principal: PagePrincipal) -> Response:
    """Add the customer as typed and open its 360; a refusal shows the form again with what was
    typed and why."""
    form = await request.form()
    typed = {f: str(form.get(f) or "") for f in NEW_CUSTOMER_FIELDS if f in form}
    try:
        code = usecases.create_customer(uow, principal, typed, app.settings.today())
    except (ValueError, DomainError) as exc:
        uow.session.rollback()
        status = exc.status if isinstance(exc, DomainError) else 422
        return render_new(request, principal, typed, str(exc), status)
    uow.commit()
    message = _("Customer {code} added.").format(code=code)
    try:
        visible_customer(uow.session, principal, code)
    except LookupError:  # the scope does not cover it (a caller added by the desk)
        return redirect_with(request, "/customers", message)
    return redirect_with(request, f"/customers/{code}", message)


@router.post("/customers/{code}/edit", response_class=HTMLResponse, response_model=None)
async def edit(
    code: str, request: Request, app: AppDep, uow: UowDep, principal: PagePrincipal
) -> Response:
    """Save the edited fields unless someone changed the customer since the form was loaded;
    a refused value shows the 360 again saying which field and why."""
    form = await request.form()
    changes = {
        f: str(form.get(f) or "")
        for f in FILE_FIELDS
        if f in form and (f not in CUSTOMER_PERSONAL or principal.sees(f))
    }
    version = str(form.get("version") or "")
    try:
        usecases.update_customer(
            uow,
            principal,
            code,
            changes,
            int(version) if version.isdigit() else -1,
            app.settings.today(),
        )
    except StaleVersion:
        uow.session.rollback()
        return render_360(
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
    except (ValueError, DomainError) as exc:
        uow.session.rollback()
        message = _("Nothing was saved: {reason}").format(reason=exc)
        return render_360(code, request, app, uow, principal, status_code=422, error=message)
    uow.commit()
    return redirect_with(request, f"/customers/{code}", _("Saved."))


CONTACT_FORM = ("name", "department", "title", "phone", "email")


@router.post("/customers/{code}/people", response_class=HTMLResponse, response_model=None)
async def add_person(
    code: str, request: Request, app: AppDep, uow: UowDep, principal: PagePrincipal
) -> Response:
    """Add a person at the customer from the 360; a refusal shows the 360 saying why."""
    form = await request.form()
    fields: dict[str, object] = {f: str(form.get(f) or "") for f in CONTACT_FORM}
    fields["is_primary"] = form.get("is_primary") == "yes"
    try:
        people.add_contact(uow, principal, code, fields)
    except (ValueError, DomainError) as exc:
        uow.session.rollback()
        message = _("Nothing was saved: {reason}").format(reason=exc)
        return render_360(code, request, app, uow, principal, status_code=422, error=message)
    uow.commit()
    return redirect_with(request, f"/customers/{code}", _("Contact added."))


@router.post(
    "/customers/{code}/people/{contact_code}", response_class=HTMLResponse, response_model=None
)
async def edit_person(
    code: str,
    contact_code: str,
    request: Request,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
) -> Response:
    """Save a person's edited fields from the 360; a refusal shows the 360 saying why."""
    form = await request.form()
    changes: dict[str, object] = {f: str(form.get(f) or "") for f in CONTACT_FORM if f in form}
    changes["is_primary"] = form.get("is_primary") == "yes"
    try:
        people.update_contact(uow, principal, code, contact_code, changes)
    except (ValueError, DomainError) as exc:
        uow.session.rollback()
        message = _("Nothing was saved: {reason}").format(reason=exc)
        return render_360(code, request, app, uow, principal, status_code=422, error=message)
    uow.commit()
    return redirect_with(request, f"/customers/{code}", _("Saved."))


@router.post("/customers/{code}/consents", response_model=None)
def consent(
    code: str,
    request: Request,
    uow: UowDep,
    principal: PagePrincipal,
    purpose: Annotated[ConsentPurpose, Form()],
    granted: Annotated[str, Form(pattern="^(yes|no)$")],
) -> Response:
    """Record a grant or withdrawal of consent; the history is kept."""
    usecases.decide_consent(uow, principal, code, purpose, granted == "yes", "console")
    uow.commit()
    return redirect_with(request, f"/customers/{code}", _("Consent recorded."))


@router.post("/customers/{code}/erase", response_model=None)
def erase(
    code: str,
    request: Request,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Erase the person's personal data after an explicit confirmation; figures stay."""
    if confirm != code:
        return render_360(
            code,
            request,
            app,
            uow,
            principal,
            status_code=422,
            error=_("Type the customer code to confirm the erasure; nothing was erased."),
        )
    usecases.erase_person(uow, principal, code, app.settings.secret_key)
    uow.commit()
    return redirect_with(request, f"/customers/{code}", _("Personal data erased."))
