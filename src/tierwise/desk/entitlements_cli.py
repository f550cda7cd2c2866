"""`tierwise service entitlements|use`: what a customer's tier entitles them to, and using it."""

from __future__ import annotations

import typer
from rich.table import Table

from tierwise.db.base import utcnow
from tierwise.desk import entitlements
from tierwise.desk.entitlements import amount_text
from tierwise.errors import DomainError
from tierwise.i18n import _, current_language
from tierwise.organisation.choices import EntitlementKind
from tierwise.runtime import App
from tierwise.terminal import console, errors

FAILURES = (DomainError, LookupError, ValueError)


def _fail(exc: Exception) -> typer.Exit:
    errors.print(f"[red]{exc}[/red]", highlight=False)
    return typer.Exit(1)


def _kind(text: str) -> EntitlementKind:
    """The kind a user typed: its key, or its name in either language."""
    found = EntitlementKind.aliases().get(text.strip().casefold())
    if found is None:
        lang = current_language()
        raise ValueError(
            _("KIND: no entitlement {text!r}; one of: {kinds}").format(
                text=text, kinds=", ".join(f"{k.value} ({k.label(lang)})" for k in EntitlementKind)
            )
        )
    return found


def add_commands(service: typer.Typer) -> None:
    """Add the entitlement commands to the service group."""

    shows = _("What a customer's tier entitles them to, and what is left.")

    @service.command("entitlements", help=shows)
    def show(ctx: typer.Context, code: str) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                found = entitlements.entitlements_left(
                    uow, tierwise.operator, tierwise.settings.timezone, code, utcnow()
                )
            except FAILURES as exc:
                raise _fail(exc) from exc
            uow.commit()
        if not found:
            console.print(_("Customer {code}'s tier is entitled to no services.").format(code=code))
            return
        lang = current_language()
        table = Table(title=_("Service entitlements of {code}").format(code=code))
        for column in (_("Entitlement"), _("Left"), _("Allowance"), _("Used"), _("Period ends")):
            table.add_column(column)
        for b in found:
            table.add_row(
                b.kind.label(lang),
                amount_text(b.left),
                f"{amount_text(b.allowance)} {b.per.label(lang)}",
                amount_text(b.used),
                b.period_end.isoformat(),
            )
        console.print(table)

    @service.command("use", help=_("Record that a customer used some of an entitlement."))
    def use(
        ctx: typer.Context,
        code: str,
        kind: str = typer.Argument(
            ..., help=_("the entitlement, by key or name, e.g. engineer_hours or 工程师工时")
        ),
        amount: float = typer.Argument(..., help=_("how much: visits, hours, repairs")),
        ticket: int | None = typer.Option(None, "--ticket", help=_("the ticket it was used on")),
        override: str | None = typer.Option(
            None, "--override", help=_("why to go beyond what is left (otherwise refused)")
        ),
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                used = entitlements.use_entitlement(
                    uow,
                    tierwise.operator,
                    tierwise.settings.timezone,
                    code,
                    _kind(kind),
                    amount,
                    ticket,
                    override,
                    utcnow(),
                )
            except FAILURES as exc:
                raise _fail(exc) from exc
            uow.commit()
        left = used.balance
        lang = current_language()
        if left is None:
            console.print(_("Recorded, beyond the tier's entitlements."))
        else:
            message = (
                _("Recorded beyond the allowance: {left} of {allowance} {kind} left until {end}.")
                if used.beyond_allowance
                else _("Recorded: {left} of {allowance} {kind} left until {end}.")
            )
            console.print(
                message.format(
                    left=amount_text(left.left),
                    allowance=amount_text(left.allowance),
                    kind=left.kind.label(lang),
                    end=left.period_end.isoformat(),
                )
            )
