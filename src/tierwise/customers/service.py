"""Use cases on the customer file: look a customer up, log a contact, keep sections and consents."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tierwise.customers.choices import ConsentPurpose, Direction, InteractionOutcome
from tierwise.customers.models import (
    Consent,
    Contact,
    Customer,
    Interaction,
    ProfileEntry,
)
from tierwise.customers.profile import ProfileSection, validate_section
from tierwise.db.session import UnitOfWork
from tierwise.i18n import _
from tierwise.organisation.choices import InteractionChannel
from tierwise.organisation.models import Staff


class CustomerNotFound(LookupError):
    """No customer has the code the user gave."""

    def __init__(self, code: str) -> None:
        super().__init__(_("no customer with code {code!r}").format(code=code))
        self.code = code


@dataclass(frozen=True)
class ContactLogged:
    """A contact with a customer was logged (by hand, or by a ticket moving on)."""

    customer_id: int
    interaction_id: int | None = None


@dataclass(frozen=True)
class CustomerFileRead:
    """A customer's file is being read; the capabilities above add what they know of it: sales
    the purchases, the tier engine the terms in force and the rewards. The console's 360 reads it
    `whole`: with the latest orders, tickets, open tasks, the figures' trend and the tier."""

    customer_id: int
    today: dt.date
    whole: bool = False


@dataclass(frozen=True)
class CustomersListed:
    """Rows of the customer list are being shown; the tier engine adds each one's tier."""

    customer_ids: tuple[int, ...]


@dataclass(frozen=True)
class CustomersFiltered:
    """The customer list is filtered by what the capabilities above hold: the tier engine answers
    the tier, analytics the RFM segment, each with a condition on the customer."""

    tier: str | None = None
    segment: str | None = None


@dataclass(frozen=True)
class CustomerSummary:
    """Everything `customers show` prints about one customer; the purchases, terms and rewards are
    what the capabilities above add."""

    customer: Customer
    owner: Staff | None
    csr: Staff | None
    referred_by: Customer | None
    contacts: list[Contact]
    sections: dict[ProfileSection, dict[str, Any]]
    consents: dict[ConsentPurpose, bool]
    totals: Any = None  # what sales adds: the purchases, net of returns
    terms: dict[str, Any] | None = None
    rewards: list[dict[str, Any]] = field(default_factory=list)


def get_customer(session: Session, code: str) -> Customer:
    """The customer with `code`, or CustomerNotFound."""
    customer = session.scalar(select(Customer).where(Customer.code == code))
    if customer is None:
        raise CustomerNotFound(code)
    return customer


def current_consents(session: Session, customer_id: int) -> dict[ConsentPurpose, bool]:
    """The consent in force per purpose: the latest record wins."""
    rows = session.scalars(
        select(Consent)
        .where(Consent.customer_id == customer_id)
        .order_by(Consent.recorded_at, Consent.id)
    )
    return {row.purpose: row.granted for row in rows}


def customer_summary(uow: UnitOfWork, code: str) -> CustomerSummary:
    """One customer's file, people, purchases and consents."""
    session = uow.session
    customer = get_customer(session, code)
    contacts = session.scalars(
        select(Contact)
        .where(Contact.customer_id == customer.id)
        .order_by(Contact.is_primary.desc(), Contact.name)
    ).all()
    entries = session.scalars(select(ProfileEntry).where(ProfileEntry.customer_id == customer.id))
    return CustomerSummary(
        customer=customer,
        owner=session.get(Staff, customer.owner_id) if customer.owner_id else None,
        csr=session.get(Staff, customer.csr_id) if customer.csr_id else None,
        referred_by=session.get(Customer, customer.referred_by_id)
        if customer.referred_by_id
        else None,
        contacts=list(contacts),
        sections={entry.section: entry.data for entry in entries},
        consents=current_consents(session, customer.id),
    )


def log_interaction(
    uow: UnitOfWork,
    code: str,
    occurred_at: dt.datetime,
    channel: InteractionChannel,
    direction: Direction,
    memo: str | None = None,
    outcome: InteractionOutcome | None = None,
    staff_code: str | None = None,
    minutes: float | None = None,
) -> Interaction:
    """Log a contact as a memo; the customer's last-contact date moves forward with it."""
    session = uow.session
    customer = get_customer(session, code)
    staff_id = None
    if staff_code is not None:
        staff_id = session.scalar(select(Staff.id).where(Staff.code == staff_code))
        if staff_id is None:
            raise LookupError(_("no staff member with code {code!r}").format(code=staff_code))
    interaction = Interaction(
        customer_id=customer.id,
        staff_id=staff_id,
        occurred_at=occurred_at,
        channel=channel,
        direction=direction,
        memo=memo,
        outcome=outcome,
        minutes=minutes,
    )
    session.add(interaction)
    if customer.last_contact_at is None or occurred_at > customer.last_contact_at:
        customer.last_contact_at = occurred_at
    session.flush()
    return interaction


def set_section(
    uow: UnitOfWork, code: str, section: ProfileSection, data: dict[str, Any]
) -> ProfileEntry:
    """Replace one section of the customer's file after checking it against its schema."""
    session = uow.session
    customer = get_customer(session, code)
    clean = validate_section(section, data)
    entry = session.scalar(
        select(ProfileEntry).where(
            ProfileEntry.customer_id == customer.id, ProfileEntry.section == section
        )
    )
    if entry is None:
        entry = ProfileEntry(customer_id=customer.id, section=section, data=clean)
        session.add(entry)
    else:
        entry.data = clean
    session.flush()
    return entry


def record_consent(
    uow: UnitOfWork, code: str, purpose: ConsentPurpose, granted: bool, source: str
) -> Consent:
    """Append a consent decision; history is kept, the latest counts."""
    customer = get_customer(uow.session, code)
    consent = Consent(customer_id=customer.id, purpose=purpose, granted=granted, source=source)
    uow.session.add(consent)
    uow.session.flush()
    return consent
