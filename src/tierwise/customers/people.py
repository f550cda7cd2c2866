"""The people at a customer, added and kept from the console and the API: one use case each,
scope and the right to read contacts checked once, every change audited old → new."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from tierwise.customers.models import Contact, Customer
from tierwise.customers.scopes import visible_customer
from tierwise.db.session import UnitOfWork
from tierwise.errors import Conflict
from tierwise.i18n import N_, _
from tierwise.identity.access import Forbidden, Principal, require
from tierwise.identity.audit import changes_of, record
from tierwise.identity.roles import Permission

CONTACT_FIELDS = {
    "name": (N_("Contact name"), 200),
    "department": (N_("Department"), 100),
    "title": (N_("Role"), 100),
    "phone": (N_("Phone"), 50),
    "email": (N_("Email"), 200),
}
"""The text fields of a contact, in business words, and how long each may be."""


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    """A contact's fields checked: text trimmed (empty is none), lengths kept, a name kept."""
    clean: dict[str, Any] = {}
    for field, value in fields.items():
        if field == "is_primary":
            clean[field] = bool(value)
            continue
        if field not in CONTACT_FIELDS:
            raise ValueError(_("not a field of a contact: {name}").format(name=field))
        label, longest = CONTACT_FIELDS[field]
        text = (value or "").strip() if isinstance(value, str) or value is None else str(value)
        if len(text) > longest:
            raise ValueError(_("{field}: at most {n} characters").format(field=_(label), n=longest))
        clean[field] = text or None
    if "name" in clean and clean["name"] is None:
        raise ValueError(_("{field}: a contact needs a name").format(field=_("Contact name")))
    return clean


def _editable_customer(uow: UnitOfWork, principal: Principal, code: str) -> Customer:
    """The customer in scope whose people the principal may change (they must read them)."""
    require(principal, Permission.CUSTOMERS_WRITE)
    if not principal.sees("contacts"):
        raise Forbidden(_("your role may not read or change contacts"))
    return visible_customer(uow.session, principal, code)


def _only_primary(uow: UnitOfWork, contact: Contact) -> list[str]:
    """Make `contact` the customer's one primary contact; the codes of those it replaces."""
    others = list(
        uow.session.scalars(
            select(Contact.code).where(
                Contact.customer_id == contact.customer_id,
                Contact.is_primary,
                Contact.id != contact.id,
            )
        )
    )
    if others:
        uow.session.execute(
            update(Contact)
            .where(Contact.code.in_(others))
            .values(is_primary=False)
            .execution_options(synchronize_session="fetch")
        )
    return others


def add_contact(
    uow: UnitOfWork, principal: Principal, code: str, fields: dict[str, Any]
) -> Contact:
    """Add a person at a customer in scope, keyed like the import keys them (customer code and
    name); a primary one replaces the customer's primary; audited."""
    customer = _editable_customer(uow, principal, code)
    clean = _clean(fields)
    if clean.get("name") is None:
        raise ValueError(_("{field}: a contact needs a name").format(field=_("Contact name")))
    contact_code = f"{customer.code}-{clean['name']}"
    if uow.session.scalar(select(Contact.id).where(Contact.code == contact_code)) is not None:
        raise Conflict(
            _("{customer} already has a contact named {name}").format(
                customer=customer.code, name=clean["name"]
            )
        )
    contact = Contact(code=contact_code, customer_id=customer.id, **clean)
    uow.session.add(contact)
    uow.session.flush()
    note = None
    if contact.is_primary and (others := _only_primary(uow, contact)):
        note = _("primary instead of {codes}").format(codes=", ".join(others))
    changes = changes_of({}, clean)
    record(uow.session, principal, "create", "contact", contact.code, sorted(clean), changes, note)
    return contact


def update_contact(
    uow: UnitOfWork, principal: Principal, code: str, contact_code: str, changes: dict[str, Any]
) -> Contact:
    """Change a person at a customer in scope (their code stays); audited old → new."""
    customer = _editable_customer(uow, principal, code)
    contact = uow.session.scalar(
        select(Contact).where(Contact.code == contact_code, Contact.customer_id == customer.id)
    )
    if contact is None:
        raise LookupError(
            _("{customer} has no contact {code}").format(customer=customer.code, code=contact_code)
        )
    clean = _clean(changes)
    before = {field: getattr(contact, field) for field in clean}
    for field, value in clean.items():
        setattr(contact, field, value)
    uow.session.flush()
    note = None
    if clean.get("is_primary") and (others := _only_primary(uow, contact)):
        note = _("primary instead of {codes}").format(codes=", ".join(others))
    diff = changes_of(before, clean)
    if diff:
        record(uow.session, principal, "update", "contact", contact.code, sorted(diff), diff, note)
    return contact
