"""Customers as a user may see them: their rows only, personal fields masked, reads audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from tierwise.customers.choices import ConsentPurpose, CustomerStatus, ManagementClass
from tierwise.customers.models import Consent, Contact, Customer, Interaction
from tierwise.customers.phones import phone_key
from tierwise.customers.profile import is_personal
from tierwise.customers.scopes import (
    contact_shown,
    customer_filter,
    pseudonym,
    shown,
    visible_customer,
)
from tierwise.customers.service import (
    CustomerFileRead,
    CustomersFiltered,
    CustomersListed,
    customer_summary,
)
from tierwise.db.session import UnitOfWork
from tierwise.i18n import _
from tierwise.identity.access import Forbidden, Principal
from tierwise.identity.audit import record
from tierwise.organisation.models import Staff
from tierwise.web.pagination import page

CUSTOMER_PERSONAL = ("phone", "email", "address")


def scoped_customers(
    uow: UnitOfWork,
    principal: Principal,
    tier: str | None = None,
    status: CustomerStatus | None = None,
    owner: str | None = None,
    search: str | None = None,
    management_class: ManagementClass | None = None,
    segment: str | None = None,
) -> Select[Any]:
    """The customers the principal may list, filtered; analysts cannot search (pseudonyms). The
    tier and the RFM segment are answered by the capabilities that hold them."""
    query = select(Customer).where(customer_filter(principal))
    if management_class is not None:
        query = query.where(Customer.management_class == management_class)
    asked = {"tier": tier, "segment": segment}
    if any(value is not None for value in asked.values()):
        conditions = uow.happened(CustomersFiltered(tier=tier, segment=segment))
        for name, value in asked.items():
            if value is not None:
                if name not in conditions:  # a wiring fault, not the user's
                    raise RuntimeError(f"nothing in the composition root answers the {name} filter")
                query = query.where(conditions[name])
    if status is not None:
        query = query.where(Customer.status == status)
    if owner is not None:
        query = query.where(Customer.owner_id.in_(select(Staff.id).where(Staff.code == owner)))
    if search:
        if principal.pseudonymous:
            raise Forbidden(_("analysts cannot search customers by code or name"))
        query = query.where(search_filter(principal, search))
    return query


def search_filter(principal: Principal, text: str) -> ColumnElement[bool]:
    """What one search box finds: a code starting with the text, a name holding it anywhere,
    a number however written (customers' and contacts', for roles that read phones), and a
    contact person's name (for roles that read contacts)."""
    escaped = text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
    anywhere = f"%{escaped}%"
    found: list[ColumnElement[bool]] = [
        Customer.code.like(escaped + "%", escape="\\"),
        Customer.name.like(anywhere, escape="\\"),
    ]
    key = phone_key(text)
    if (
        key is not None
        and sum(c.isdigit() for c in key) >= PHONE_DIGITS
        and principal.sees("phone")
    ):
        found.append(Customer.phone_key == key)
        found.append(Customer.id.in_(select(Contact.customer_id).where(Contact.phone_key == key)))
    if principal.sees("contacts"):
        found.append(
            Customer.id.in_(
                select(Contact.customer_id).where(Contact.name.like(anywhere, escape="\\"))
            )
        )
    return or_(*found)


FILE_DETAILS = (
    "credit_rating",
    "credit_limit",
    "acquisition_source",
    "acquired_on",
    "enterprise_nature",
    "asset_scale",
    "annual_revenue",
    "growth_rate",
    "potential_demand",
    "wallet_estimate",
)
"""The file's fields the 360 and the API's detail show beyond those of a list row."""

PHONE_DIGITS = 7  # a search of fewer digits is a code or a name, not a number


SORT_COLUMNS = {"code": Customer.code, "name": Customer.name}


def customer_page(
    uow: UnitOfWork,
    principal: Principal,
    secret: str,
    sort: str,
    cursor: str | None,
    limit: int,
    **filters: Any,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of the customers the principal may list, masked, with the read audited; `filters`
    are those of scoped_customers."""
    query = scoped_customers(uow, principal, **filters)
    # Analysts page by id: a cursor holding a code or name would undo the pseudonym.
    key = Customer.id if principal.pseudonymous else SORT_COLUMNS[sort.lstrip("-")]
    session = uow.session
    rows, next_cursor = page(session, query, key, Customer.id, sort.startswith("-"), cursor, limit)
    items = customer_rows(uow, principal, rows, secret)
    audit_read(session, principal, [c.code for c in rows], CUSTOMER_PERSONAL)
    return items, next_cursor


def customer_rows(
    uow: UnitOfWork, principal: Principal, customers: Sequence[Customer], secret: str
) -> list[dict[str, Any]]:
    """List rows with tier and staff codes in two queries, masked for the principal."""
    session = uow.session
    listed = uow.happened(CustomersListed(tuple(c.id for c in customers)))
    tiers: dict[int, str] = listed.get("tiers", {})
    staff_ids = {c.owner_id for c in customers} | {c.csr_id for c in customers}
    staff = session.execute(
        select(Staff.id, Staff.code, Staff.name).where(Staff.id.in_(staff_ids - {None}))
    ).all()
    codes: dict[int | None, str] = {s.id: s.code for s in staff}
    names: dict[int | None, str] = {s.id: s.name for s in staff}
    rows = []
    for c in customers:
        row = {
            "code": c.code,
            "name": c.name,
            "kind": c.kind,
            "status": c.status,
            "churn_type": c.churn_type,
            "tier": tiers.get(c.id),
            "industry": c.industry,
            "region": c.region,
            "marketing_type": c.marketing_type,
            "management_class": c.management_class,
            "channel": c.channel,
            "owner": codes.get(c.owner_id),
            "csr": codes.get(c.csr_id),
            "owner_name": names.get(c.owner_id),
            "csr_name": names.get(c.csr_id),
            "version": c.version,
            "updated_at": c.updated_at,
        }
        if principal.pseudonymous:
            row["code"] = row["name"] = pseudonym(secret, c.id)
            row.update(dict.fromkeys(CUSTOMER_PERSONAL))
        else:
            row.update({f: shown(principal, f, getattr(c, f)) for f in CUSTOMER_PERSONAL})
        rows.append(row)
    return rows


def audit_read(
    session: Session, principal: Principal, codes: Sequence[str], fields: Sequence[str]
) -> None:
    """Note who read which personal fields of which customers (nothing if none were shown)."""
    seen = [f for f in fields if principal.sees(f)]
    if seen and codes:
        resource_id = codes[0] if len(codes) == 1 else None
        note = None if len(codes) == 1 else " ".join(codes)
        record(session, principal, "read", "customer", resource_id, seen, note=note)


def customer_file(
    uow: UnitOfWork,
    principal: Principal,
    code: str,
    secret: str,
    today: dt.date,
    whole: bool = False,
) -> tuple[Customer, dict[str, Any]]:
    """The customer with `code` if the principal may open it, and its file masked for them,
    with what the capabilities above add (purchases, terms in force, rewards; read `whole`, the
    timeline the 360 shows too); reading personal fields is audited."""
    session = uow.session
    customer = visible_customer(session, principal, code)
    summary = customer_summary(uow, customer.code)
    row = customer_rows(uow, principal, [customer], secret)[0]
    contacts = [
        {
            "code": p.code,
            "name": contact_shown(principal, "name", p.name),
            "department": p.department,
            "title": p.title,
            "phone": contact_shown(principal, "phone", p.phone),
            "email": contact_shown(principal, "email", p.email),
            "is_primary": p.is_primary,
        }
        for p in summary.contacts
    ]
    sections = {
        section.value: data
        if not is_personal(section) or principal.sees("profile")
        else {"masked": True}
        for section, data in summary.sections.items()
    }
    added = uow.happened(CustomerFileRead(customer.id, today, whole))
    totals = added.pop("totals", None)
    row.update(
        contacts=contacts,
        totals=None
        if totals is None
        else {
            "orders": totals.orders,
            "revenue": totals.revenue,
            "cost": totals.cost,
            "returns": totals.returns,
            "first_order": totals.first_order,
            "last_order": totals.last_order,
        },
        **{f: getattr(customer, f) for f in FILE_DETAILS},
        referred_by=summary.referred_by.code if summary.referred_by else None,
        sections=sections,
        consents={purpose.value: granted for purpose, granted in summary.consents.items()},
        terms=added.pop("terms", None),
        rewards=added.pop("rewards", []),
    )
    audit_read(session, principal, [customer.code], [*CUSTOMER_PERSONAL, "contacts", "profile"])
    return customer, row | ({"timeline": added} if whole else {})


def latest_interactions(session: Session, customer: Customer) -> list[Interaction]:
    """The customer's latest logged contacts, newest first, for the 360."""
    query = select(Interaction).where(Interaction.customer_id == customer.id)
    return list(session.scalars(query.order_by(Interaction.occurred_at.desc()).limit(20)))


def interactions_of(session: Session, principal: Principal, code: str) -> Select[Any]:
    """The logged contacts of a customer the principal may open."""
    customer = visible_customer(session, principal, code)
    return select(Interaction).where(Interaction.customer_id == customer.id)


def consents_of(session: Session, principal: Principal, code: str) -> list[Consent]:
    """Every consent decision of a customer the principal may open, oldest first."""
    customer = visible_customer(session, principal, code)
    query = select(Consent).where(Consent.customer_id == customer.id)
    return list(session.scalars(query.order_by(Consent.recorded_at, Consent.id)))


def marketing_consented() -> Select[Any]:
    """Ids of customers whose consent to marketing in force (the latest decision) is a grant."""
    return consent_in_force(ConsentPurpose.MARKETING, granted=True)


def consent_in_force(purpose: ConsentPurpose, granted: bool) -> Select[Any]:
    """Ids of customers whose latest decision for the purpose is a grant (or a withdrawal)."""
    newer = aliased(Consent)
    superseded = exists().where(
        newer.customer_id == Consent.customer_id,
        newer.purpose == Consent.purpose,
        or_(
            newer.recorded_at > Consent.recorded_at,
            and_(newer.recorded_at == Consent.recorded_at, newer.id > Consent.id),
        ),
    )
    return select(Consent.customer_id).where(
        Consent.purpose == purpose, Consent.granted.is_(granted), ~superseded
    )


def terms_rows(terms: dict[str, Any]) -> list[tuple[str, str]]:
    """The terms in force as label and value, the same on the 360 page and in `customers show`."""

    def yuan(amount: Any) -> str:
        return "—" if amount is None else f"¥{amount:,.0f}"

    discount = f"{terms['discount_percent']:g}%"
    if terms["category_discounts"]:
        by_category = ", ".join(f"{k} {v:g}%" for k, v in terms["category_discounts"].items())
        discount += f" ({by_category})"
    payment = terms["payment_label"]
    if terms["credit_days"]:
        payment += " · " + _("{days} days").format(days=terms["credit_days"])
    rows = [
        (_("Tier terms"), f"{terms['tier']} {terms['tier_name']}"),
        (_("Discount off list price"), discount),
        (_("Payment"), payment),
    ]
    if terms["credit_limit"] is not None:
        limit = yuan(terms["credit_limit"])
        if terms["credit_limit_own"]:
            limit += " " + _("(the customer's own limit)")
        rows += [
            (_("Credit limit"), limit),
            (_("Credit used"), yuan(terms["credit_used"])),
            (_("Credit left"), yuan(terms["credit_left"])),
        ]
    if terms["lead_time_days"] is not None:
        days = terms["lead_time_days"]
        promise = _("the next day") if days == 1 else _("within {days} days").format(days=days)
        rows.append((_("Delivery"), promise))
    if terms["benefits"]:
        rows.append((_("Benefits"), "、".join(terms["benefits"])))
    return rows
