"""`tierwise orders add`: one order by hand; the customer's tier rises at once if it earns it."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import typer

from tierwise.bootstrap import App
from tierwise.customers.service import CustomerNotFound
from tierwise.i18n import _
from tierwise.sales.service import money, record_order
from tierwise.terminal import console, errors
from tierwise.tiering.regrade import regrade


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
        today = dt.datetime.now(ZoneInfo(tierwise.settings.timezone)).date()
        with tierwise.uow() as uow:
            try:
                day = dt.date.fromisoformat(date) if date else today
                order = record_order(
                    uow.session,
                    customer,
                    day,
                    money(amount, "--amount"),
                    money(cost, "--cost") if cost else None,
                    product,
                    code,
                    returns,
                    latest_date=tierwise.settings.latest_order_date(),
                )
                tier = regrade(uow.connection, order.customer_id, max(day, today), None, order.code)
            except (CustomerNotFound, ValueError) as exc:
                errors.print(f"[red]{exc}[/red]", highlight=False)
                raise typer.Exit(1) from exc
            uow.commit()
        console.print(_("Order {code} recorded.").format(code=order.code))
        if tier is not None:
            console.print(_("{customer} is in tier {tier}.").format(customer=customer, tier=tier))
