"""`tierwise rewards list|grant|use`: the rewards customers were given, by rule or by hand."""

from __future__ import annotations

import typer
from rich.table import Table
from sqlalchemy import select

from tierwise.customers.models import Customer
from tierwise.customers.service import CustomerNotFound
from tierwise.i18n import _, current_language
from tierwise.runtime import App
from tierwise.terminal import console, print_error
from tierwise.tiering.models import Reward
from tierwise.tiering.rewards import RewardRefused, grant_by_hand, use_reward

FAILURES = (CustomerNotFound, LookupError, ValueError, RewardRefused)


def register(app: typer.Typer) -> None:
    """Add the rewards group to the root application."""
    rewards = typer.Typer(help=_("Loyalty rewards: granted, listed, used."), no_args_is_help=True)
    app.add_typer(rewards, name="rewards")

    @rewards.command("list", help=_("Rewards, newest first (one customer's with --customer)."))
    def list_rewards(
        ctx: typer.Context,
        customer: str = typer.Option(None, help=_("customer code")),
        open_only: bool = typer.Option(False, "--open", help=_("only those not used yet")),
        limit: int = typer.Option(100, help=_("how many to show")),
    ) -> None:
        tierwise: App = ctx.obj
        today = tierwise.settings.today()
        query = select(Reward, Customer.code).join(Customer, Customer.id == Reward.customer_id)
        if customer is not None:
            query = query.where(Customer.code == customer)
        if open_only:
            query = query.where(Reward.used_on.is_(None))
        language = current_language()
        table = Table(
            _("No."),
            _("Customer"),
            _("Reward"),
            _("Value"),
            _("Why"),
            _("Granted"),
            _("Valid until"),
            _("Used"),
            title=_("Rewards"),
        )
        with tierwise.uow(reads=True) as uow:
            for reward, code in uow.session.execute(query.order_by(Reward.id.desc()).limit(limit)):
                expired = reward.expires_on is not None and reward.expires_on < today
                used = str(reward.used_on) if reward.used_on else (_("expired") if expired else "—")
                table.add_row(
                    str(reward.id),
                    code,
                    reward.name(language),
                    f"¥{reward.value:,.0f}" if reward.value is not None else "—",
                    reward.reason,
                    str(reward.granted_on),
                    str(reward.expires_on or "—"),
                    used,
                )
        console.print(table)

    @rewards.command("grant", help=_("Give a customer a reward of a policy rule, with a reason."))
    def grant(
        ctx: typer.Context,
        code: str,
        rule: str = typer.Option(..., help=_("the reward rule's code in the tier policy")),
        reason: str = typer.Option(..., help=_("why (kept in the history)")),
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                today = tierwise.settings.today()
                reward = grant_by_hand(uow, tierwise.operator, code, rule, reason, today)
            except FAILURES as exc:
                print_error(exc)
                raise typer.Exit(1) from exc
            uow.commit()
            console.print(_("Reward {id} given to {code}.").format(id=reward.id, code=code))

    @rewards.command("use", help=_("Mark a reward used (once; not after it expires)."))
    def use(ctx: typer.Context, reward_id: int) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                use_reward(uow, tierwise.operator, reward_id, tierwise.settings.today())
            except FAILURES as exc:
                print_error(exc)
                raise typer.Exit(1) from exc
            uow.commit()
        console.print(_("Reward {id} used.").format(id=reward_id))
