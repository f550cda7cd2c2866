"""The jobs on accounts, the same from the CLI, the API and the console: permission checked
once, the change, the audit entry; the entry point commits."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from tierwise.db.base import utcnow
from tierwise.db.session import UnitOfWork
from tierwise.i18n import _
from tierwise.identity import accounts
from tierwise.identity.access import Principal, require
from tierwise.identity.audit import record
from tierwise.identity.models import ApiToken, User
from tierwise.identity.roles import Permission


@dataclass(frozen=True)
class NewUser:
    """A user just added and the one-time password to hand over once."""

    user: User
    password: str


@dataclass(frozen=True)
class NewToken:
    """A token just issued and its secret, shown this once."""

    token: ApiToken
    raw: str


def first_admin(uow: UnitOfWork, principal: Principal, username: str) -> NewUser | None:
    """The first administrator with a one-time password, unless an administrator exists."""
    if uow.session.scalar(select(User.id).where(User.role == "admin")) is not None:
        return None
    password = accounts.one_time_password()
    user = accounts.add_user(uow.session, username, _("Administrator"), "admin", password)
    record(uow.session, principal, "create_user", "user", username, note="first admin")
    return NewUser(user, password)


def create_user(
    uow: UnitOfWork,
    principal: Principal,
    username: str,
    display_name: str,
    role: str,
    staff_code: str | None = None,
) -> NewUser:
    """Add a user who must change the one-time password at first sign-in."""
    require(principal, Permission.USERS_MANAGE)
    password = accounts.one_time_password()
    user = accounts.add_user(uow.session, username, display_name, role, password, staff_code)
    record(uow.session, principal, "create_user", "user", user.username, note=f"role {role}")
    return NewUser(user, password)


def reset_password(uow: UnitOfWork, principal: Principal, username: str) -> str:
    """Give a user a new one-time password, which also lifts a lockout."""
    require(principal, Permission.USERS_MANAGE)
    password = accounts.one_time_password()
    accounts.set_password(uow.session, username, password, temporary=True)
    record(uow.session, principal, "reset_password", "user", username)
    return password


def disable_user(uow: UnitOfWork, principal: Principal, username: str) -> User:
    """Stop a user signing in; their sessions and tokens stop working."""
    require(principal, Permission.USERS_MANAGE)
    user = accounts.disable_user(uow.session, username)
    record(uow.session, principal, "disable_user", "user", username)
    return user


def change_own_password(uow: UnitOfWork, principal: Principal, current: str, new: str) -> User:
    """Check the current password and set the new one; every session of the user ends."""
    user = _acting_user(uow, principal)
    accounts.change_own_password(uow.session, user, current, new)
    record(uow.session, principal, "change_password", "user", user.username)
    return user


def create_token(
    uow: UnitOfWork, principal: Principal, name: str, scopes: list[str], days: int
) -> NewToken:
    """A token of the signed-in user limited to `scopes` (none: everything the role allows)."""
    if principal.kind == "token":
        raise accounts.AccountError(_("sign in with a password to create tokens"))
    user = _acting_user(uow, principal)
    token, raw = accounts.issue_token(uow.session, user, name, scopes, days, utcnow())
    record(uow.session, principal, "create_token", "token", str(token.id), note=name)
    return NewToken(token, raw)


def revoke_token(uow: UnitOfWork, principal: Principal, token_id: int, any_user: bool) -> None:
    """Stop a token working at once: one's own, or anyone's for a user manager who asks so."""
    user = _acting_user(uow, principal)
    any_user = any_user and principal.can(Permission.USERS_MANAGE)
    accounts.revoke_token(uow.session, user, token_id, utcnow(), any_user)
    record(uow.session, principal, "revoke_token", "token", str(token_id))


def _acting_user(uow: UnitOfWork, principal: Principal) -> User:
    user = uow.session.get(User, principal.user_id) if principal.user_id is not None else None
    if user is None:
        raise accounts.AccountError(_("sign in as a user to manage your own account"))
    return user
