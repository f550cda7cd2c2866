"""The API's browsable documentation: Swagger UI from the installed swagger-ui-bundle wheel, so it
works offline and under a policy that runs no inline script."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from swagger_ui_bundle import swagger_ui_path

from tierwise.web import assets
from tierwise.web.render import ENV

SWAGGER_UI = Path(swagger_ui_path)
SWAGGER_ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css")
DOCS_ASSETS = "/docs/assets"

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def api_docs() -> HTMLResponse:
    """Swagger UI on /openapi.json, started by a script file of ours."""
    page = ENV.get_template("api_docs.html").render(
        swagger_js=assets.url(DOCS_ASSETS, SWAGGER_UI / "swagger-ui-bundle.js"),
        swagger_css=assets.url(DOCS_ASSETS, SWAGGER_UI / "swagger-ui.css"),
    )
    return HTMLResponse(page)


@router.get(DOCS_ASSETS + "/{name}")
def swagger_asset(request: Request, name: str) -> Response:
    """Swagger UI's script and stylesheet from the wheel, compressed and versioned."""
    if name not in SWAGGER_ASSETS:
        raise LookupError(name)
    return assets.served(request, SWAGGER_UI / name)
