"""`tierwise orders add`: one order by hand; the customer's tier rises at once if it earns it."""

from __future__ import annotations

import datetime as dt

import typer

from tierwise.customers.service import CustomerNotFound
from tierwise.i18n import _
from tierwise.runtime import App
from tierwise.sales.pricing import TermsRefused
from tierwise.sales.service import add_order, money, quantity_of, terms_line
from tierwise.sales.terms import Payment
from tierwise.terminal import console, errors


def register(app: typer.Typer) -> None:
    """Add the orders group to the root application."""
    orders = typer.Typer(help=_("Orders recorded one at a time."), no_args_is_help=True)
    app.add_typer(orders, name="orders")

    @orders.command("add", help=_("Record one order (or a return) for a customer."))
    def add(
        ctx: typer.Context,
        customer: str,
        amount: str = typer.Option(
            None, help=_("net amount in yuan; default: the product's list price on the tier terms")
        ),
        quantity: str = typer.Option("1", help=_("quantity of the product")),
        payment: Payment = typer.Option(
            None, help=_("prepaid, on_delivery or net; default: what the tier allows")
        ),
        override: bool = typer.Option(
            False, "--override", help=_("record it beyond the tier terms (needs --reason)")
        ),
        reason: str = typer.Option(None, help=_("why the tier terms are overridden")),
        cost: str = typer.Option(None, help=_("cost in yuan, if known")),
        date: str = typer.Option(None, help=_("YYYY-MM-DD; default: today")),
        product: str = typer.Option(None, help=_("product code")),
        code: str = typer.Option(None, help=_("order code; default: CUSTOMER@DATE")),
        returns: str = typer.Option(None, help=_("the order code this returns")),
    ) -> None:
        tierwise: App = ctx.obj
        if override and not (reason or "").strip():
            errors.print(_("--override needs --reason: why the tier terms are overridden"))
            raise typer.Exit(1)
        with tierwise.uow() as uow:
            try:
                recorded = add_order(
                    uow,
                    tierwise.operator,
                    customer,
                    dt.date.fromisoformat(date) if date else None,
                    money(amount, "--amount") if amount else None,
                    money(cost, "--cost") if cost else None,
                    product,
                    code,
                    returns,
                    today=tierwise.settings.today(),
                    latest_date=tierwise.settings.latest_order_date(),
                    quantity=quantity_of(quantity),
                    payment=payment,
                    override=reason if override else None,
                )
            except (CustomerNotFound, ValueError, TermsRefused) as exc:
                errors.print(f"[red]{exc}[/red]", highlight=False)
                raise typer.Exit(1) from exc
            uow.commit()
        console.print(_("Order {code} recorded.").format(code=recorded.order.code))
        if recorded.in_force is not None:
            console.print(terms_line(recorded), highlight=False)
        if recorded.tier is not None:
            console.print(
                _("{customer} is in tier {tier}.").format(customer=customer, tier=recorded.tier)
            )
