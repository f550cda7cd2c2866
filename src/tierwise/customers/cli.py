"""`tierwise customers …` and `tierwise export customers`."""

from __future__ import annotations

import typer

from tierwise.i18n import _


def register(app: typer.Typer) -> None:
    """Add customer commands to the root application."""
    customers = typer.Typer(help=_("The customer file."), no_args_is_help=True)
    app.add_typer(customers, name="customers")
