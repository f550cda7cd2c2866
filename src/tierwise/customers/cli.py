"""`tierwise customers show|log|erase` and `tierwise export customers`."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from zoneinfo import ZoneInfo

import typer
from rich.columns import Columns
from rich.panel import Panel
from rich.table import Table

from tierwise.customers import service, usecases
from tierwise.customers.choices import Direction, InteractionOutcome
from tierwise.customers.export import export_customers
from tierwise.customers.filecli import register_file_commands
from tierwise.customers.profile import is_personal
from tierwise.customers.reads import terms_rows
from tierwise.db.choices import Choice
from tierwise.i18n import _, current_language
from tierwise.identity.operator import UNMASKED
from tierwise.organisation.choices import InteractionChannel
from tierwise.runtime import App
from tierwise.terminal import console, errors, progress_bar

# The CLI is an administrator's tool: it shows personal data unmasked, and says so in the audit.


class ExportFormat(StrEnum):
    """File formats an export can write."""

    csv = "csv"
    xlsx = "xlsx"


def label(value: Choice | None) -> str:
    """A stored choice in the user's language, or a dash."""
    return "—" if value is None else value.label(current_language())


def text(value: object) -> str:
    """Any other value for display, with a dash for nothing."""
    return "—" if value is None or value == "" else str(value)


def register(app: typer.Typer) -> None:
    """Add customer commands to the root application."""
    customers = typer.Typer(help=_("The customer file."), no_args_is_help=True)
    app.add_typer(customers, name="customers")
    export = typer.Typer(help=_("Export data to CSV or XLSX."), no_args_is_help=True)
    app.add_typer(export, name="export")
    register_file_commands(customers)

    @customers.command(help=_("Show one customer: file, contacts, purchases, last contact."))
    def show(ctx: typer.Context, code: str) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                summary = usecases.read_customer(
                    uow, tierwise.operator, code, tierwise.settings.today()
                )
            except service.CustomerNotFound as exc:
                errors.print(f"[red]{exc}[/red]")
                raise typer.Exit(1) from exc
            uow.commit()  # who read it is on record before it is on the screen
            render_summary(summary, ZoneInfo(tierwise.settings.timezone))

    @customers.command("log", help=_("Log a contact with a customer (updates last contact)."))
    def log_contact(
        ctx: typer.Context,
        code: str,
        channel: InteractionChannel = typer.Option(
            InteractionChannel.PHONE, help=_("how the contact was made")
        ),
        direction: Direction = typer.Option(
            Direction.OUTBOUND, help=_("who called whom: outbound (we) or inbound (the customer)")
        ),
        memo: str = typer.Option(None, help=_("what was said")),
        outcome: InteractionOutcome = typer.Option(None, help=_("how the contact ended")),
        staff: str = typer.Option(None, help=_("staff code of who made the contact")),
        minutes: float = typer.Option(
            None, min=0, max=24 * 60, help=_("how long it took (priced in cost-to-serve)")
        ),
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                logged = usecases.log_contact(
                    uow,
                    tierwise.operator,
                    code,
                    dt.datetime.now(dt.UTC),
                    channel,
                    direction,
                    memo=memo,
                    outcome=outcome,
                    staff_code=staff,
                    minutes=minutes,
                )
            except LookupError as exc:
                errors.print(f"[red]{exc}[/red]")
                raise typer.Exit(1) from exc
            uow.commit()
        console.print(_("Logged."))
        if logged.tasks_done:
            console.print(_("{n} open task(s) done by this contact.").format(n=logged.tasks_done))

    @customers.command("erase", help=_("Erase a person's personal data; orders and figures stay."))
    def erase(
        ctx: typer.Context,
        code: str,
        confirm: str = typer.Option(..., help=_("the customer code again, to confirm")),
    ) -> None:
        tierwise: App = ctx.obj
        if confirm != code:
            errors.print(_("Type the customer code to confirm the erasure; nothing was erased."))
            raise typer.Exit(1)
        with tierwise.uow() as uow:
            try:
                usecases.erase_person(uow, tierwise.operator, code, tierwise.settings.secret_key)
            except LookupError as exc:
                errors.print(f"[red]{exc}[/red]")
                raise typer.Exit(1) from exc
            uow.commit()
        console.print(_("Personal data erased."))

    @export.command("customers", help=_("Write the customer list (columns as the import)."))
    def export_customer_list(
        ctx: typer.Context,
        format: ExportFormat = typer.Option(ExportFormat.csv, "--format", help=_("file format")),
        output: Path = typer.Option(None, "--output", "-o", help=_("default: customers.FORMAT")),
        chinese_headers: bool = typer.Option(
            False, "--chinese-headers", help=_("column headers in Chinese")
        ),
    ) -> None:
        tierwise: App = ctx.obj
        path = output or Path(f"customers.{format.value}")
        with tierwise.uow() as uow, progress_bar(_("Exporting")) as progress:
            note = f"{UNMASKED}, to {path.name}"
            usecases.export_customers(uow, tierwise.operator, note)
            uow.commit()  # who took the file is on record before the file exists
            count = export_customers(uow.connection, path, format.value, chinese_headers, progress)
        console.print(_("Wrote {count} customers to {path}").format(count=count, path=path))


def render_summary(summary: service.CustomerSummary, zone: ZoneInfo) -> None:
    """Print the customer summary as panels."""
    c, totals = summary.customer, summary.totals
    profile = Table.grid(padding=(0, 2))
    rows = [
        (_("Code"), c.code),
        (_("Name"), c.name),
        (_("Kind"), label(c.kind)),
        (_("Status"), label(c.status)),
        (_("Churn type"), label(c.churn_type)),
        (_("Industry"), text(c.industry)),
        (_("Region"), text(c.region)),
        (_("Marketing type"), label(c.marketing_type)),
        (_("Management class"), label(c.management_class)),
        (_("Channel"), label(c.channel)),
        (_("Credit rating"), text(c.credit_rating)),
        (_("Credit limit"), text(c.credit_limit)),
        (_("Acquired"), text(c.acquired_on)),
        (_("Source"), label(c.acquisition_source)),
        (_("Referred by"), text(summary.referred_by and summary.referred_by.name)),
        (_("Owner"), text(summary.owner and summary.owner.name)),
        (_("Dedicated CSR"), text(summary.csr and summary.csr.name)),
        (_("Phone"), text(c.phone)),
        (_("Email"), text(c.email)),
        (
            _("Last contact"),
            text(
                c.last_contact_at and c.last_contact_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            ),
        ),
    ]
    prospect_factors = (
        c.enterprise_nature,
        c.asset_scale,
        c.annual_revenue,
        c.growth_rate,
        c.potential_demand,
        c.wallet_estimate,
    )
    if any(factor is not None for factor in prospect_factors):
        rows += [
            (_("Enterprise nature"), label(c.enterprise_nature)),
            (_("Asset scale"), text(c.asset_scale)),
            (_("Annual revenue"), text(c.annual_revenue)),
            (_("Growth rate"), text(c.growth_rate)),
            (_("Potential demand"), text(c.potential_demand)),
            (_("Yearly category spend (estimate)"), text(c.wallet_estimate)),
        ]
    for key, value in rows:
        profile.add_row(f"[bold]{key}[/bold]", value)
    panels = [Panel(profile, title=_("Customer file"))]
    if totals is not None:
        buying = Table.grid(padding=(0, 2))
        for key, value in [
            (_("Orders"), str(totals.orders)),
            (_("Net sales"), str(totals.revenue)),
            (_("Cost"), text(totals.cost)),
            (_("Gross profit"), text(totals.gross_profit)),
            (_("Returns"), str(totals.returns)),
            (_("First order"), text(totals.first_order)),
            (_("Last order"), text(totals.last_order)),
            (_("Product categories"), str(totals.product_categories)),
            (_("Buying departments"), str(totals.departments)),
        ]:
            buying.add_row(f"[bold]{key}[/bold]", value)
        panels.append(Panel(buying, title=_("Purchases")))
    if summary.terms is not None:
        terms = Table.grid(padding=(0, 2))
        for key, value in terms_rows(summary.terms):
            terms.add_row(f"[bold]{key}[/bold]", value)
        panels.append(Panel(terms, title=_("Terms in force")))
    console.print(Columns(panels))
    if summary.rewards:
        rewards = Table(
            _("No."),
            _("Reward"),
            _("Why"),
            _("Granted"),
            _("Valid until"),
            _("Used"),
            title=_("Rewards"),
        )
        for r in summary.rewards:
            rewards.add_row(
                str(r["id"]),
                r["name"],
                r["reason"],
                text(r["granted_on"]),
                text(r["expires_on"]),
                text(r["used_on"]),
            )
        console.print(rewards)
    if summary.contacts:
        people = Table(
            _("Name"), _("Department"), _("Title"), _("Phone"), _("Email"), title=_("Contacts")
        )
        for person in summary.contacts:
            star = " ★" if person.is_primary else ""
            people.add_row(
                person.name + star,
                text(person.department),
                text(person.title),
                text(person.phone),
                text(person.email),
            )
        console.print(people)
    lang = current_language()
    for section, data in summary.sections.items():
        mark = _("personal") if is_personal(section) else _("not personal")
        body = "\n".join(
            f"{k}: {', '.join(v) if isinstance(v, list) else v}" for k, v in data.items()
        )
        console.print(Panel(body, title=f"{section.label(lang)} ({mark})"))
    if summary.consents:
        consent = ", ".join(
            f"{p.label(lang)}: {_('yes') if g else _('no')}" for p, g in summary.consents.items()
        )
        console.print(f"[bold]{_('Consent')}[/bold] {consent}")
