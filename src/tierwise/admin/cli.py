"""`tierwise init` and `tierwise users …`: the first administrator and everyone who signs in."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy import select

from tierwise.db import migrate
from tierwise.i18n import _
from tierwise.identity import accounts, usecases
from tierwise.identity.models import User
from tierwise.runtime import App
from tierwise.terminal import console, errors


def _fail(exc: Exception) -> typer.Exit:
    errors.print(f"[red]{exc}[/red]", highlight=False)
    return typer.Exit(1)


def print_password(username: str, password: str) -> None:
    """Show a one-time password once, and what to do with it."""
    console.print(
        _(
            "User {name}: one-time password [bold]{password}[/bold] (change it at first sign-in)"
        ).format(name=username, password=password),
        highlight=False,
    )


def first_admin(app: App, username: str) -> str | None:
    """Create the first administrator with a one-time password, unless an admin exists."""
    with app.uow() as uow:
        new = usecases.first_admin(uow, app.operator, username)
        uow.commit()
    return new.password if new else None


def register(app: typer.Typer) -> None:
    """Add init and the users group to the root application."""
    users = typer.Typer(help=_("Users who sign in, and their roles."), no_args_is_help=True)
    app.add_typer(users, name="users")

    @app.command(help=_("Set up the database and create the first administrator."))
    def init(
        ctx: typer.Context,
        username: str = typer.Option("admin", help=_("the first administrator's user name")),
    ) -> None:
        tierwise: App = ctx.obj
        migrate.upgrade(tierwise.settings.database_url)
        password = first_admin(tierwise, username)
        if password is None:
            console.print(_("An administrator exists already; nothing to do."))
            return
        print_password(username, password)

    @users.command("add", help=_("Add a user; prints a one-time password."))
    def add(
        ctx: typer.Context,
        username: str,
        role: str = typer.Option(
            ..., help=_("the role, one of: admin, manager, account_manager, csr, analyst")
        ),
        name: str = typer.Option(None, help=_("display name (default: the user name)")),
        staff: str = typer.Option(None, help=_("staff code, for owners and CSRs")),
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                new = usecases.create_user(
                    uow, tierwise.operator, username, name or username, role, staff
                )
            except accounts.AccountError as exc:
                raise _fail(exc) from exc
            uow.commit()
        print_password(username, new.password)

    @users.command("passwd", help=_("Give a user a new one-time password (lifts a lockout)."))
    def passwd(ctx: typer.Context, username: str) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                password = usecases.reset_password(uow, tierwise.operator, username)
            except accounts.AccountError as exc:
                raise _fail(exc) from exc
            uow.commit()
        print_password(username, password)

    @users.command("disable", help=_("Stop a user signing in; their sessions and tokens end."))
    def disable(ctx: typer.Context, username: str) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                usecases.disable_user(uow, tierwise.operator, username)
            except accounts.AccountError as exc:
                raise _fail(exc) from exc
            uow.commit()
        console.print(_("User {name} is disabled.").format(name=username))

    @users.command("list", help=_("Every user with role and state."))
    def list_users(ctx: typer.Context) -> None:
        tierwise: App = ctx.obj
        table = Table(_("user"), _("name"), _("role"), _("active"), _("locked until"))
        with tierwise.uow() as uow:
            for user in uow.session.scalars(select(User).order_by(User.username)):
                table.add_row(
                    user.username,
                    user.display_name,
                    user.role,
                    _("yes") if user.active else _("no"),
                    f"{user.locked_until:%Y-%m-%d %H:%M}" if user.locked_until else "",
                )
        console.print(table)
