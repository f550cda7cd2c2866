"""A customer's tier statement over the API, as HTML or PDF, in the language asked for."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from tierwise.i18n import request_language
from tierwise.identity.access import Principal
from tierwise.identity.roles import Permission
from tierwise.tiering.statement_pages import Format, answer
from tierwise.web.deps import AppDep, UowDep, allowed
from tierwise.web.problems import error_responses

router = APIRouter(tags=["tiers"])
Language = Literal["zh_CN", "en"]


@router.get(
    "/customers/{code}/statement",
    response_class=HTMLResponse,
    responses={
        200: {"content": {"text/html": {}, "application/pdf": {}}},
        **error_responses(401, 403, 404, 422, 503),
    },
)
def statement(
    code: str,
    app: AppDep,
    uow: UowDep,
    format: Format = "html",
    lang: Language | None = Query(default=None, description="default: Accept-Language"),
    principal: Principal = allowed(Permission.TIERS_READ),
) -> Response:
    """The customer's own tier statement: its tier's terms and benefits, how it stands against
    the next tier and what that tier adds, and what keeps its tier when a downgrade is pending."""
    if lang is not None:
        request_language.set(lang)
    return answer(app, uow, principal, code, format)
