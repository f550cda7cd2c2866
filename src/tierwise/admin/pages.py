"""The admin page (users, roles, audit log) and everyone's own API tokens."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from tierwise.db.base import utcnow
from tierwise.i18n import _
from tierwise.identity import accounts, usecases
from tierwise.identity.access import require
from tierwise.identity.models import ApiToken, AuditEntry, Role, User
from tierwise.identity.roles import Permission
from tierwise.web.deps import UowDep
from tierwise.web.pages import PagePrincipal
from tierwise.web.render import render
from tierwise.web.types import RowId

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
    username = username.strip()
    try:
        new = usecases.create_user(
            uow, principal, username, display_name.strip(), role, staff.strip() or None
        )
    except accounts.AccountError as exc:
        return _admin(request, uow, principal, status=422, error=str(exc))
    uow.commit()
    message = _("User {name}: one-time password {password} (change it at first sign-in)")
    return _admin(
        request, uow, principal, message=message.format(name=username, password=new.password)
    )


@router.get("/tokens", response_class=HTMLResponse)
def tokens(request: Request, uow: UowDep, principal: PagePrincipal) -> HTMLResponse:
    """Your API tokens, and a form for a new one."""
    return _tokens(request, uow, principal)


def _tokens(
    request: Request, uow: UowDep, principal: PagePrincipal, **context: Any
) -> HTMLResponse:
    query = (
        select(ApiToken).where(ApiToken.user_id == principal.user_id).order_by(ApiToken.id.desc())
    )
    return render(
        request,
        "tokens.html",
        principal,
        tokens=list(uow.session.scalars(query)),
        now=utcnow(),
        **context,
    )


@router.post("/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    uow: UowDep,
    principal: PagePrincipal,
    name: Annotated[str, Form(min_length=1, max_length=100)],
    days: Annotated[int, Form(ge=1, le=366)] = 90,
) -> HTMLResponse:
    """A token with everything your role allows; shown this once."""
    new = usecases.create_token(uow, principal, name.strip(), [], days)
    uow.commit()
    return _tokens(request, uow, principal, new_token=new.raw)


@router.post("/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke(
    request: Request, token_id: RowId, uow: UowDep, principal: PagePrincipal
) -> HTMLResponse:
    """Stop one of your tokens working at once."""
    usecases.revoke_token(uow, principal, token_id, any_user=False)
    uow.commit()
    return _tokens(request, uow, principal, message=_("Token revoked."))
