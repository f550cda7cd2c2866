"""Server-rendered pages: one Jinja2 environment, translated text, localised numbers and dates."""

from __future__ import annotations

import datetime as dt
import json
from contextlib import suppress
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from fastapi import Request
from fastapi.responses import HTMLResponse
from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape

from tierwise.i18n import _, current_language
from tierwise.identity.access import Principal
from tierwise.identity.roles import Permission, role_name
from tierwise.organisation.inbox import unread_count
from tierwise.web.assets import static_url
from tierwise.web.error_words import plain_error

TEMPLATES = Path(__file__).parent / "templates"
FLASH_COOKIE = "tierwise_flash"
ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


class Section(NamedTuple):
    """A console section: its capability declares it, the roof hands it in, the kit knows none."""

    path: str
    label: str  # an English msgid, translated when the page is drawn
    permission: Permission  # what a principal needs to see it
    place: int  # where it stands in the navigation, lowest first


def _locale() -> str:
    return "zh_CN" if current_language().startswith("zh") else "en"


def money(value: Any) -> str:
    """¥ amounts in the reader's grouping; the sign is ¥ in English too (not "CN¥"): the
    console speaks of one currency."""
    if value is None:
        return "—"
    return format_currency(
        Decimal(str(value)), "CNY", locale=_locale(), currency_digits=False, format="¥#,##0"
    )


def money_interval(value: Any, low: Any, high: Any) -> str:
    """¥12,300 (90%: ¥9,800–¥14,900); the amount alone where the interval is not known."""
    if value is None or low is None or high is None:
        return money(value)
    return _("{value} (90%: {low}–{high})").format(
        value=money(value), low=money(low), high=money(high)
    )


def number(value: Any, digits: int = 0) -> str:
    """A count or measure with grouping."""
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale())


def percent(value: Any) -> str:
    """A share as a percentage with one decimal."""
    return "—" if value is None else format_percent(value, format="#,##0.0%", locale=_locale())


def day(value: dt.date | dt.datetime | None, zone: ZoneInfo | None = None) -> str:
    """A date, or a timestamp in the company's zone, in the reader's conventions."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return format_datetime(value, format="short", tzinfo=zone, locale=_locale())
    return format_date(value, format="medium", locale=_locale())


ENV.globals.update(
    _=lambda text: _(text),
    money=money,
    money_interval=money_interval,
    number=number,
    percent=percent,
    day=day,
    role_name=role_name,
    static_url=static_url,
    plain_error=plain_error,
)
ENV.filters["tojson_safe"] = lambda value: json.dumps(value, default=str, ensure_ascii=False)


def _unread(request: Request, principal: Principal | None) -> int | None:
    """The signed-in staff member's unread notifications, for the header; None for others."""
    if principal is None or principal.staff_id is None:
        return None
    with request.app.state.tierwise.uow(reads=True) as uow:
        return unread_count(uow.connection, principal.staff_id)


def render(
    request: Request,
    template: str,
    principal: Principal | None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A full page with the navigation the principal may use and their form token."""
    message = context.pop("message", None)
    settings = request.app.state.tierwise.settings
    flash = request.cookies.get(FLASH_COOKIE)
    if flash:
        secret = settings.secret_key
        with suppress(BadSignature):
            message = URLSafeSerializer(secret, salt="tierwise-flash").loads(flash)
    sections: tuple[Section, ...] = request.app.state.navigation
    nav = [
        (section.path, _(section.label))
        for section in sections
        if principal is not None and principal.can(section.permission)
    ]
    html = ENV.get_template(template).render(
        request=request,
        principal=principal,
        nav=nav,
        lang=current_language(),
        csrf=getattr(request.state, "csrf", ""),
        unread_count=_unread(request, principal),
        day=partial(day, zone=ZoneInfo(settings.timezone)),
        message=message,
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    if flash:
        response.delete_cookie(FLASH_COOKIE)
    return response
