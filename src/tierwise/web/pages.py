"""The console's frame: who is signed in, sign-in and out, language, static files, error pages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote

import plotly
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from itsdangerous import BadSignature

from tierwise.db.base import utcnow
from tierwise.i18n import _
from tierwise.identity import accounts
from tierwise.identity.access import Forbidden, Principal
from tierwise.identity.audit import record
from tierwise.identity.models import User
from tierwise.web.app import LANG_COOKIE
from tierwise.web.deps import SESSION_COOKIE, AppDep, UowDep, signer
from tierwise.web.render import render

STATIC = Path(__file__).parent / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

router = APIRouter(include_in_schema=False)


class SignInRequired(Exception):
    """A page was asked for without a live session: go to the sign-in page."""


async def page_principal(request: Request, app: AppDep, uow: UowDep) -> Principal:
    """The signed-in user of a page; a form post must carry the session's CSRF token."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise SignInRequired
    try:
        raw = signer(app).unsign(cookie).decode()
    except BadSignature as exc:
        raise SignInRequired from exc
    found = accounts.find_session(uow.session, raw, utcnow())
    if found is None:
        raise SignInRequired
    request.state.csrf = found.csrf_token
    if request.method == "POST":
        form = await request.form()
        if form.get("csrf_token") != found.csrf_token:
            raise Forbidden(_("the form token (CSRF) is missing or wrong; reload the page"))
    user = uow.session.get(User, found.user_id)
    assert user is not None
    address = request.client.host if request.client else None
    return accounts.principal_for(uow.session, user, "human", None, address)


PagePrincipal = Annotated[Principal, Depends(page_principal)]


def back_to_sign_in(request: Request) -> RedirectResponse:
    """Where a page without a session sends the browser, remembering where it was going."""
    return RedirectResponse(f"/sign-in?next={quote(request.url.path)}", status_code=303)


def error_page(request: Request, status: int, detail: str | None) -> HTMLResponse:
    """A problem shown as a page, for people rather than programs."""
    return render(request, "error.html", None, status=status, status_code=status, detail=detail)


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str = "/") -> HTMLResponse:
    """The sign-in form."""
    return render(request, "sign_in.html", None, next=next if next.startswith("/") else "/")


@router.post("/sign-in", response_class=HTMLResponse, response_model=None)
def sign_in(
    request: Request,
    app: AppDep,
    uow: UowDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
) -> HTMLResponse | RedirectResponse:
    """Check the password, start a fresh session and go where the user was heading."""
    now = utcnow()
    try:
        user = accounts.sign_in(uow.session, app.settings, username, password, now)
    except accounts.SignInRefused as exc:
        uow.commit()
        return render(request, "sign_in.html", None, status=401, error=str(exc), next=next)
    address = request.client.host if request.client else None
    new = accounts.open_session(uow.session, app.settings, user, address, now)
    record(
        uow.session,
        accounts.principal_for(uow.session, user, "human"),
        "sign_in",
        "user",
        user.username,
    )
    uow.commit()
    response = RedirectResponse(next if next.startswith("/") else "/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signer(app).sign(new.session_id).decode(),
        max_age=int(app.settings.session_hours * 3600),
        httponly=True,
        samesite="strict",
        secure=not app.settings.demo,
    )
    return response


@router.post("/sign-out")
def sign_out(
    request: Request, app: AppDep, uow: UowDep, principal: PagePrincipal
) -> RedirectResponse:
    """End the session and go back to the sign-in page."""
    accounts.close_session(
        uow.session, signer(app).unsign(request.cookies[SESSION_COOKIE]).decode()
    )
    uow.commit()
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/lang/{lang}")
def switch_language(lang: str, request: Request) -> RedirectResponse:
    """Remember the reader's language and go back to the page they were on."""
    back = request.headers.get("referer") or "/"
    response = RedirectResponse(back, status_code=303)
    response.set_cookie(
        LANG_COOKIE, "en" if lang == "en" else "zh_CN", max_age=365 * 86400, samesite="lax"
    )
    return response


@router.get("/static/plotly.min.js")
def plotly_js() -> FileResponse:
    """Plotly.js from the installed plotly wheel: no CDN, works offline."""
    return FileResponse(
        PLOTLY_JS, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"}
    )


@router.get("/static/{name}")
def static(name: str) -> FileResponse:
    """The console's own stylesheet and script."""
    path = STATIC / Path(name).name
    if not path.is_file():
        raise LookupError(name)
    return FileResponse(path, headers={"Cache-Control": "max-age=3600"})
