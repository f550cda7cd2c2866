"""Sign-in, the signed-in user, API tokens, users and the audit log over HTTP."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from tierwise.admin.schemas import (
    AuditOut,
    Me,
    PasswordChange,
    SignedIn,
    SignIn,
    TokenCreated,
    TokenOut,
    TokenRequest,
    UserCreated,
    UserOut,
    UserRequest,
)
from tierwise.i18n import _
from tierwise.identity import accounts, usecases
from tierwise.identity.access import Principal
from tierwise.identity.models import ApiToken, AuditEntry, Role, User
from tierwise.identity.roles import Permission
from tierwise.web.deps import (
    SESSION_COOKIE,
    AppDep,
    PrincipalDep,
    UowDep,
    allowed,
    open_signed_in,
    session_id,
    set_session_cookie,
)
from tierwise.web.pagination import CursorQuery, LimitQuery, Page, page
from tierwise.web.problems import NotSignedIn, error_responses
from tierwise.web.types import RowId

router = APIRouter(tags=["sign-in and users"])


def _me(principal: Principal, user: User) -> dict[str, object]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": principal.role,
        "row_scope": principal.row_scope.value,
        "permissions": sorted(principal.permissions),
        "personal_fields": sorted(principal.personal_fields),
        "must_change_password": user.must_change_password,
    }


@router.post("/session", response_model=SignedIn, responses=error_responses(401, 422))
def sign_in(
    body: SignIn, request: Request, response: Response, app: AppDep, uow: UowDep
) -> dict[str, object]:
    """Sign in: sets an HttpOnly session cookie and returns the CSRF token for writes."""
    try:
        user, principal, new = open_signed_in(request, app, uow, body.username, body.password)
    except accounts.SignInRefused as exc:
        raise NotSignedIn(str(exc)) from exc
    set_session_cookie(response, app, new.session_id)
    return {**_me(principal, user), "csrf_token": new.csrf_token}


@router.delete("/session", status_code=204, responses=error_responses(401, 403))
def sign_out(
    request: Request, response: Response, app: AppDep, uow: UowDep, principal: PrincipalDep
) -> None:
    """Sign out: the session id stops working at once."""
    raw = session_id(app, request.cookies.get(SESSION_COOKIE))
    if raw:  # signed in by token, a stray or tampered cookie names no session
        accounts.close_session(uow.session, raw)
    uow.commit()
    response.delete_cookie(SESSION_COOKIE)


@router.get("/me", response_model=Me, responses=error_responses(401))
def me(uow: UowDep, principal: PrincipalDep) -> dict[str, object]:
    """Who is signed in, and what their role allows."""
    user = uow.session.get(User, principal.user_id)
    assert user is not None
    return _me(principal, user)


@router.post("/me/password", status_code=204, responses=error_responses(401, 403, 422))
def change_password(
    body: PasswordChange, app: AppDep, uow: UowDep, principal: PrincipalDep
) -> None:
    """Change your own password; every session of yours ends, so sign in again."""
    usecases.change_own_password(uow, principal, body.current_password, body.new_password)
    uow.commit()


@router.get("/tokens", response_model=list[TokenOut], responses=error_responses(401))
def list_tokens(uow: UowDep, principal: PrincipalDep) -> list[ApiToken]:
    """Your API tokens, newest first (the tokens themselves are never shown again)."""
    query = (
        select(ApiToken).where(ApiToken.user_id == principal.user_id).order_by(ApiToken.id.desc())
    )
    return list(uow.session.scalars(query))


@router.post(
    "/tokens",
    response_model=TokenCreated,
    status_code=201,
    responses=error_responses(401, 403, 422),
)
def create_token(body: TokenRequest, uow: UowDep, principal: PrincipalDep) -> dict[str, object]:
    """A new API token limited to the given scopes; the response is the only time it is shown."""
    scopes = [s.value for s in body.scopes]
    new = usecases.create_token(uow, principal, body.name, scopes, body.days)
    uow.commit()
    return {**TokenOut.model_validate(new.token).model_dump(), "token": new.raw}


@router.delete("/tokens/{token_id}", status_code=204, responses=error_responses(401, 403, 404))
def revoke_token(token_id: RowId, uow: UowDep, principal: PrincipalDep) -> None:
    """Revoke a token: it stops working at once."""
    usecases.revoke_token(uow, principal, token_id, any_user=True)
    uow.commit()


@router.get("/users", response_model=list[UserOut], responses=error_responses(401, 403))
def list_users(uow: UowDep, principal: Principal = allowed(Permission.USERS_MANAGE)) -> list[User]:
    """Every user, by name."""
    return list(uow.session.scalars(select(User).order_by(User.username)))


@router.post(
    "/users", response_model=UserCreated, status_code=201, responses=error_responses(401, 403, 422)
)
def create_user(
    body: UserRequest, uow: UowDep, principal: Principal = allowed(Permission.USERS_MANAGE)
) -> dict[str, object]:
    """Add a user with a one-time password they must change at first sign-in."""
    new = usecases.create_user(
        uow, principal, body.username, body.display_name, body.role, body.staff_code
    )
    uow.commit()
    return {**UserOut.model_validate(new.user).model_dump(), "one_time_password": new.password}


@router.post(
    "/users/{username}/disable",
    response_model=UserOut,
    responses=error_responses(401, 403, 404, 422),
)
def disable_user(
    username: str, uow: UowDep, principal: Principal = allowed(Permission.USERS_MANAGE)
) -> User:
    """Stop a user signing in; their sessions and tokens stop working."""
    if uow.session.scalar(select(User.id).where(User.username == username)) is None:
        raise LookupError(_("no user called {name!r}").format(name=username))
    user = usecases.disable_user(uow, principal, username)
    uow.commit()
    return user


@router.get("/roles", response_model=dict[str, list[str]], responses=error_responses(401))
def roles(uow: UowDep, principal: PrincipalDep) -> dict[str, list[str]]:
    """Each role and its permissions (kept as data)."""
    return {
        role.code: role.permissions
        for role in uow.session.scalars(select(Role).order_by(Role.code))
    }


@router.get("/audit", response_model=Page[AuditOut], responses=error_responses(401, 403, 422))
def audit_log(
    uow: UowDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 100,
    actor: Annotated[str | None, Query(max_length=100)] = None,
    actor_kind: Annotated[str | None, Query(pattern="^(human|token|system)$")] = None,
    action: Annotated[str | None, Query(max_length=40)] = None,
    resource_id: Annotated[str | None, Query(max_length=200)] = None,
    principal: Principal = allowed(Permission.AUDIT_READ),
) -> dict[str, object]:
    """The audit log, newest first; filter by actor, kind (people or jobs), action or record."""
    query = select(AuditEntry)
    for column, value in (
        (AuditEntry.actor, actor),
        (AuditEntry.actor_kind, actor_kind),
        (AuditEntry.action, action),
        (AuditEntry.resource_id, resource_id),
    ):
        if value is not None:
            query = query.where(column == value)
    rows, next_cursor = page(uow.session, query, AuditEntry.id, AuditEntry.id, True, cursor, limit)
    return {"items": rows, "next_cursor": next_cursor}
