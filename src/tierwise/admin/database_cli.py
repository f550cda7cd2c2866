"""`tierwise db …`: schema migrations."""

from __future__ import annotations

import typer

from tierwise.db import migrate
from tierwise.i18n import _
from tierwise.runtime import App
from tierwise.terminal import console


def register(app: typer.Typer) -> None:
    """Add the `db` command group to the root application."""
    db = typer.Typer(help=_("Database schema."), no_args_is_help=True)
    app.add_typer(db, name="db")

    @db.command(help=_("Apply every migration the database lacks."))
    def upgrade(ctx: typer.Context, revision: str = typer.Argument("head")) -> None:
        tierwise: App = ctx.obj
        migrate.upgrade(tierwise.settings.database_url, revision)
        console.print(
            _("Database at {url} is up to date.").format(
                url=tierwise.engine.url.render_as_string(hide_password=True)
            )
        )

    @db.command(help=_("Show the migration the database is at."))
    def current(ctx: typer.Context) -> None:
        tierwise: App = ctx.obj
        console.print(migrate.current(tierwise.settings.database_url) or _("not migrated"))
