"""Scorecards as an XLSX workbook: owners and teams, with the previous period's profit."""

from __future__ import annotations

from pathlib import Path

from tierwise.accountability.scorecard import Card, Scorecards
from tierwise.i18n import _
from tierwise.sheets import xlsx_row


def write_xlsx(result: Scorecards, path: Path, tier_order: list[str]) -> None:
    """Owners and teams on two sheets, with the previous period's profit and the change."""
    from openpyxl import Workbook

    book = Workbook()
    sheets = (
        (book.active, result.owners, result.previous_owners, _("Owners")),
        (book.create_sheet(), result.teams, result.previous_teams, _("Teams")),
    )
    for sheet, cards, previous, title in sheets:
        sheet.title = title
        sheet.append(xlsx_row(sheet, _headers(tier_order)))
        for card in cards:
            before = previous.get(card.code)
            sheet.append(xlsx_row(sheet, _row(card, tier_order, before.profit if before else None)))
    book.save(path)


def _headers(tier_order: list[str]) -> list[str]:
    return [
        _("Code"),
        _("Name"),
        _("Team"),
        _("Customers"),
        *[_("Tier {tier}").format(tier=t) for t in tier_order],
        _("12-month sales"),
        _("Profit"),
        _("CLV"),
        _("Up"),
        _("Down"),
        _("Churned"),
        _("Lost value"),
        _("Obligations due"),
        _("On time"),
        _("Compliance"),
        _("SLA compliance"),
        _("Complaints"),
        _("CSAT"),
        _("NPS"),
        _("Referrals won"),
        _("Previous profit"),
        _("Profit change"),
    ]


def _row(card: Card, tier_order: list[str], previous_profit: float | None) -> list[object]:
    return [
        card.code,
        card.name,
        card.team,
        card.customers,
        *[card.by_tier.get(t, 0) for t in tier_order],
        round(card.sales_12m, 2),
        round(card.profit, 2),
        round(card.clv, 2),
        card.up,
        card.down,
        card.churned,
        round(card.lost_value, 2),
        card.obligations_due,
        card.obligations_on_time,
        card.compliance,
        card.sla_compliance,
        card.complaints,
        card.mean_csat,
        card.mean_nps,
        card.referrals_won,
        previous_profit,
        None if previous_profit is None else round(card.profit - previous_profit, 2),
    ]
