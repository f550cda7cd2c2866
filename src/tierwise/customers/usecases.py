"""The jobs people do on one customer, the same from the CLI, the API and the console: scope
checked once, the work and its consequences, the audit entry; the entry point commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from tierwise.customers import privacy
from tierwise.customers.choices import (
    ConsentPurpose,
    CustomerKind,
    CustomerStatus,
    Direction,
    InteractionOutcome,
)
from tierwise.customers.creation import (
    CustomerCreated,
    clean_fields,
    name_missing,
    next_code,
    referrer_of,
    refuse_blacklist_here,
    refuse_duplicates,
    set_referrer,
)
from tierwise.customers.importing import CUSTOMER_COLUMNS
from tierwise.customers.models import Consent, Customer, Interaction
from tierwise.customers.profile import is_personal
from tierwise.customers.reads import CUSTOMER_PERSONAL
from tierwise.customers.scopes import visible_customer
from tierwise.customers.service import (
    ContactLogged,
    CustomerFileRead,
    CustomerSummary,
    customer_summary,
    log_interaction,
    record_consent,
)
from tierwise.db.base import utcnow
from tierwise.db.session import UnitOfWork
from tierwise.errors import StaleVersion, check_version
from tierwise.i18n import _
from tierwise.identity.access import Forbidden, Principal, require
from tierwise.identity.audit import changes_of, record
from tierwise.identity.operator import UNMASKED
from tierwise.identity.roles import PERSONAL_FIELDS, Permission
from tierwise.organisation.choices import InteractionChannel
from tierwise.organisation.models import Staff

EXPORTED_FIELDS = [c.name for c in CUSTOMER_COLUMNS if c.name in PERSONAL_FIELDS]


@dataclass(frozen=True)
class LoggedContact:
    """The contact as logged and how many open tasks it did."""

    interaction: Interaction
    tasks_done: int


def log_contact(
    uow: UnitOfWork,
    principal: Principal,
    code: str,
    occurred_at: dt.datetime,
    channel: InteractionChannel,
    direction: Direction,
    memo: str | None = None,
    outcome: InteractionOutcome | None = None,
    staff_code: str | None = None,
    minutes: float | None = None,
) -> LoggedContact:
    """Log a contact with a customer in scope, made by `staff_code` or else by the acting staff
    member; the owner's matching tasks and resolved complaint follow-ups are done at once."""
    require(principal, Permission.INTERACTIONS_WRITE)
    customer = visible_customer(uow.session, principal, code)
    if staff_code is None and principal.staff_id is not None:
        staff_code = uow.session.scalar(select(Staff.code).where(Staff.id == principal.staff_id))
    interaction = log_interaction(
        uow, customer.code, occurred_at, channel, direction, memo, outcome, staff_code, minutes
    )
    record(uow.session, principal, "create", "interaction", customer.code)
    done = uow.happened(ContactLogged(customer.id, interaction.id))
    return LoggedContact(interaction, int(done.get("tasks_done", 0)))


def decide_consent(
    uow: UnitOfWork,
    principal: Principal,
    code: str,
    purpose: ConsentPurpose,
    granted: bool,
    source: str,
) -> Consent:
    """Record a grant or withdrawal for a customer in scope (history is kept); audited."""
    require(principal, Permission.CUSTOMERS_WRITE)
    customer = visible_customer(uow.session, principal, code)
    consent = record_consent(uow, customer.code, purpose, granted, source)
    change = {purpose.value: [None, granted]}
    record(uow.session, principal, "consent", "customer", customer.code, changes=change)
    return consent


def erase_person(uow: UnitOfWork, principal: Principal, code: str, secret: str) -> Customer:
    """Erase a person in scope: personal fields anonymised, orders and figures kept, consents
    withdrawn; the audit says who did it."""
    require(principal, Permission.PRIVACY_MANAGE)
    require(principal, Permission.CUSTOMERS_WRITE)
    customer = visible_customer(uow.session, principal, code)
    privacy.erase(uow.session, principal, customer, secret)
    uow.happened(privacy.PersonErased(customer.id, customer.code))
    return customer


def create_customer(
    uow: UnitOfWork, principal: Principal, fields: dict[str, Any], today: dt.date | None = None
) -> str:
    """Add a customer or prospect (a prospect unless the status says otherwise) with the code
    given or the next of the sequence; refused if the code is taken or another customer has the
    phone; audited; owner and tier follow from the fact. Returns the code."""
    require(principal, Permission.CUSTOMERS_CREATE)
    session = uow.session
    clean = clean_fields(fields)
    if clean.get("name") is None:
        raise name_missing()
    code = clean.pop("code", None)
    refuse_blacklist_here(None, clean.get("status"))
    refuse_duplicates(session, principal, code, clean.get("phone"))
    referrer = referrer_of(session, clean.pop("referred_by", None), None)
    values: dict[str, Any] = {"kind": CustomerKind.ENTERPRISE, "status": CustomerStatus.PROSPECT}
    values |= {f: v for f, v in clean.items() if v is not None}
    customer = Customer(code=code or next_code(session), **values)
    session.add(customer)
    session.flush()
    day = today or utcnow().date()
    if referrer is not None:
        set_referrer(session, customer, referrer, day)
        values["referred_by"] = referrer.code
    record(
        session,
        principal,
        "create",
        "customer",
        customer.code,
        sorted(values),
        changes_of({}, values),
    )
    uow.happened(CustomerCreated(customer.id, day, principal.username, principal.staff_id))
    return customer.code


def create_prospect(
    uow: UnitOfWork, principal: Principal, name: str, phone: str, today: dt.date | None = None
) -> str:
    """A caller nobody knows added in place as a prospect, from just a name and a phone; the
    same checks and consequences as any new customer. Returns the code."""
    return create_customer(uow, principal, {"name": name, "phone": phone}, today)


def update_customer(
    uow: UnitOfWork,
    principal: Principal,
    code: str,
    changes: dict[str, Any],
    version: int,
    today: dt.date | None = None,
) -> Customer:
    """Change any field of a customer in scope as edited from `version` (`referred_by` by
    code); refused if someone changed it since (StaleVersion), if it sets a personal field the
    principal cannot read or a value the field cannot hold; audited old → new."""
    require(principal, Permission.CUSTOMERS_WRITE)
    customer = visible_customer(uow.session, principal, code)
    check_version(customer.version, version)
    changes = clean_fields(changes)
    changes.pop("code", None)
    if "status" in changes:
        refuse_blacklist_here(customer.status, changes["status"])
    hidden = [f for f in changes if f in CUSTOMER_PERSONAL and not principal.sees(f)]
    if hidden:
        raise Forbidden(
            _("your role may not change {fields}").format(fields=", ".join(sorted(hidden)))
        )
    before = {f: getattr(customer, f) for f in changes if f != "referred_by"}
    if "referred_by" in changes:
        old = customer.referred_by_id and uow.session.get(Customer, customer.referred_by_id)
        before["referred_by"] = old.code if old else None
        referrer = referrer_of(uow.session, changes["referred_by"], customer)
        set_referrer(uow.session, customer, referrer, today or utcnow().date())
    for field, value in changes.items():
        if field != "referred_by":
            setattr(customer, field, value)
    try:
        uow.session.flush()
    except StaleDataError as exc:
        raise StaleVersion(_("someone saved this customer at the same moment")) from exc
    diff = changes_of(before, changes)
    if diff:
        record(uow.session, principal, "update", "customer", customer.code, sorted(diff), diff)
    return customer


def read_customer(
    uow: UnitOfWork, principal: Principal, code: str, today: dt.date
) -> CustomerSummary:
    """Everything about one customer as the command line prints it, unmasked; who read which
    personal fields is on record before anything is shown."""
    customer = visible_customer(uow.session, principal, code)
    summary = customer_summary(uow, customer.code)
    fields = ["phone", "email"]
    if summary.contacts:
        fields.append("contacts")
    if any(is_personal(section) for section in summary.sections):
        fields.append("profile")
    record(uow.session, principal, "read", "customer", code, fields, note=UNMASKED)
    added = uow.happened(CustomerFileRead(customer.id, today))
    return replace(
        summary,
        totals=added.get("totals"),
        terms=added.get("terms"),
        rewards=added.get("rewards", []),
    )


def export_customers(uow: UnitOfWork, principal: Principal, note: str) -> None:
    """Put on record who takes the customer list with its personal fields, before the file
    exists."""
    require(principal, Permission.CUSTOMERS_READ)
    seen = [f for f in EXPORTED_FIELDS if principal.sees(f)]
    record(uow.session, principal, "export", "customer", None, seen, note=note)
