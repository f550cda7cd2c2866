"""The `tierwise` command: settings and language first, then each capability's commands."""

from __future__ import annotations

import sys

import typer

from tierwise.bootstrap import App, bootstrap
from tierwise.config import Settings
from tierwise.db import migrate
from tierwise.exit_codes import ExitCode, classify, one_line
from tierwise.i18n import _, set_language
from tierwise.identity import operator
from tierwise.terminal import errors

SETS_UP_ITS_OWN_SCHEMA = {"db", "demo", "init"}


def build() -> typer.Typer:
    """Assemble the command tree; help texts are translated, so the language is set before."""
    from tierwise import capabilities, serve

    app = typer.Typer(
        help=_("Tierwise: tiered customer management (客户分级管理)."),
        no_args_is_help=True,
        pretty_exceptions_show_locals=False,
    )

    @app.callback()
    def start(
        ctx: typer.Context,
        as_user: str = typer.Option(
            None,
            "--as",
            metavar="USER",
            help=_("the Tierwise user you act as, for the audit log (default: your OS account)"),
        ),
    ) -> None:
        # A test hands in its own wired App (`obj=`), as bootstrap takes a test's engine.
        ctx.obj = tierwise = ctx.obj if isinstance(ctx.obj, App) else bootstrap(settings)
        needs_schema = ctx.invoked_subcommand not in SETS_UP_ITS_OWN_SCHEMA or as_user is not None
        if needs_schema and not migrate.is_current(settings.database_url):
            errors.print(
                _(
                    "The database at {url} is not set up for this version; run: tierwise db upgrade"
                ).format(url=tierwise.engine.url.render_as_string(hide_password=True))
            )
            raise typer.Exit(ExitCode.USAGE)
        if as_user is None:
            tierwise.operator = operator.at_terminal()
            return
        with tierwise.uow() as uow:
            tierwise.operator = operator.acting_as(uow.session, as_user)

    settings = Settings()
    for module in (*capabilities.modules("commands"), serve):
        module.register(app)
    return app


def main() -> None:
    """Console entry point: what no command handled becomes one line on stderr and an exit code."""
    try:
        set_language(Settings().lang)
        code = build()(standalone_mode=False)
    except Exception as exc:  # the one place every failure family is mapped (exit_codes.py)
        code, line = classify(exc)
        if line:
            errors.print(one_line(line), style="red", markup=False, highlight=False)
    sys.exit(code if isinstance(code, int) else ExitCode.OK)
