"""The HTTP application: every capability's router under /api/v1, problems, per-request language."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tierwise.i18n import _
from tierwise.runtime import App
from tierwise.web import assets, problems
from tierwise.web.deps import single_values
from tierwise.web.language import LanguageMiddleware
from tierwise.web.security import InsecureSecret, SecurityHeadersMiddleware, require_own_secret

log = logging.getLogger("tierwise.web")

API_PREFIX = "/api/v1"
# Pages, API answers and downloads past this size go compressed to clients that accept gzip
# (static files come compressed already); smaller ones would gain less than the header costs.
GZIP_MINIMUM_BYTES = 1024
GZIP_LEVEL = 6  # most of level 9's saving for a third of its time, on every dynamic response


class BodyLimitMiddleware:
    """Refuse a request body past the limit (413) as it arrives, before it fills memory or disk.

    A stated Content-Length past it is refused at the first read; a chunked body once its bytes
    so far pass it. The refusal is raised where the route reads the body, so it answers as
    problem+json (or the console's error page) like every other error.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        stated = dict(scope["headers"]).get(b"content-length", b"")
        received = int(stated) if stated.isdigit() else 0

        async def limited() -> Message:
            nonlocal received
            if received > self.max_bytes:
                raise HTTPException(413, self.refusal())
            message = await receive()
            if message["type"] == "http.request" and not stated:
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, self.refusal())
            return message

        await self.app(scope, limited, send)

    def refusal(self) -> str:
        """What the client is told, in its language."""
        return _("the request is larger than {limit} MB (TIERWISE_IMPORT_MAX_UPLOAD_MB)").format(
            limit=self.max_bytes >> 20
        )


@asynccontextmanager
async def started(app: FastAPI) -> AsyncIterator[None]:
    """A server starting marks the jobs whose process died as failed, so none is left a ghost (a
    database out of reach is the requests' to report, not a reason to refuse to start), and
    compresses Plotly.js before the first dashboard asks for it."""
    try:
        app.state.tierwise.jobs.recover()
    except SQLAlchemyError:
        log.exception("could not look for jobs left running by a stopped process")
    assets.warm(assets.PLOTLY_JS)
    yield


def create_app(tierwise: App) -> FastAPI:
    """Build the API on an already wired application (the one composition root)."""
    from tierwise import capabilities
    from tierwise.web import apidocs, pages

    app = FastAPI(
        title="Tierwise",
        version=version("tierwise"),
        summary="Tiered customer management (客户分级管理)",
        description=(
            "Sign in with `POST /api/v1/session` (cookie; send the returned csrf_token as "
            "X-CSRF-Token on writes) or send an API token as `Authorization: Bearer <token>`. "
            "Errors are RFC 9457 problem+json. Lists are paged with `cursor`/`next_cursor`."
        ),
        docs_url=None,  # served by apidocs from the installed Swagger UI, not a CDN
        redoc_url=None,
        lifespan=started,
    )
    app.state.tierwise = tierwise
    app.state.navigation = capabilities.navigation()  # the web kit draws it on every page
    problems.install(app)

    app.add_middleware(BodyLimitMiddleware, max_bytes=tierwise.settings.import_max_upload_mb << 20)
    app.add_middleware(LanguageMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(GZipMiddleware, minimum_size=GZIP_MINIMUM_BYTES, compresslevel=GZIP_LEVEL)

    # Any request can be malformed (400) or invalid (422); both answer as problem+json.
    api = APIRouter(
        prefix=API_PREFIX,
        responses=problems.error_responses(400, 422),
        dependencies=[Depends(single_values)],
    )

    @api.get("/health", tags=["server"])
    def health() -> dict[str, str]:
        """Whether the server is up (no database access): the framework's floor in benchmarks."""
        return {"status": "ok"}

    for module in capabilities.modules("api"):
        api.include_router(module.router)
    app.include_router(api)
    for module in (pages, apidocs, *capabilities.modules("pages")):
        app.include_router(module.router)
    app.state.error_page = pages.error_page

    async def sign_in_first(request: Request, exc: Exception) -> RedirectResponse:
        return pages.back_to_sign_in(request)

    async def choose_a_password(request: Request, exc: Exception) -> RedirectResponse:
        return RedirectResponse("/password", status_code=303)

    app.add_exception_handler(pages.SignInRequired, sign_in_first)
    app.add_exception_handler(pages.PasswordChangeRequired, choose_a_password)
    return app


def from_environment() -> FastAPI:
    """The app wired from TIERWISE_* settings, for `uvicorn --factory` with several workers;
    like `tierwise serve`, it refuses the demo key outside demo mode (a message, no traceback)."""
    from tierwise.bootstrap import bootstrap

    tierwise = bootstrap()
    try:
        require_own_secret(tierwise.settings)
    except InsecureSecret as exc:
        raise SystemExit(str(exc)) from None
    return create_app(tierwise)
