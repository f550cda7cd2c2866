"""Who is asking and what they may see: permissions, the customers in their scope, masked fields."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from tierwise.i18n import _
from tierwise.identity.roles import EVERYTHING, Permission, RowScope

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
