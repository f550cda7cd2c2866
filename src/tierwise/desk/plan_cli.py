"""`tierwise service forecast|compliance`: the calls to expect, and who kept the service levels."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.table import Column, Table

from tierwise.desk.compliance import as_csv, cells, check_by, compliance, headers, period_of
from tierwise.desk.forecast import DEFAULT_WEEKS, forecast_calls, forecast_note, weekday_name
from tierwise.desk.report import calls_text, tier_name
from tierwise.i18n import _
from tierwise.runtime import App
from tierwise.terminal import console, errors, print_table

FAILURES = (LookupError, ValueError, PermissionError)


def _fail(exc: Exception) -> typer.Exit:
    errors.print(f"[red]{exc}[/red]", highlight=False)
    return typer.Exit(1)


def register(service: typer.Typer) -> None:
    """Add the forecast and compliance commands to the service group."""

    @service.command("forecast", help=_("Calls to expect per weekday and hour, from past weeks."))
    def show_forecast(
        ctx: typer.Context,
        weeks: int = typer.Option(DEFAULT_WEEKS, help=_("weeks of history to average")),
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow(reads=True) as uow:
            try:
                expected = forecast_calls(
                    uow.connection, tierwise.settings.timezone, tierwise.settings.today(), weeks
                )
            except FAILURES as exc:
                raise _fail(exc) from exc
        grid = expected.grid()
        table = Table(
            _("hour"),
            *(weekday_name(day) for day in range(7)),
            title=_("Calls expected per weekday and hour"),
        )
        for hour in range(24):
            if any(grid[day][hour] for day in range(7)):
                table.add_row(
                    f"{hour:02d}:00",
                    *(calls_text(round(grid[day][hour], 1)) for day in range(7)),
                )
        table.add_row(_("total"), *(calls_text(round(sum(row), 1)) for row in grid))
        console.print(table)
        per_tier: dict[str, float] = {}
        for (_day, _hour, tier), calls in expected.calls.items():
            per_tier[tier] = per_tier.get(tier, 0.0) + calls
        if per_tier:
            console.print(
                _("A week's calls per tier: {tiers}.").format(
                    tiers=", ".join(
                        f"{tier_name(tier)} {calls_text(round(calls, 1))}"
                        for tier, calls in sorted(per_tier.items())
                    )
                )
            )
        console.print(forecast_note(expected))

    @service.command("compliance", help=_("SLA compliance per agent or team over a period."))
    def show_compliance(
        ctx: typer.Context,
        first: str = typer.Option(None, "--from", help=_("first day, YYYY-MM-DD")),
        last: str = typer.Option(None, "--to", help=_("last day, YYYY-MM-DD")),
        by: str = typer.Option("agent", "--by", help=_("agent or team")),
        to_csv: Path = typer.Option(None, "--csv", help=_("also write the figures to this file")),
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow(reads=True) as uow:
            try:
                found = compliance(
                    uow.connection,
                    tierwise.operator,
                    tierwise.settings.timezone,
                    period_of(first, last, tierwise.settings.today()),
                    check_by(by),
                    dt.datetime.now(dt.UTC),
                )
            except FAILURES as exc:
                raise _fail(exc) from exc
        table = Table(
            *(Column(header, overflow="fold") for header in headers(found.by)),
            title=_("SLA compliance, {first} to {last}").format(first=found.first, last=found.last),
        )
        for row in cells(found):
            table.add_row(*row)
        print_table(table)
        if to_csv is not None:
            try:
                to_csv.write_text(as_csv(found), encoding="utf-8-sig")
            except OSError as exc:
                raise _fail(
                    ValueError(
                        _("--csv: cannot write {path} ({reason})").format(
                            path=to_csv, reason=exc.strerror
                        )
                    )
                ) from exc
            console.print(_("Written to {path}.").format(path=to_csv))
