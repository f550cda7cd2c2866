"""Personal-data rights: all that is held about a person, and erasure keeping the numbers whole."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from tierwise.customers.choices import ConsentPurpose
from tierwise.customers.models import (
    Consent,
    Contact,
    Customer,
    Interaction,
    ProfileEntry,
    Referral,
)
from tierwise.customers.profile import NON_PERSONAL_SECTIONS
from tierwise.customers.reads import CUSTOMER_PERSONAL
from tierwise.customers.scopes import contact_shown, pseudonym, shown, visible_customer
from tierwise.db.base import Base, plain, utcnow
from tierwise.identity.access import Principal
from tierwise.identity.audit import record
from tierwise.identity.roles import PERSONAL_FIELDS
from tierwise.sheets import BOM, CsvWriter

ERASED = "(erased)"


def _tables_about_customers() -> list[Table]:
    """Every table with a customer_id column: the bundle follows the schema, so none is missed."""
    return [t for t in Base.metadata.sorted_tables if "customer_id" in t.c]


CONTACT_COLUMNS = ("name", "phone", "email")
"""A contact person's columns the file view masks."""


def mask_bundle(principal: Principal, bundle: dict[str, Any]) -> list[str]:
    """Mask the bundle by the principal's allow-list, as their file view is masked; returns the
    personal fields it still shows."""
    for row in bundle.get("customers", []):
        row.update({f: shown(principal, f, row[f]) for f in CUSTOMER_PERSONAL})
    for row in bundle.get("contacts", []):
        row.update({c: contact_shown(principal, c, row[c]) for c in CONTACT_COLUMNS})
    for row in bundle.get("queue_contacts", []):
        row["caller"] = shown(principal, "phone", row["caller"])  # a phone number, mostly
    if not principal.sees("profile"):
        for row in bundle.get("profile_entries", []):
            if row["section"] not in NON_PERSONAL_SECTIONS:
                row["data"] = {"masked": True}
    return [f for f in PERSONAL_FIELDS if principal.sees(f)]


def personal_data(session: Session, principal: Principal, code: str) -> dict[str, Any]:
    """Everything Tierwise holds about one customer in scope, table by table, masked by the
    principal's allow-list; the request is audited with the personal fields it showed."""
    customer = visible_customer(session, principal, code)
    bundle: dict[str, Any] = {}
    customers = Customer.__table__
    rows = session.execute(select(customers).where(customers.c.id == customer.id)).mappings()
    bundle["customers"] = [{k: plain(v) for k, v in row.items()} for row in rows]
    for table in _tables_about_customers():
        rows = session.execute(select(table).where(table.c.customer_id == customer.id)).mappings()
        found = [{k: plain(v) for k, v in row.items()} for row in rows]
        if found:
            bundle[table.name] = found
    referrals = Referral.__table__
    rows = session.execute(
        select(referrals).where(
            (referrals.c.referrer_id == customer.id) | (referrals.c.referred_id == customer.id)
        )
    ).mappings()
    bundle["referrals"] = [{k: plain(v) for k, v in row.items()} for row in rows]
    shown_fields = mask_bundle(principal, bundle)
    record(session, principal, "export_personal_data", "customer", customer.code, shown_fields)
    return bundle


def bundle_zip(bundle: dict[str, Any]) -> bytes:
    """The bundle as one CSV per table in a zip file, for people who open it in Excel."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in bundle.items():
            if not rows:
                continue
            text = io.StringIO()
            writer = CsvWriter(text)
            writer.writerow(list(rows[0]))
            for row in rows:
                writer.writerow(row.values())
            archive.writestr(f"{name}.csv", BOM + text.getvalue())
    return buffer.getvalue()


@dataclass(frozen=True)
class PersonErased:
    """A person was anonymised: every capability forgets what it holds of them."""

    customer_id: int
    code: str


def erase(session: Session, principal: Principal, customer: Customer, secret: str) -> None:
    """Anonymise a person: personal fields go, orders and figures stay, consents are withdrawn."""
    cid = customer.id
    customer.name = pseudonym(secret, cid)
    customer.phone = customer.email = customer.address = None
    session.execute(
        update(Contact)
        .where(Contact.customer_id == cid)
        .values(name=ERASED, phone=None, phone_key=None, email=None, title=None)
    )
    session.execute(
        delete(ProfileEntry).where(
            ProfileEntry.customer_id == cid, ProfileEntry.section.not_in(NON_PERSONAL_SECTIONS)
        )
    )
    session.execute(update(Interaction).where(Interaction.customer_id == cid).values(memo=None))
    session.execute(
        update(Referral).where(Referral.referred_id == cid).values(referred_name=ERASED)
    )
    now = utcnow()
    for purpose in ConsentPurpose:
        session.add(
            Consent(
                customer_id=cid, purpose=purpose, granted=False, recorded_at=now, source="erasure"
            )
        )
    record(
        session, principal, "erase", "customer", customer.code, note="personal fields anonymised"
    )
    session.flush()
