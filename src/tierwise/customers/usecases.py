"""The jobs people do on one customer, the same from the CLI, the API and the console: scope
checked once, the work and its consequences, the audit entry; the entry point commits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from tierwise.customers import privacy
from tierwise.customers.choices import ConsentPurpose, Direction, InteractionOutcome
from tierwise.customers.models import Consent, Customer, Interaction
from tierwise.customers.scopes import visible_customer
from tierwise.customers.service import ContactLogged, log_interaction, record_consent
from tierwise.db.session import UnitOfWork
from tierwise.identity.access import Principal, require
from tierwise.identity.audit import record
from tierwise.identity.roles import Permission
from tierwise.organisation.choices import InteractionChannel
from tierwise.organisation.models import Staff


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
) -> LoggedContact:
    """Log a contact with a customer in scope, made by `staff_code` or else by the acting staff
    member; the owner's matching tasks and resolved complaint follow-ups are done at once."""
    require(principal, Permission.INTERACTIONS_WRITE)
    customer = visible_customer(uow.session, principal, code)
    if staff_code is None and principal.staff_id is not None:
        staff_code = uow.session.scalar(select(Staff.code).where(Staff.id == principal.staff_id))
    interaction = log_interaction(
        uow, customer.code, occurred_at, channel, direction, memo, outcome, staff_code
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
