"""`tierwise recompute` and `tierwise analytics show|model|report|export`."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from tierwise.analytics import reports, service
from tierwise.analytics.engines import EngineName
from tierwise.analytics.export import export_snapshot
from tierwise.analytics.labels import indicator_names, stage_labels, value_label
from tierwise.analytics.params import AnalyticsParams, load_params
from tierwise.analytics.service import Recomputes
from tierwise.customers.service import CustomerNotFound
from tierwise.exit_codes import ExitCode
from tierwise.i18n import _, current_language
from tierwise.identity.audit import record
from tierwise.identity.operator import UNMASKED
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
    """The period of the buy-till-you-die summary."""

    day = "day"
    week = "week"


class ReportName(StrEnum):
    """The analytics reports."""

    pareto = "pareto"
    abc = "abc"
    rfm = "rfm"
    lifecycle = "lifecycle"
    loyalty = "loyalty"
    relationship = "relationship"
    profitability = "profitability"


class SnapshotFormat(StrEnum):
    """File formats of a snapshot export."""

    csv = "csv"
    parquet = "parquet"
    xlsx = "xlsx"


def fmt(value: Any) -> str:
    """A cell for the terminal: rounded numbers, labelled codes, dashes for nothing."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return value_label(value)


def print_headline(headline: dict[str, Any]) -> None:
    """The few numbers a manager asks first."""
    table = Table(title=_("Headline"), show_header=False)
    table.add_row(_("customers"), str(headline["customers"]))
    table.add_row(_("buying customers"), str(headline["buyers"]))
    table.add_row(
        _("profit carried by the top {top:.0%}").format(top=headline["top_share"]),
        f"{headline['top_profit_share'] or 0:.1%}",
    )
    for klass, share in headline["abc"].items():
        table.add_row(
            value_label(klass),
            _("{n} customers, {share:.1%} of profit").format(
                n=share["customers"], share=share["profit_share"] or 0
            ),
        )
    table.add_row(_("customer equity (sum of CLV)"), f"{headline['customer_equity']:,.0f}")
    console.print(table)


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
    """Add recompute and the analytics group to the root application."""
    analytics = typer.Typer(help=_("Customer value analytics."), no_args_is_help=True)
    app.add_typer(analytics, name="analytics")

    @app.command(help=_("Compute every indicator as of a date and store the snapshot."))
    def recompute(
        ctx: typer.Context,
        as_of: str = typer.Option(None, help=_("YYYY-MM-DD; default: today")),
        engine: Engine = typer.Option(Engine.duckdb),
        time_unit: TimeUnit = typer.Option(TimeUnit.day),
        params_file: Path = typer.Option(
            None, "--params", help=_("TOML file of analytics parameters (docs/analytics.md)")
        ),
    ) -> None:
        tierwise: App = ctx.obj
        zone = ZoneInfo(tierwise.settings.timezone)
        day = dt.date.fromisoformat(as_of) if as_of else dt.datetime.now(zone).date()
        try:
            params = (
                load_params(params_file, time_unit.value)
                if params_file
                else AnalyticsParams(time_unit=time_unit.value)
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
        print_headline(result.headline)
        print_tier_summary(tierwise, result.steps.get("tiers"))
        console.print(_("Look closer: tierwise analytics report pareto|abc|rfm|lifecycle|loyalty"))

    @analytics.command(help=_("One customer's indicators with their meaning."))
    def show(ctx: typer.Context, code: str) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                run, row = service.customer_indicators(uow.session, code)
            except (CustomerNotFound, LookupError) as exc:
                errors.print(f"[red]{exc}[/red]")
                raise typer.Exit(1) from exc
            table = Table(
                _("indicator"),
                _("value"),
                _("meaning"),
                title=_("{code} as of {as_of}").format(code=code, as_of=run.as_of),
            )
            stored = row.__table__.columns.keys()
            for name, meaning in indicator_names().items():
                if name in stored:  # the labels also name prospect factors kept on the customer
                    table.add_row(name, fmt(getattr(row, name)), meaning)
            console.print(table)

    @analytics.command(help=_("The fitted models of the latest run."))
    def model(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                run, fits = service.fitted_models(uow.session)
            except service.NoSnapshot as exc:
                errors.print(f"[red]{exc}[/red]")
                raise typer.Exit(1) from exc
            described = [
                {
                    "model": f.model,
                    "params": f.params,
                    "log_likelihood": f.log_likelihood,
                    "customers": f.n,
                    "time_unit": run.time_unit,
                    "as_of": run.as_of.isoformat(),
                    "converged": f.converged,
                    "iterations": f.iterations,
                    "message": f.message,
                }
                for f in fits
            ]
        if as_json:
            console.print_json(json.dumps(described))
            return
        for fit in described:
            table = Table(title=str(fit["model"]), show_header=False)
            for key, value in fit.items():
                table.add_row(key, json.dumps(value) if isinstance(value, dict) else str(value))
            console.print(table)

    @analytics.command(help=_("A report of the latest snapshot."))
    def report(ctx: typer.Context, name: ReportName) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                run = service.latest_run(uow.session)
            except service.NoSnapshot as exc:
                errors.print(f"[red]{exc}[/red]")
                raise typer.Exit(1) from exc
            result = reports.build(uow.session, run, name.value)
        table = Table(
            *(value_label(c) for c in result.columns), title=f"{result.title} — {run.as_of}"
        )
        for row in result.rows:
            table.add_row(
                *(fmt(v) if not isinstance(v, float) or v > 1 or v < 0 else f"{v:.1%}" for v in row)
            )
        console.print(table)
        for note in result.notes:
            console.print(f"• {note}")

    @analytics.command("export", help=_("Write the latest snapshot to a file."))
    def export(
        ctx: typer.Context,
        format: SnapshotFormat = typer.Option(SnapshotFormat.csv, "--format"),
        output: Path = typer.Option(None, "--output", "-o"),
    ) -> None:
        tierwise: App = ctx.obj
        path = output or Path(f"indicators.{format.value}")
        with tierwise.uow() as uow:
            note = f"{UNMASKED}, to {path.name}"
            record(
                uow.session, tierwise.operator, "export", "indicators", None, ["name"], note=note
            )
            try:
                count = export_snapshot(uow.session, path, format.value)
                uow.commit()
            except service.NoSnapshot as exc:
                errors.print(f"[red]{exc}[/red]")
                raise typer.Exit(1) from exc
        console.print(_("Wrote {count} rows to {path}").format(count=count, path=path))
