"""What every endpoint asks for: the application, a unit of work, and who is calling."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from itsdangerous import BadSignature, Signer

from tierwise.db.base import utcnow
from tierwise.db.session import UnitOfWork
from tierwise.i18n import _
from tierwise.identity import accounts
from tierwise.identity.access import Forbidden, Principal, require
from tierwise.identity.accounts import NewSession, find_session, find_token, principal_for
from tierwise.identity.audit import record
from tierwise.identity.models import User, UserSession
from tierwise.identity.roles import Permission
from tierwise.runtime import App
from tierwise.web.problems import NotSignedIn, PreconditionRequired

SESSION_COOKIE = "tierwise_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# All a user with a one-time password may do until they choose their own.
PASSWORD_CHANGE_PATHS = {"/api/v1/me", "/api/v1/me/password", "/api/v1/session"}


def get_app(request: Request) -> App:
    """The wired application the server was started with."""
    app: App = request.app.state.tierwise
    return app


AppDep = Annotated[App, Depends(get_app)]


def single_values(request: Request) -> None:
    """Refuse a query parameter given twice: every one of the API takes one value, and taking the
    last silently would filter by something the caller did not mean."""
    seen: set[str] = set()
    for key, _value in request.query_params.multi_items():
        if key in seen:
            raise RequestValidationError(
                [{"loc": ("query", key), "msg": _("given more than once"), "type": "repeated"}]
            )
        seen.add(key)


def get_uow(request: Request, app: AppDep) -> Iterator[UnitOfWork]:
    """One unit of work per request; nothing lasts unless the endpoint commits. Reading requests
    never queue behind SQLite's writers."""
    with app.uow(reads=request.method in SAFE_METHODS) as uow:
        yield uow


UowDep = Annotated[UnitOfWork, Depends(get_uow)]


def release(uow: UnitOfWork) -> None:
    """End this request's own transaction before a bulk read, which on SQLite checkpoints the
    write-ahead log first and would otherwise wait for it."""
    uow.session.close()


def open_signed_in(
    request: Request, app: App, uow: UnitOfWork, username: str, password: str
) -> tuple[User, Principal, NewSession]:
    """Check the password and open a fresh session, audited. A refusal is kept (it counts towards
    the lockout) and slowed down before SignInRefused goes on to the caller."""
    now = utcnow()
    address = request.client.host if request.client else None
    try:
        user = accounts.sign_in(uow.session, app.settings, username, password, now)
    except accounts.SignInRefused as exc:
        uow.commit()
        time.sleep(exc.delay)
        raise
    new = accounts.open_session(uow.session, app.settings, user, address, now)
    principal = principal_for(uow.session, user, "human", None, address)
    record(uow.session, principal, "sign_in", "user", user.username)
    uow.commit()
    return user, principal, new


def set_session_cookie(response: Response, app: App, session_id: str) -> None:
    """The signed session cookie: HttpOnly, SameSite=Strict, Secure outside demo mode."""
    response.set_cookie(
        SESSION_COOKIE,
        signer(app).sign(session_id).decode(),
        max_age=int(app.settings.session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=not app.settings.demo,
    )


def session_id(app: App, cookie: str | None) -> str | None:
    """The session id a signed cookie carries; None if there is none or it was tampered with."""
    if not cookie:
        return None
    try:
        return signer(app).unsign(cookie).decode()
    except BadSignature:
        return None


def live_session(app: App, uow: UnitOfWork, cookie: str | None) -> tuple[UserSession, User] | None:
    """The live session a cookie names and its user, or None (absent, tampered, ended)."""
    raw = session_id(app, cookie)
    found = find_session(uow.session, raw, utcnow()) if raw else None
    if found is None:
        return None
    user = uow.session.get(User, found.user_id)
    assert user is not None  # find_session checked it
    return found, user


def signer(app: App) -> Signer:
    """Signs session cookies with the server's secret key."""
    return Signer(app.settings.secret_key, salt="tierwise-session")


BEARER = HTTPBearer(auto_error=False, description="an API token: Authorization: Bearer tw_…")
COOKIE = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    description="the session from POST /api/v1/session; writes also need X-CSRF-Token",
)


def get_principal(
    request: Request,
    app: AppDep,
    uow: UowDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
    cookie: Annotated[str | None, Depends(COOKIE)],
) -> Principal:
    """The caller from a Bearer token or session cookie; cookie writes must carry the CSRF token."""
    now = utcnow()
    address = request.client.host if request.client else None
    if credentials is not None:
        token = find_token(uow.session, credentials.credentials, now)
        if token is None:
            raise NotSignedIn(_("the token is unknown, expired or revoked"))
        if uow.session.dirty:
            uow.commit()  # the token's last use, at once: a bulk read later must not wait on it
        user = uow.session.get(User, token.user_id)
        assert user is not None  # find_token checked it
        return principal_for(uow.session, user, "token", token.scopes, address)
    live = live_session(app, uow, cookie)
    if live is None:
        raise NotSignedIn(
            _("the session has ended; sign in again") if cookie else _("sign in first")
        )
    found, user = live
    if request.method not in SAFE_METHODS and request.headers.get(CSRF_HEADER) != found.csrf_token:
        raise Forbidden(_("the form token (CSRF) is missing or wrong; reload the page"))
    if user.must_change_password and request.url.path not in PASSWORD_CHANGE_PATHS:
        raise Forbidden(_("change your one-time password first: POST /api/v1/me/password"))
    return principal_for(uow.session, user, "human", None, address)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def allowed(permission: Permission, *alternatives: Permission) -> Any:
    """A dependency that refuses callers without `permission` (or one of the `alternatives`),
    before the endpoint runs."""

    def check(principal: PrincipalDep) -> Principal:
        if not any(principal.can(other) for other in alternatives):
            require(principal, permission)
        return principal

    return Depends(check)


def expected_version(
    if_match: Annotated[
        str | None,
        Header(description='The ETag from the last read, e.g. "3"; required for updates'),
    ] = None,
) -> int:
    """The version the client last saw, from If-Match; refuse updates that do not say."""
    if if_match is None:
        raise PreconditionRequired(_("send If-Match with the ETag you read, so no change is lost"))
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise ValueError(
            _("If-Match {value!r} is not an ETag of this resource").format(value=if_match)
        )
    return int(text)


IfMatchDep = Annotated[int, Depends(expected_version)]


def etag(version: int) -> str:
    """The ETag header value of a resource version."""
    return f'"{version}"'


def as_of_today() -> dt.date:
    """Today's date for use cases that take one (the write side's clock)."""
    return utcnow().date()
