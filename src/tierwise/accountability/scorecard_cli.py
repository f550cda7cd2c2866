"""`tierwise scorecard`: owners and teams for a month or quarter, against the one before."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from tierwise.accountability.cli import FAILURES, _day, _fail
from tierwise.accountability.scorecard import Card, scorecards
from tierwise.accountability.scorecard_export import write_xlsx
from tierwise.i18n import _
from tierwise.runtime import App
from tierwise.terminal import console, print_table
from tierwise.tiering.engine import active_policy


def _money(value: float) -> str:
    return f"{value:,.0f}"


def _change(card: Card, before: Card | None) -> str:
    return "—" if before is None else f"{card.profit - before.profit:+,.0f}"


def _churned(card: Card) -> str:
    return f"{card.churned} (¥{_money(card.lost_value)})" if card.churned else "0"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _mean(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def register(app: typer.Typer) -> None:
    """Add `tierwise scorecard`."""

    @app.command(help=_("Scorecards per owner and team for a month or quarter."))
    def scorecard(
        ctx: typer.Context,
        period: str = typer.Option(None, help=_("YYYY-MM or YYYY-Qn; default: this month")),
        team: str = typer.Option(None, help=_("only this team")),
        out: Path = typer.Option(None, help=_("write the scorecards to this XLSX file")),
    ) -> None:
        tierwise: App = ctx.obj
        today = _day(tierwise, None)
        period = period or f"{today:%Y-%m}"
        with tierwise.uow() as uow:
            try:
                policy = active_policy(uow.connection)
                # every tier, the blacklist last, so a move onto the blacklist counts as down
                order = [t.code for t in policy.policy.tiers] if policy else []
                result = scorecards(uow.connection, period, order, today)
            except FAILURES as exc:
                raise _fail(exc) from exc
        tiers = "/".join(order)
        owners = Table(title=_("Owners, {period}").format(period=period))
        for header in (
            _("Owner"),
            _("Team"),
            _("Customers") + f" ({tiers})",
            _("Profit"),
            _("CLV"),
            _("Change"),
            _("Up/down"),
            _("Churned"),
            _("Compliance"),
            _("Complaints"),
            _("CSAT"),
            _("Referrals won"),
            _("Rank in team"),
        ):
            owners.add_column(header)
        for card in result.owners:
            if team is not None and card.team != team:
                continue
            owners.add_row(
                f"{card.code} {card.name}",
                card.team or "—",
                "/".join(str(card.by_tier.get(t, 0)) for t in order),
                _money(card.profit),
                _money(card.clv),
                _change(card, result.previous_owners.get(card.code)),
                f"+{card.up}/−{card.down}",
                _churned(card),
                _share(card.compliance),
                str(card.complaints),
                _mean(card.mean_csat),
                str(card.referrals_won),
                f"{result.rank_in_team.get(card.code, '—')}",
            )
        print_table(owners)
        teams = Table(title=_("Teams, {period}").format(period=period))
        for header in (
            _("Team"),
            _("Customers"),
            _("Profit"),
            _("CLV"),
            _("Change"),
            _("Up/down"),
            _("Churned"),
            _("Compliance"),
            _("Complaints"),
            _("CSAT"),
            _("Referrals won"),
        ):
            teams.add_column(header)
        for card in result.teams:
            if team is not None and card.team != team:
                continue
            teams.add_row(
                card.code,
                f"{card.customers:,}",
                _money(card.profit),
                _money(card.clv),
                _change(card, result.previous_teams.get(card.code)),
                f"+{card.up}/−{card.down}",
                _churned(card),
                _share(card.compliance),
                str(card.complaints),
                _mean(card.mean_csat),
                str(card.referrals_won),
            )
        print_table(teams)
        if out is not None:
            write_xlsx(result, out, order)
            console.print(_("Scorecards written to {file}").format(file=out))
