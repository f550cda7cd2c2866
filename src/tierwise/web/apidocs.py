"""The API's browsable documentation: Swagger UI from the installed swagger-ui-bundle wheel, so it
works offline and under a policy that runs no inline script."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse
from swagger_ui_bundle import swagger_ui_path

from tierwise.web.render import ENV

SWAGGER_UI = Path(swagger_ui_path)
SWAGGER_ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css")

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def api_docs() -> HTMLResponse:
    """Swagger UI on /openapi.json, started by a script file of ours."""
    return HTMLResponse(ENV.get_template("api_docs.html").render())


@router.get("/docs/assets/{name}")
def swagger_asset(name: str) -> FileResponse:
    """Swagger UI's script and stylesheet, straight from the wheel."""
    if name not in SWAGGER_ASSETS:
        raise LookupError(name)
    return FileResponse(SWAGGER_UI / name, headers={"Cache-Control": "max-age=86400"})
