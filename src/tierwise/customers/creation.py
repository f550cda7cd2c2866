"""Adding customers one at a time and keeping their file's fields: what each field may hold, in
business words, codes that never collide, and who referred whom."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tierwise.customers.choices import (
    AcquisitionSource,
    ChurnType,
    CustomerKind,
    CustomerStatus,
    EnterpriseNature,
    ManagementClass,
    MarketingType,
    SalesChannel,
)
from tierwise.customers.models import GROWTH_RATE_LARGEST, Customer, Referral
from tierwise.customers.phones import phone_key
from tierwise.customers.scopes import scoped
from tierwise.db.base import MAX_AMOUNT
from tierwise.db.choices import Choice
from tierwise.errors import Conflict
from tierwise.i18n import N_, _, current_language
from tierwise.identity.access import Principal

CODE_PREFIX = "C"
CODE_DIGITS = 6

CHOICE_FIELDS: dict[str, type[Choice]] = {
    "kind": CustomerKind,
    "status": CustomerStatus,
    "marketing_type": MarketingType,
    "management_class": ManagementClass,
    "channel": SalesChannel,
    "acquisition_source": AcquisitionSource,
    "enterprise_nature": EnterpriseNature,
    "churn_type": ChurnType,
}
TEXT_FIELDS = {
    "name": 200,
    "industry": 100,
    "region": 100,
    "credit_rating": 8,
    "phone": 50,
    "email": 200,
    "address": 500,
}
AMOUNT_FIELDS = (
    "credit_limit",
    "asset_scale",
    "annual_revenue",
    "potential_demand",
    "wallet_estimate",
)
FIELD_LABELS = {
    "code": N_("Customer code"),
    "name": N_("Name"),
    "kind": N_("Kind"),
    "status": N_("Status"),
    "industry": N_("Industry"),
    "region": N_("Region"),
    "marketing_type": N_("Marketing type"),
    "management_class": N_("Management class"),
    "channel": N_("Channel"),
    "credit_rating": N_("Credit rating"),
    "credit_limit": N_("Credit limit"),
    "acquisition_source": N_("Acquisition source"),
    "referred_by": N_("Referred by"),
    "acquired_on": N_("Acquired on"),
    "churn_type": N_("Churn type"),
    "enterprise_nature": N_("Enterprise nature"),
    "asset_scale": N_("Asset scale"),
    "annual_revenue": N_("Annual revenue"),
    "growth_rate": N_("Growth rate"),
    "potential_demand": N_("Potential demand"),
    "wallet_estimate": N_("Yearly category spend (estimate)"),
    "phone": N_("Phone"),
    "email": N_("Email"),
    "address": N_("Address"),
}
FILE_FIELDS = tuple(f for f in FIELD_LABELS if f != "code")
"""Every field of the file a person may set when adding or editing a customer."""


@dataclass(frozen=True)
class CustomerCreated:
    """A customer or prospect was added by hand; the capabilities above grade it and give it an
    owner: the creator when they win accounts, else the tier's rules."""

    customer_id: int
    today: dt.date
    author: str
    creator_staff_id: int | None


def field_label(field: str) -> str:
    """A field of the file in the reader's language."""
    return _(FIELD_LABELS.get(field, field))


def _refused(field: str, value: object, expected: str) -> ValueError:
    """A clear refusal naming the field, the value and what it takes."""
    return ValueError(
        _("{field}: “{value}” is not {expected}").format(
            field=field_label(field), value=value, expected=expected
        )
    )


def choice_from_text(field: str, text: str) -> Choice | None:
    """The member of a field's vocabulary a form or command names by key or label, in either
    language; empty for none."""
    if not text.strip():
        return None
    vocabulary = CHOICE_FIELDS[field]
    found = vocabulary.aliases().get(text.strip().casefold())
    if found is None:
        labels = " / ".join(m.label(current_language()) for m in vocabulary)
        raise _refused(field, text, _("one of: {labels}").format(labels=labels))
    return found


def value_from_text(field: str, text: str) -> Any:
    """A field's value as typed in a form or on the command line; empty means none."""
    text = text.strip()
    if field in CHOICE_FIELDS:
        return choice_from_text(field, text)
    if not text:
        return None
    if field in AMOUNT_FIELDS or field == "growth_rate":
        try:
            return Decimal(text.replace(",", ""))
        except InvalidOperation:
            raise _refused(field, text, _("a number")) from None
    if field == "acquired_on":
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise _refused(field, text, _("a date like 2026-12-01")) from None
    return text


def clean_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields checked against what the file holds, text as typed read as each field's value
    (empty means none); refused in plain words naming the first field that is wrong.
    `referred_by` stays a code."""
    unknown = sorted(set(fields) - set(FILE_FIELDS) - {"code"})
    if unknown:
        names = ", ".join(unknown)
        raise ValueError(_("not a field of the customer file: {names}").format(names=names))
    clean: dict[str, Any] = {}
    for field, value in fields.items():
        if isinstance(value, str):
            value = value_from_text(field, value)
        if value is not None:
            _check(field, value)
        clean[field] = value
    if "name" in clean and clean["name"] is None:
        raise name_missing()
    for field in ("kind", "status", "channel"):
        if field in clean and clean[field] is None:
            raise ValueError(
                _("{field}: every customer has one; choose one").format(field=field_label(field))
            )
    return clean


def refuse_blacklist_here(before: object, after: object) -> None:
    """The blacklist is its own job (with a reason, regraded at once): a file edit or a new
    customer neither puts a customer on it nor takes one off."""
    if CustomerStatus.BLACKLISTED in (before, after) and before != after:
        raise ValueError(
            _(
                "{field}: a customer is put on or taken off the blacklist with a reason "
                "(tierwise tiers blacklist), not by editing the file"
            ).format(field=field_label("status"))
        )


def name_missing() -> ValueError:
    """The refusal of a customer without a name."""
    return ValueError(_("{field}: a customer needs a name").format(field=field_label("name")))


def _check(field: str, value: Any) -> None:
    """Refuse a value the field cannot hold."""
    if field in CHOICE_FIELDS and not isinstance(value, CHOICE_FIELDS[field]):
        raise _refused(field, value, _("one of its choices"))
    if field in TEXT_FIELDS and len(str(value)) > TEXT_FIELDS[field]:
        expected = _("at most {n} characters").format(n=TEXT_FIELDS[field])
        raise _refused(field, value, expected)
    if field in ("code", "referred_by") and len(str(value)) > 64:
        raise _refused(field, value, _("at most {n} characters").format(n=64))
    amount = isinstance(value, Decimal) and 0 <= value <= MAX_AMOUNT
    if field in AMOUNT_FIELDS and not amount:
        raise _refused(field, value, _("an amount of at least 0"))
    rate = isinstance(value, Decimal) and abs(value) <= GROWTH_RATE_LARGEST
    if field == "growth_rate" and not rate:
        raise _refused(field, value, _("a yearly fraction such as 0.12"))
    if field == "acquired_on" and not isinstance(value, dt.date):
        raise _refused(field, value, _("a date like 2026-12-01"))


def next_code(session: Session) -> str:
    """The next code of the readable sequence C000001, C000002, …: one past the largest code of
    that shape, skipping any taken (codes are unique, so a new one never collides)."""
    rows = session.scalars(
        select(Customer.code)
        .where(Customer.code.like(f"{CODE_PREFIX}%"))
        .order_by(func.length(Customer.code).desc(), Customer.code.desc())
        .limit(50)
    )
    largest = max(
        (int(c[len(CODE_PREFIX) :]) for c in rows if c[len(CODE_PREFIX) :].isdigit()), default=0
    )
    number = largest + 1
    while True:
        code = f"{CODE_PREFIX}{number:0{CODE_DIGITS}d}"
        if session.scalar(select(Customer.id).where(Customer.code == code)) is None:
            return code
        number += 1


def refuse_duplicates(
    session: Session, principal: Principal, code: str | None, phone: str | None
) -> None:
    """Refuse a code already given or a phone another customer already has; the customer with
    the phone is named only to those whose scope holds it (the desk's rule: a number outside
    one's scope names nobody)."""
    if code is not None and session.scalar(select(Customer.id).where(Customer.code == code)):
        raise Conflict(_("a customer with code {code} already exists").format(code=code))
    key = phone_key(phone)
    if key is None:
        return
    holders = select(Customer.code).where(Customer.phone_key == key).order_by(Customer.code)
    if session.scalar(holders.limit(1)) is None:
        return
    shown = None if principal.pseudonymous else session.scalar(scoped(holders, principal).limit(1))
    if shown is None:
        raise Conflict(
            _("another customer already has the phone number {phone}").format(phone=phone)
        )
    raise Conflict(
        _("customer {code} already has the phone number {phone}").format(code=shown, phone=phone)
    )


def referrer_of(session: Session, code: str | None, referred: Customer | None) -> Customer | None:
    """The customer a `referred_by` code names; refused if unknown or the customer itself."""
    if code is None:
        return None
    referrer = session.scalar(select(Customer).where(Customer.code == code))
    if referrer is None:
        raise _refused("referred_by", code, _("the code of a customer"))
    if referred is not None and referrer.id == referred.id:
        raise _refused("referred_by", code, _("another customer's code"))
    return referrer


def set_referrer(
    session: Session, customer: Customer, referrer: Customer | None, today: dt.date
) -> None:
    """Who referred the customer, kept as its referral too (推荐数量): a new referrer replaces the
    old referral, none removes it; dated when the customer was acquired, else today."""
    session.execute(
        delete(Referral).where(
            Referral.referred_id == customer.id,
            Referral.referrer_id != (referrer.id if referrer else -1),
        )
    )
    customer.referred_by_id = referrer.id if referrer else None
    if referrer is None:
        return
    known = session.scalar(
        select(Referral.id).where(
            Referral.referred_id == customer.id, Referral.referrer_id == referrer.id
        )
    )
    if known is None:
        session.add(
            Referral(
                referrer_id=referrer.id,
                referred_id=customer.id,
                referred_name=customer.name,
                referred_on=customer.acquired_on or today,
            )
        )
