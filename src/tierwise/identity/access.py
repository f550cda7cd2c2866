"""Who is asking and what they may see: permissions, the customers in their scope, masked fields."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.util import find_tables

from tierwise.customers.models import Customer
from tierwise.customers.service import CustomerNotFound
from tierwise.desk.queue_models import QueueContact
from tierwise.i18n import _
from tierwise.identity.roles import EVERYTHING, Permission, RowScope
from tierwise.organisation.models import Staff

Row = TypeVar("Row")


class Forbidden(PermissionError):
    """The principal lacks a permission, or the resource is outside what its role may see."""


@dataclass(frozen=True)
class Principal:
    """A signed-in user (by session or token) or the system itself, with what their role allows."""

    username: str
    kind: str  # human, token or system
    role: str
    permissions: frozenset[str]
    row_scope: RowScope
    personal_fields: frozenset[str]
    user_id: int | None = None
    staff_id: int | None = None
    team: str | None = None
    address: str | None = None

    def can(self, permission: Permission) -> bool:
        """Whether the role (narrowed by the token's scopes) grants `permission`."""
        return permission.value in self.permissions

    def sees(self, field: str) -> bool:
        """Whether this principal may read the personal field unmasked."""
        return self.row_scope is not RowScope.PSEUDONYMOUS and field in self.personal_fields

    @property
    def pseudonymous(self) -> bool:
        """Analysts see every row, but under a pseudonym and without personal fields."""
        return self.row_scope is RowScope.PSEUDONYMOUS


SYSTEM = Principal(
    username="system",
    kind="system",
    role="admin",
    permissions=frozenset(EVERYTHING),
    row_scope=RowScope.ALL,
    personal_fields=frozenset(),
)


def require(principal: Principal, permission: Permission) -> None:
    """Refuse unless the principal holds the permission."""
    if not principal.can(permission):
        raise Forbidden(
            _("your role ({role}) does not allow {permission}").format(
                role=principal.role, permission=permission.value
            )
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
    served = select(QueueContact.customer_id).where(
        QueueContact.routed.is_(True),
        or_(
            QueueContact.taken_by == me,
            QueueContact.callback_by == me,
            and_(QueueContact.callback_due.is_not(None), QueueContact.callback_done_at.is_(None)),
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
