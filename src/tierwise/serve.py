"""`tierwise serve`: the HTTP API under Uvicorn, refusing the demo secret outside demo mode."""

from __future__ import annotations

import typer
import uvicorn

from tierwise.demo.cli import print_sign_ins
from tierwise.i18n import _
from tierwise.runtime import App
from tierwise.server import create_app
from tierwise.terminal import console, errors
from tierwise.web.security import InsecureSecret, require_own_secret


def register(app: typer.Typer) -> None:
    """Add the serve command to the root application."""

    @app.command(help=_("Serve the HTTP API (Uvicorn) on the configured database."))
    def serve(
        ctx: typer.Context,
        host: str = typer.Option("127.0.0.1", help=_("the address to listen on")),
        port: int = typer.Option(8000, help=_("the port to listen on")),
    ) -> None:
        tierwise: App = ctx.obj
        try:
            require_own_secret(tierwise.settings)
        except InsecureSecret as exc:
            errors.print(str(exc), style="red", markup=False)
            raise typer.Exit(2) from exc
        if tierwise.settings.demo:
            print_sign_ins(tierwise)
        console.print(
            _(
                "Tierwise console at http://{host}:{port}/ — API at /api/v1, "
                "its documentation at /docs"
            ).format(host=host, port=port)
        )
        uvicorn.run(create_app(tierwise), host=host, port=port, log_level="info")
