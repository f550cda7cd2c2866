"""Errors as RFC 9457 problem+json: one shape for every failure, with a translated detail."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException

from tierwise.db.failures import Trouble, trouble_of
from tierwise.documents import DocumentRefused
from tierwise.errors import DomainError
from tierwise.i18n import N_, _
from tierwise.identity.access import Forbidden

MEDIA_TYPE = "application/problem+json"
RETRY_AFTER_SECONDS = 2  # a busy database is one writer's commit away from free
log = logging.getLogger("tierwise.web")


class Problem(BaseModel):
    """What went wrong, for people (title, detail) and programs (status, type, errors)."""

    type: str = Field(default="about:blank", examples=["about:blank"])
    title: str = Field(examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str | None = Field(default=None, examples=["no customer with code 'C404'"])
    instance: str | None = Field(default=None, examples=["/api/v1/customers/C404"])
    errors: list[dict[str, Any]] | None = None


class PreconditionRequired(Exception):
    """An update came without If-Match, so it could silently overwrite someone else's change."""


class NotSignedIn(Exception):
    """No valid session cookie or Bearer token came with the request."""


# Each status's standard title, in the request's language when a problem is drawn.
TITLES = {
    400: N_("Bad Request"),
    401: N_("Unauthorized"),
    403: N_("Forbidden"),
    404: N_("Not Found"),
    405: N_("Method Not Allowed"),
    409: N_("Conflict"),
    412: N_("Precondition Failed"),
    413: N_("Content Too Large"),
    422: N_("Unprocessable Content"),
    428: N_("Precondition Required"),
    429: N_("Too Many Requests"),
    500: N_("Internal Server Error"),
    503: N_("Service Unavailable"),
}


def title_of(status: int) -> str:
    """A status's title in the request's language, like the detail below it."""
    return _(TITLES.get(status, N_("Error")))


def problem(
    request: Request,
    status: int,
    detail: str | None,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A problem+json response for `status`; pages of the console get an error page instead."""
    page = getattr(request.app.state, "error_page", None)
    if page is not None and not request.url.path.startswith("/api/"):
        return page(request, status, detail, errors)
    body = Problem(
        title=title_of(status),
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
    )
    return JSONResponse(
        jsonable_encoder(body, exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries saying which problems an endpoint can answer with."""
    schema = {"schema": {"$ref": "#/components/schemas/Problem"}}
    return {
        status: {"model": Problem, "description": TITLES[status], "content": {MEDIA_TYPE: schema}}
        for status in statuses
    }


def allowed_methods(app: FastAPI, path: str) -> set[str]:
    """Every method some route serves at `path` (one route per method, so ask them all)."""
    methods: set[str] = set()
    for route in app.router.routes:
        regex = getattr(route, "path_regex", None)
        if regex is not None and regex.match(path):
            methods |= set(getattr(route, "methods", None) or ())
    return methods


def install(app: FastAPI) -> None:
    """Map domain exceptions to statuses once, so handlers never build error responses."""

    def handler(status: int, headers: dict[str, str] | None = None) -> Any:
        async def handle(request: Request, exc: Exception) -> Response:
            return problem(request, status, str(exc) or None, headers=headers)

        return handle

    def stored(status: int) -> Any:
        async def handle(request: Request, exc: Exception) -> Response:
            return problem(
                request, status, _("a value the database cannot store (e.g. a NUL byte)")
            )

        return handle

    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": list(e.get("loc", ())), "msg": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()
        ]
        return problem(request, 422, _("the request is not valid"), errors)

    async def http_error(request: Request, exc: HTTPException) -> Response:
        headers = exc.headers
        if exc.status_code == 405:
            headers = {"Allow": ", ".join(sorted(allowed_methods(app, request.url.path)))}
        # The framework's own detail is the status's English phrase ("Not Found"): the
        # translated title already says it.
        detail = None if exc.detail == HTTPStatus(exc.status_code).phrase else str(exc.detail)
        return problem(request, exc.status_code, detail, headers=headers)

    async def refusal(request: Request, exc: DomainError) -> Response:
        return problem(request, exc.status, str(exc) or None, exc.details())

    async def database(request: Request, exc: OperationalError) -> Response:
        trouble = trouble_of(exc)
        if trouble is Trouble.BUSY:
            retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            return problem(request, 503, _("the database is busy; try again shortly"), None, retry)
        log.error("database failure on %s", request.url.path, exc_info=exc)
        if trouble is not None:  # disk full, read-only, unreachable: the operator's to fix
            return problem(request, 503, _("the database is unavailable; try again later"))
        return await internal(request, exc)

    async def internal(request: Request, exc: Exception) -> Response:
        """Whatever no handler knows: a 500 that shows no internals (the server log has them)."""
        return problem(request, 500, _("an internal error occurred; it has been logged"))

    app.add_exception_handler(Exception, internal)
    app.add_exception_handler(OperationalError, database)  # type: ignore[arg-type]

    async def refused(request: Request, exc: DocumentRefused) -> Response:
        limit = {"limit": exc.limit, "found": exc.found, "allowed": exc.allowed, "msg": exc.message}
        return problem(request, 422, str(exc), [limit])

    app.add_exception_handler(RequestValidationError, invalid)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, http_error)  # type: ignore[arg-type]
    app.add_exception_handler(DomainError, refusal)  # type: ignore[arg-type]
    app.add_exception_handler(DocumentRefused, refused)  # type: ignore[arg-type]
    app.add_exception_handler(NotSignedIn, handler(401, {"WWW-Authenticate": "Bearer"}))
    app.add_exception_handler(Forbidden, handler(403))
    app.add_exception_handler(LookupError, handler(404))
    app.add_exception_handler(PreconditionRequired, handler(428))
    app.add_exception_handler(ValueError, handler(422))
    app.add_exception_handler(DataError, stored(422))
    app.add_exception_handler(IntegrityError, handler(409))
