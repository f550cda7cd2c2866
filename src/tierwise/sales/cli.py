"""`tierwise orders add`: one order by hand; the customer's tier rises at once if it earns it."""

from __future__ import annotations

import datetime as dt

import typer

from tierwise.customers.service import CustomerNotFound
from tierwise.i18n import _
from tierwise.runtime import App
from tierwise.sales.service import add_order, money
from tierwise.terminal import console, errors


def register(app: typer.Typer) -> None:
    """Add the orders group to the root application."""
    orders = typer.Typer(help=_("Orders recorded one at a time."), no_args_is_help=True)
    app.add_typer(orders, name="orders")

    @orders.command("add", help=_("Record one order (or a return) for a customer."))
    def add(
        ctx: typer.Context,
        customer: str,
        amount: str = typer.Option(..., help=_("net amount in yuan")),
        cost: str = typer.Option(None, help=_("cost in yuan, if known")),
        date: str = typer.Option(None, help=_("YYYY-MM-DD; default: today")),
        product: str = typer.Option(None, help=_("product code")),
        code: str = typer.Option(None, help=_("order code; default: CUSTOMER@DATE")),
        returns: str = typer.Option(None, help=_("the order code this returns")),
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                recorded = add_order(
                    uow,
                    tierwise.operator,
                    customer,
                    dt.date.fromisoformat(date) if date else None,
                    money(amount, "--amount"),
                    money(cost, "--cost") if cost else None,
                    product,
                    code,
                    returns,
                    today=tierwise.settings.today(),
                    latest_date=tierwise.settings.latest_order_date(),
                )
            except (CustomerNotFound, ValueError) as exc:
                errors.print(f"[red]{exc}[/red]", highlight=False)
                raise typer.Exit(1) from exc
            uow.commit()
        console.print(_("Order {code} recorded.").format(code=recorded.order.code))
        if recorded.tier is not None:
            console.print(
                _("{customer} is in tier {tier}.").format(customer=customer, tier=recorded.tier)
            )
