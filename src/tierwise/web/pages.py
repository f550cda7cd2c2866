"""The console's frame: who is signed in, sign-in and out, language, static files, error pages."""

from __future__ import annotations

import secrets
from typing import Annotated, Any
from urllib.parse import quote, urlsplit, urlunsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import URLSafeSerializer
from sqlalchemy.exc import SQLAlchemyError

from tierwise.i18n import _
from tierwise.identity import accounts, usecases
from tierwise.identity.access import Forbidden, Principal
from tierwise.runtime import App
from tierwise.web import assets
from tierwise.web.deps import (
    SESSION_COOKIE,
    AppDep,
    UowDep,
    live_session,
    open_signed_in,
    session_id,
    set_session_cookie,
)
from tierwise.web.language import LANG_COOKIE
from tierwise.web.render import FLASH_COOKIE, render

SIGN_IN_COOKIE = "tierwise_sign_in"

router = APIRouter(include_in_schema=False)


def flash_serializer(request: Request) -> URLSafeSerializer:
    """Signs the one-time message a redirect leaves for the next page."""
    secret = request.app.state.tierwise.settings.secret_key
    return URLSafeSerializer(secret, salt="tierwise-flash")


def redirect_with(request: Request, url: str, message: str) -> RedirectResponse:
    """Go to `url` and show `message` there once (kept in a signed cookie, never in the URL)."""
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        FLASH_COOKIE,
        flash_serializer(request).dumps(message),
        max_age=120,
        httponly=True,
        samesite="strict",
    )
    return response


def safe_next(target: str) -> str:
    """Only a path of this site, so a crafted sign-in link cannot send the user elsewhere."""
    if not target.startswith("/") or target.startswith(("//", "/\\")) or urlsplit(target).netloc:
        return "/"
    return target


class PasswordChangeRequired(Exception):
    """A one-time password is in use: the user must choose their own before anything else."""


class SignInRequired(Exception):
    """A page was asked for without a live session: go to the sign-in page."""


async def page_principal(request: Request, app: AppDep, uow: UowDep) -> Principal:
    """The signed-in user of a page; a form post must carry the session's CSRF token."""
    live = live_session(app, uow, request.cookies.get(SESSION_COOKIE))
    if live is None:
        raise SignInRequired
    found, user = live
    request.state.csrf = found.csrf_token
    if request.method == "POST":
        form = await request.form()
        if form.get("csrf_token") != found.csrf_token:
            raise Forbidden(_("the form token (CSRF) is missing or wrong; reload the page"))
    if user.must_change_password and request.url.path not in ("/password", "/sign-out"):
        raise PasswordChangeRequired
    address = request.client.host if request.client else None
    return accounts.principal_for(uow.session, user, "human", None, address)


PagePrincipal = Annotated[Principal, Depends(page_principal)]


def back_to_sign_in(request: Request) -> RedirectResponse:
    """Where a page without a session sends the browser, remembering where it was going."""
    return RedirectResponse(f"/sign-in?next={quote(request.url.path)}", status_code=303)


def signed_in_or_none(request: Request) -> Principal | None:
    """Who is signed in, for an error page's menu; nobody when it cannot be told (no session, a
    password to change, or the database itself being what failed)."""
    app: App = request.app.state.tierwise
    try:
        with app.uow(reads=True) as uow:
            live = live_session(app, uow, request.cookies.get(SESSION_COOKIE))
            if live is None or live[1].must_change_password:
                return None
            found, user = live
            request.state.csrf = found.csrf_token  # the menu's sign-out form needs it
            return accounts.principal_for(uow.session, user, "human")
    except (SQLAlchemyError, accounts.AccountError):
        return None


def error_page(
    request: Request, status: int, detail: str | None, errors: list[dict[str, Any]] | None = None
) -> HTMLResponse:
    """A problem shown as a page, for people rather than programs: what happened in plain words,
    each bad field named, and the signed-in user's menu kept so they can go on."""
    return render(
        request,
        "error.html",
        signed_in_or_none(request),
        status=status,
        status_code=status,
        detail=detail,
        errors=errors or [],
    )


def sign_in_form(
    request: Request, app: App, next: str, status: int = 200, error: str | None = None
) -> HTMLResponse:
    """The sign-in form with a fresh pre-session form token, also kept in a cookie: a post
    without the pair comes from another site (login CSRF) and is refused."""
    token = secrets.token_urlsafe(32)
    request.state.csrf = token
    response = render(
        request, "sign_in.html", None, status=status, error=error, next=safe_next(next)
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        max_age=3600,
        path="/sign-in",
        httponly=True,
        samesite="strict",
        secure=not app.settings.demo,
    )
    return response


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, app: AppDep, next: str = "/") -> HTMLResponse:
    """The sign-in form."""
    return sign_in_form(request, app, next)


@router.post("/sign-in", response_class=HTMLResponse, response_model=None)
def sign_in(
    request: Request,
    app: AppDep,
    uow: UowDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> HTMLResponse | RedirectResponse:
    """Check the form token, then the password; start a fresh session and go where the user
    was heading."""
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not secrets.compare_digest(expected, csrf_token):
        refusal = _("the sign-in form has expired or came from another site; sign in again")
        return sign_in_form(request, app, next, status=403, error=refusal)
    try:
        _user, _principal, new = open_signed_in(request, app, uow, username, password)
    except accounts.SignInRefused as exc:
        return sign_in_form(request, app, next, status=401, error=str(exc))
    response = RedirectResponse(safe_next(next), status_code=303)
    response.delete_cookie(SIGN_IN_COOKIE, path="/sign-in")
    set_session_cookie(response, app, new.session_id)
    return response


@router.post("/sign-out")
def sign_out(
    request: Request, app: AppDep, uow: UowDep, principal: PagePrincipal
) -> RedirectResponse:
    """End the session and go back to the sign-in page."""
    raw = session_id(app, request.cookies.get(SESSION_COOKIE))
    if raw:
        accounts.close_session(uow.session, raw)
    uow.commit()
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/password", response_class=HTMLResponse)
def password_page(request: Request, principal: PagePrincipal) -> HTMLResponse:
    """Choose your own password (required after a one-time password)."""
    return render(request, "password.html", principal)


@router.post("/password", response_class=HTMLResponse, response_model=None)
def change_password(
    request: Request,
    uow: UowDep,
    principal: PagePrincipal,
    current_password: Annotated[str, Form(max_length=200)],
    new_password: Annotated[str, Form(max_length=200)],
) -> HTMLResponse | RedirectResponse:
    """Check the current password, set the new one; every session ends, so sign in again."""
    try:
        usecases.change_own_password(uow, principal, current_password, new_password)
    except accounts.AccountError as exc:
        return render(request, "password.html", principal, status=422, error=str(exc))
    uow.commit()
    response = redirect_with(request, "/sign-in", _("Password changed; sign in with it."))
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{lang}")
def switch_language(lang: str, request: Request) -> RedirectResponse:
    """Remember the reader's language and go back to the page they were on: its path on this
    site only, whatever host the referer names."""
    referer = urlsplit(request.headers.get("referer") or "/")
    back = safe_next(urlunsplit(("", "", referer.path or "/", referer.query, "")))
    response = RedirectResponse(back, status_code=303)
    response.set_cookie(
        LANG_COOKIE, "en" if lang == "en" else "zh_CN", max_age=365 * 86400, samesite="lax"
    )
    return response


@router.get("/static/{name}")
def static(request: Request, name: str) -> Response:
    """The console's stylesheet and scripts and Plotly.js, compressed and versioned."""
    return assets.served(request, assets.static_file(name))
