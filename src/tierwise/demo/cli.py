"""`tierwise demo`: a database full of realistic customers to explore."""

from __future__ import annotations

import datetime as dt

import typer
from rich.table import Table
from sqlalchemy import func, select

from tierwise.admin.cli import print_password
from tierwise.analytics.cli import print_headline
from tierwise.customers.models import Customer
from tierwise.db import migrate
from tierwise.demo.scenario import play
from tierwise.demo.users import create_demo_users, sign_ins
from tierwise.i18n import _
from tierwise.runtime import App
from tierwise.terminal import console, staged_progress
from tierwise.tiering.models import TierPolicy


def register(app: typer.Typer) -> None:
    """Add the demo command to the root application."""

    @app.command(
        help=_("Fill an empty database with deterministic demo data and two months at work.")
    )
    def demo(
        ctx: typer.Context,
        customers: int = typer.Option(2000, min=100, help=_("how many customers")),
        seed: int = typer.Option(42, help=_("same seed, same data")),
        as_of: str = typer.Option("2026-11-01", help=_("the 'today' of the demo data")),
        if_empty: bool = typer.Option(
            False, "--if-empty", help=_("leave a database that already has customers as it is")
        ),
    ) -> None:
        tierwise: App = ctx.obj
        migrate.upgrade(tierwise.settings.database_url)
        with tierwise.uow() as uow:
            existing = uow.session.scalar(select(func.count()).select_from(Customer)) or 0
            if existing and if_empty:
                console.print(
                    _("The database already holds {n} customers; left as it is.").format(n=existing)
                )
                print_next_steps(uow.session.scalar(select(func.min(Customer.code))))
                return
            from tierwise.demo.generator import generate  # Faker loads slowly; only here

            with staged_progress(_("Demo data")) as progress:
                try:
                    summary = generate(
                        uow.connection,
                        customers=customers,
                        seed=seed,
                        as_of=dt.date.fromisoformat(as_of),
                        progress=lambda stage, done, total: progress(
                            stage_labels().get(stage, stage), done, total
                        ),
                    )
                except ValueError as exc:
                    console.print(f"[red]{exc}[/red]")
                    raise typer.Exit(1) from exc
            uow.commit()
            first = uow.session.scalar(select(func.min(Customer.code)))
        with tierwise.uow() as uow:
            has_policy = uow.session.scalar(select(func.count()).select_from(TierPolicy))
        if not has_policy:
            with staged_progress(_("Two months at work")) as progress:
                started: list[str] = []

                def stage(name: str) -> None:
                    if started:
                        progress(scenario_labels().get(started[-1], started[-1]), 1, 1)
                    started.append(name)
                    progress(scenario_labels().get(name, name), 0, 1)

                result, daily = play(tierwise, dt.date.fromisoformat(as_of), seed, stage)
                progress(scenario_labels().get(started[-1], started[-1]), 1, 1)
            print_headline(result.headline, result.verdict)
            console.print(
                _(
                    "Daily run of {day}: {tasks} tasks opened, {items} accountability items raised."
                ).format(
                    day=as_of, tasks=sum(daily.tasks.values()), items=sum(daily.items.values())
                )
            )
        admin_password = create_demo_users(tierwise)
        if admin_password:
            print_password("admin", admin_password)
        table = Table(title=_("Demo data written"), show_header=False)
        for field, value in vars(summary).items():
            table.add_row(summary_labels().get(field, field), str(value))
        console.print(table)
        print_next_steps(first)


def scenario_labels() -> dict[str, str]:
    """The scenario's stages as the progress bars name them."""
    return {
        "policies": _("tier policy and organisation rules"),
        "a month before": _("analytics, tiers and daily run a month before"),
        "owners at work": _("owners at work, a day of calls, tickets"),
        "today": _("analytics, tiers and daily run today"),
    }


def stage_labels() -> dict[str, str]:
    """The generator's stages as the progress bars name them."""
    return {"staff and products": _("staff and products"), "customers": _("customers")}


def summary_labels() -> dict[str, str]:
    """What each count of the demo summary is called in the user's language."""
    return {
        "staff": _("staff"),
        "customers": _("customers"),
        "prospects": _("prospects"),
        "contacts": _("contacts"),
        "products": _("products"),
        "orders": _("orders"),
        "order_lines": _("order lines"),
        "returns": _("return orders"),
        "interactions": _("logged contacts"),
        "referrals": _("referrals"),
        "profile_entries": _("customer file sections"),
        "consents": _("consent records"),
        "surveys": _("surveys"),
        "revenue": _("net sales"),
        "profit": _("gross profit"),
    }


def print_sign_ins(app: App) -> None:
    """The demo's users, one per role, to try what each role may see."""
    table = Table(_("user"), _("role"), _("password"), _("staff"), title=_("Demo sign-ins"))
    for username, role, password, staff in sign_ins(app):
        table.add_row(username, role, password, staff or "")
    console.print(table)


def print_next_steps(example_code: str | None) -> None:
    """Tell a new user where to look next."""
    console.print(_("Look around:"))
    if example_code:
        console.print(f"  tierwise customers show {example_code}")
        console.print(f"  tierwise tiers explain {example_code}")
    console.print("  tierwise tiers show")
    console.print("  tierwise tiers policy show > my-policy.toml")
    console.print("  tierwise tiers simulate my-policy.toml")
    console.print("  tierwise export customers --format xlsx")
    console.print("  tierwise --help")
