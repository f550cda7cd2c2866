"""`tierwise recompute`: every indicator, then the tier step, as of a date, with its progress."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import typer

from tierwise.analytics.cli import print_headline
from tierwise.analytics.engines import EngineName
from tierwise.analytics.labels import stage_labels
from tierwise.analytics.params import AnalyticsParams, load_params
from tierwise.analytics.service import Recomputes
from tierwise.exit_codes import ExitCode
from tierwise.i18n import _, current_language
from tierwise.jobs.runner import JobRefused
from tierwise.runtime import App
from tierwise.terminal import console, errors, print_error, staged_progress
from tierwise.tiering.cli import shares_table
from tierwise.tiering.engine import EvaluatedLater
from tierwise.tiering.models import TierReason
from tierwise.tiering.simulate import distribution


class Engine(StrEnum):
    """Where the indicator expressions run."""

    duckdb = "duckdb"
    spark = "spark"


class TimeUnit(StrEnum):
    """The time unit of the buy-till-you-die summary."""

    day = "day"
    week = "week"


class Periods(StrEnum):
    """How purchase dates become the models' clock (docs/analytics.md)."""

    continuous = "continuous"
    calendar = "calendar"


def print_tier_summary(app: App, summary: dict[str, Any] | None) -> None:
    """Tiers with their value shares and what moved, or how to start grading."""
    if summary is None:
        console.print(_("No tier policy yet: tierwise tiers policy apply FILE"))
        return
    policy, shares, as_of = distribution(app)
    console.print(shares_table(policy, shares, _("Tiers as of {d}").format(d=as_of)))
    changes = ", ".join(
        f"{TierReason(reason).label(current_language())} {n:,}"
        for reason, n in sorted(summary["changes"].items())
    )
    console.print(
        _(
            "Policy version {version}: tier changes: {changes}; downgrades at risk: {at_risk}."
        ).format(version=summary["version"], changes=changes or "0", at_risk=summary["at_risk"])
    )


def register(app: typer.Typer) -> None:
    """Add recompute to the root application."""

    @app.command(help=_("Compute every indicator as of a date and store the snapshot."))
    def recompute(
        ctx: typer.Context,
        as_of: str = typer.Option(None, help=_("YYYY-MM-DD; default: today")),
        engine: Engine = typer.Option(
            Engine.duckdb,
            help=_("the engine that computes: duckdb on this machine, spark for a cluster"),
        ),
        time_unit: TimeUnit = typer.Option(
            TimeUnit.day, help=_("the unit of time the value models count in")
        ),
        periods: Periods = typer.Option(
            Periods.continuous,
            help=_(
                "continuous: days expressed in the time unit, as the literature measures; "
                "calendar: whole Monday–Sunday weeks"
            ),
        ),
        params_file: Path = typer.Option(
            None, "--params", help=_("TOML file of analytics parameters (docs/analytics.md)")
        ),
    ) -> None:
        tierwise: App = ctx.obj
        zone = ZoneInfo(tierwise.settings.timezone)
        day = dt.date.fromisoformat(as_of) if as_of else dt.datetime.now(zone).date()
        try:
            params = (
                load_params(params_file, time_unit.value, periods.value)
                if params_file
                else AnalyticsParams(time_unit=time_unit.value, periods=periods.value)
            )
        except ValueError as exc:
            print_error(exc)
            raise typer.Exit(ExitCode.BAD_INPUT) from exc
        with staged_progress(_("Recompute")) as progress:
            started: list[str] = []

            def stage(name: str) -> None:
                if started:
                    progress(stage_labels().get(started[-1], started[-1]), 1, 1)
                started.append(name)
                if name != "done":
                    progress(stage_labels().get(name, name), 0, 1)

            try:
                result = Recomputes.of(tierwise).run(
                    day,
                    f"{tierwise.operator.username} (command line)",
                    params,
                    cast(EngineName, engine.value),
                    stage,
                )
            except JobRefused as exc:
                print_error(exc)
                raise typer.Exit(ExitCode.BUSY) from exc  # another recompute: try again later
            except EvaluatedLater as exc:
                errors.print(
                    _(
                        "[red]Tiers were evaluated as of {latest}; they only move forward in time. "
                        "Recompute as of {latest} or later.[/red]"
                    ).format(latest=exc.args[0])
                )
                raise typer.Exit(ExitCode.BAD_INPUT) from exc
        console.print(
            _("Snapshot as of {as_of}: {n} customers, in {seconds:.1f} s ({stages}).").format(
                as_of=result.as_of,
                n=result.customers,
                seconds=sum(result.seconds.values()),
                stages=", ".join(f"{k} {v:.1f}s" for k, v in result.seconds.items()),
            )
        )
        print_headline(result.headline, result.verdict)
        print_tier_summary(tierwise, result.steps.get("tiers"))
        console.print(
            _("Look closer: tierwise analytics report pareto|pnl|abc|rfm|lifecycle|loyalty")
        )
