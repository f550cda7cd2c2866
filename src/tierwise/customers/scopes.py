"""The customers a principal may see and how their personal fields read: the one place scope and
masking are applied."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, column, false, or_, select, table, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.util import find_tables

from tierwise.customers.models import Customer
from tierwise.customers.service import CustomerNotFound
from tierwise.i18n import _
from tierwise.identity.access import Forbidden, Principal
from tierwise.identity.roles import RowScope
from tierwise.organisation.models import Staff

Row = TypeVar("Row")

# The desk's routed calls widen a CSR's scope; named by table so customers stays below the desk.
_queue = table(
    "queue_contacts",
    column("customer_id"),
    column("routed"),
    column("taken_by"),
    column("callback_by"),
    column("callback_due"),
    column("callback_done_at"),
)


def customer_filter(principal: Principal) -> ColumnElement[bool]:
    """A WHERE clause keeping only the customers the principal's row scope covers."""
    scope, me = principal.row_scope, principal.staff_id
    if scope in (RowScope.ALL, RowScope.PSEUDONYMOUS):
        return true()
    if me is None:
        return false()
    if scope is RowScope.OWN:
        return Customer.owner_id == me
    if scope is RowScope.TEAM:
        if principal.team is None:  # a manager without a team: their own customers only
            return Customer.owner_id == me
        team = select(Staff.id).where(Staff.team == principal.team)
        return or_(Customer.owner_id == me, Customer.owner_id.in_(team))
    # Only calls the system routed serve a customer: ones this agent answered or called back, and
    # callbacks still due (the desk's work); calls a person queued by hand widen nobody's scope.
    served = select(_queue.c.customer_id).where(
        _queue.c.routed.is_(True),
        or_(
            _queue.c.taken_by == me,
            _queue.c.callback_by == me,
            and_(_queue.c.callback_due.is_not(None), _queue.c.callback_done_at.is_(None)),
        ),
    )
    return or_(Customer.csr_id == me, Customer.id.in_(served))


def scoped(query: Select[Row], principal: Principal) -> Select[Row]:
    """`query` over customers, or over rows with a `customer_id` (joined to their customer), kept
    to the customers the principal's row scope covers: the one place scope is applied."""
    if not any(Customer.__table__ in find_tables(f) for f in query.get_final_froms()):
        entity = query.column_descriptions[0]["entity"]
        query = query.join(Customer, Customer.id == entity.customer_id)
    return query.where(customer_filter(principal))


def visible_customer(session: Session, principal: Principal, code: str) -> Customer:
    """The customer with `code` if the principal may open it; others look as if absent."""
    if principal.pseudonymous:
        raise Forbidden(_("analysts see pseudonymised lists and aggregates, not one customer"))
    customer = session.scalar(scoped(select(Customer).where(Customer.code == code), principal))
    if customer is None:
        raise CustomerNotFound(code)
    return customer


def only_customer(session: Session, principal: Principal, code: str) -> ColumnElement[bool]:
    """A filter to the one customer `code` of a scoped query; one the principal may not open
    looks absent, as in visible_customer."""
    return Customer.id == visible_customer(session, principal, code).id


def pseudonym(secret: str, customer_id: int) -> str:
    """A stable stand-in for a customer, the same in every list, that cannot be reversed."""
    digest = hmac.new(secret.encode(), str(customer_id).encode(), hashlib.sha256).hexdigest()
    return f"P-{digest[:12]}"


def masked(field: str, value: Any) -> Any:
    """A personal value as someone without the right to read it sees it."""
    if value is None:
        return None
    text = str(value)
    if field == "phone":
        return text[:3] + "*" * max(len(text) - 7, 4) + text[-4:] if len(text) > 7 else "****"
    if field == "email" and "@" in text:
        return text[0] + "***@" + text.split("@", 1)[1]
    return "***"


def shown(principal: Principal, field: str, value: Any) -> Any:
    """The value itself if the principal may read the field, else its mask."""
    return value if principal.sees(field) else masked(field, value)


def contact_shown(principal: Principal, field: str, value: Any) -> Any:
    """A contact person's field: whole with the right to contacts, else masked as a phone or an
    email (which the right to phones or emails shows) or as a name."""
    if principal.sees("contacts"):
        return value
    return shown(principal, field if field in ("phone", "email") else "contacts", value)
