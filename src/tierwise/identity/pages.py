"""The admin page: users and roles, new users with one-time passwords, the audit log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from tierwise.i18n import _
from tierwise.identity import accounts
from tierwise.identity.access import require
from tierwise.identity.audit import record
from tierwise.identity.models import AuditEntry, Role, User
from tierwise.identity.roles import Permission
from tierwise.web.deps import UowDep
from tierwise.web.pages import PagePrincipal
from tierwise.web.render import render

router = APIRouter(include_in_schema=False)
AUDIT_SHOWN = 100


def _admin(
    request: Request, uow: UowDep, principal: PagePrincipal, status: int = 200, **context: object
) -> HTMLResponse:
    session = uow.session
    return render(
        request,
        "admin.html",
        principal,
        status=status,
        users=list(session.scalars(select(User).order_by(User.username))),
        roles=list(session.scalars(select(Role).order_by(Role.code))),
        audit=list(
            session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(AUDIT_SHOWN))
        )
        if principal.can(Permission.AUDIT_READ)
        else [],
        **context,
    )


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, uow: UowDep, principal: PagePrincipal) -> HTMLResponse:
    """Users, roles with their permissions, and the latest audit entries."""
    require(principal, Permission.AUDIT_READ)
    return _admin(request, uow, principal)


@router.post("/admin/users", response_class=HTMLResponse)
def add_user(
    request: Request,
    uow: UowDep,
    principal: PagePrincipal,
    username: Annotated[str, Form(min_length=1, max_length=64)],
    display_name: Annotated[str, Form(min_length=1, max_length=200)],
    role: Annotated[str, Form(max_length=32)],
    staff: Annotated[str, Form(max_length=64)] = "",
) -> HTMLResponse:
    """Add a user and show their one-time password once."""
    require(principal, Permission.USERS_MANAGE)
    password = accounts.one_time_password()
    username = username.strip()
    try:
        accounts.add_user(
            uow.session,
            username.strip(),
            display_name.strip(),
            role,
            password,
            staff.strip() or None,
        )
    except accounts.AccountError as exc:
        return _admin(request, uow, principal, status=422, error=str(exc))
    record(uow.session, principal, "create_user", "user", username, note=f"role {role}")
    uow.commit()
    message = _("User {name}: one-time password {password} (change it at first sign-in)")
    return _admin(request, uow, principal, message=message.format(name=username, password=password))
