"""`tierwise demo`: a database full of realistic customers to explore."""

from __future__ import annotations

import datetime as dt

import typer
from rich.table import Table
from sqlalchemy import func, select

from tierwise.accountability.rules import default_rules_text
from tierwise.accountability.service import active_rules, apply_rules
from tierwise.bootstrap import App
from tierwise.customers.models import Customer
from tierwise.db import migrate
from tierwise.demo.contacts import a_backlog, a_day
from tierwise.demo.work import work_tasks
from tierwise.i18n import _
from tierwise.terminal import console, staged_progress
from tierwise.tiering.models import TierPolicy
from tierwise.tiering.policy import default_policy_text
from tierwise.tiering.service import apply_policy


def register(app: typer.Typer) -> None:
    """Add the demo commands to the root application."""
    register_work(app)
    register_contacts(app)

    @app.command(help=_("Fill an empty database with deterministic demo data."))
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
            row = apply_policy(tierwise, default_policy_text(), "default_policy.toml", "demo")
            console.print(
                _("Default tier policy applied as version {version}.").format(version=row.version)
            )
            rules = apply_rules(tierwise, default_rules_text(), "default_org_policy.toml", "demo")
            console.print(
                _("Default organisation rules applied as version {version}.").format(
                    version=rules.version
                )
            )
        table = Table(title=_("Demo data written"), show_header=False)
        for field, value in vars(summary).items():
            table.add_row(summary_labels().get(field, field), str(value))
        console.print(table)
        print_next_steps(first)


def register_work(app: typer.Typer) -> None:
    """Add the command that plays the demo's owners doing their tasks."""

    @app.command("demo-work", help=_("Demo only: owners log the contacts most open tasks ask for."))
    def demo_work(
        ctx: typer.Context,
        start: str = typer.Option(..., "--from", help="YYYY-MM-DD"),
        until: str = typer.Option(..., help="YYYY-MM-DD"),
        seed: int = typer.Option(42, help=_("same seed, same data")),
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            logged = work_tasks(
                uow.connection, dt.date.fromisoformat(start), dt.date.fromisoformat(until), seed
            )
            uow.commit()
        console.print(_("{n} contacts logged by the demo's owners.").format(n=logged))


def register_contacts(app: typer.Typer) -> None:
    """Add the command that plays a day at the demo's contact centre."""

    @app.command(
        "demo-contacts",
        help=_("Demo only: a simulated day of calls through the queue, and a ticket backlog."),
    )
    def demo_contacts(
        ctx: typer.Context,
        day: str = typer.Option(..., help="YYYY-MM-DD"),
        agents: int = typer.Option(4, min=1, help=_("CSRs on duty")),
        seed: int = typer.Option(42, help=_("same seed, same data")),
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            rules = active_rules(uow.connection)
            calls = a_day(
                uow.connection,
                rules,
                dt.date.fromisoformat(day),
                tierwise.settings.timezone,
                seed,
                agents,
            )
            a_backlog(
                uow.connection, rules, dt.date.fromisoformat(day), tierwise.settings.timezone, seed
            )
            uow.commit()
        console.print(
            _("{n} calls on {day}; see: tierwise service report --date {day}").format(
                n=calls, day=day
            )
        )


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
