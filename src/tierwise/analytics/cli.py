"""`tierwise recompute` and `tierwise analytics show|model|report|export`."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from tierwise.analytics import reports, service
from tierwise.analytics.composition import composition
from tierwise.analytics.export import export_indicators, export_reports
from tierwise.analytics.labels import indicator_names, value_label
from tierwise.analytics.profiling import PROFILING, not_profiled_text, reason
from tierwise.analytics.purchase import bic
from tierwise.analytics.verdict import Verdict
from tierwise.customers.service import CustomerNotFound
from tierwise.i18n import _
from tierwise.runtime import App
from tierwise.terminal import console, errors, write_document

SHARES = frozenset({"share_of_wallet"})  # indicators `analytics show` prints as percentages


class Engine(StrEnum):
    """Where the indicator expressions run."""

    duckdb = "duckdb"
    spark = "spark"


class ReportName(StrEnum):
    """The analytics reports."""

    pareto = "pareto"
    abc = "abc"
    rfm = "rfm"
    lifecycle = "lifecycle"
    development = "development"
    loyalty = "loyalty"
    relationship = "relationship"
    profitability = "profitability"
    satisfaction = "satisfaction"
    pnl = "pnl"
    composition = "composition"


class SnapshotFormat(StrEnum):
    """File formats of a snapshot export."""

    csv = "csv"
    parquet = "parquet"
    xlsx = "xlsx"


INTERVAL_ENDS = ("_low", "_high")


def fmt(value: Any) -> str:
    """A cell for the terminal: rounded numbers, labelled codes, dashes for nothing."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.0f}"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return value_label(value)


def with_interval(value: Any, low: Any, high: Any) -> str:
    """A figure and its 90% interval, "12,300.00 (90%: 9,800.00–14,900.00)", or the figure alone."""
    if value is None or low is None or high is None:
        return fmt(value)
    return _("{value} (90%: {low}–{high})").format(value=fmt(value), low=fmt(low), high=fmt(high))


def share(value: Any) -> str:
    """A share as a percentage, past 100% and below 0 too (a whale curve peaks above 100%)."""
    return "—" if value is None else f"{float(value):.1%}"


def print_report(result: reports.Report, as_of: dt.date) -> None:
    """One report as a table with its notes under it."""
    table = Table(*(value_label(c) for c in result.columns), title=f"{result.title} — {as_of}")
    for row in result.rows:
        table.add_row(*(share(v) if i in result.percent else fmt(v) for i, v in enumerate(row)))
    console.print(table)
    for note in result.notes:
        console.print(f"• {note}")


def print_headline(headline: dict[str, Any], verdict: Verdict | None = None) -> None:
    """The few numbers a manager asks first, and whether tiering pays."""
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
    low, high = headline.get("customer_equity_low"), headline.get("customer_equity_high")
    equity = f"{headline['customer_equity']:,.0f}"
    if low is not None and high is not None:
        equity = _("{value} (90%: {low}–{high})").format(
            value=equity, low=f"{low:,.0f}", high=f"{high:,.0f}"
        )
    table.add_row(_("customer equity (sum of CLV)"), equity)
    if "cost_to_serve" in headline:  # runs before cost-to-serve lack it
        table.add_row(
            _("net profit after the cost to serve"),
            _(
                "{net:,.0f} (cost to serve {cost:,.0f}; {n} customers cost more than they earn)"
            ).format(
                net=headline["total_net_profit"],
                cost=headline["cost_to_serve"],
                n=headline["net_loss_makers"],
            ),
        )
    if headline.get("profiling_withheld"):  # runs before consent was applied lack it
        table.add_row(
            _("profiling withheld"),
            _("for {n} customers (analytics consent withdrawn); counted in every total").format(
                n=headline["profiling_withheld"]
            ),
        )
    console.print(table)
    if verdict is not None:
        console.print(f"[bold]{verdict.summary}[/bold]")
        for condition in verdict.conditions:
            colour = {True: "green", False: "yellow", None: "dim"}[condition.holds]
            console.print(f"  [{colour}]{condition.mark}[/{colour}] {condition}")


def register(app: typer.Typer) -> None:
    """Add the analytics group to the root application."""
    analytics = typer.Typer(help=_("Customer value analytics."), no_args_is_help=True)
    app.add_typer(analytics, name="analytics")

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
                title=_("{code} as of {as_of}").format(code=code, as_of=run.as_of),
            )
            stored = row.__table__.columns.keys()
            for name, meaning in indicator_names().items():
                if name.endswith(INTERVAL_ENDS):
                    continue  # shown beside the figure they bound
                if name in stored:  # the labels also name prospect factors kept on the customer
                    value = getattr(row, name)
                    if name in PROFILING and reason(row):
                        shown = not_profiled_text()
                    elif f"{name}_low" in stored:
                        shown = with_interval(
                            value, getattr(row, f"{name}_low"), getattr(row, f"{name}_high")
                        )
                    elif name in SHARES:
                        shown = share(value)
                    else:
                        shown = fmt(value)
                    table.add_row(meaning, shown)
            console.print(table)

    @analytics.command(help=_("The fitted models of the latest run, compared by BIC."))
    def model(
        ctx: typer.Context,
        as_json: bool = typer.Option(False, "--json", help=_("print the fits as JSON")),
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                run, fits = service.fitted_models(uow.session)
            except service.NoSnapshot as exc:
                errors.print(f"[red]{exc}[/red]")
                raise typer.Exit(1) from exc
            chosen = run.parameters.get("purchase_model", "bg_nbd")
            described: list[dict[str, Any]] = [
                {
                    "model": f.model,
                    "params": f.params,
                    "standard_errors": f.standard_errors,
                    "log_likelihood": f.log_likelihood,
                    "customers": f.n,
                    "time_unit": run.time_unit,
                    "as_of": run.as_of.isoformat(),
                    "converged": f.converged,
                    "iterations": f.iterations,
                    "message": f.message,
                    "parameters": len(f.params),
                    "bic": bic(len(f.params), f.n, f.log_likelihood),
                    "in_use": f.model in (chosen, "gamma_gamma"),
                }
                for f in fits
            ]
        if as_json:
            write_document(json.dumps(described, indent=2, ensure_ascii=False) + "\n")
            return
        symbols = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "v": "γ"}
        table = Table(
            _("model"),
            _("in use"),
            _("parameter values (± standard error)"),
            _("parameters"),
            _("customers"),
            _("log-likelihood"),
            _("BIC"),
            _("converged"),
            title=_("Fitted models as of {as_of} (time unit: {unit})").format(
                as_of=run.as_of, unit=_("week") if run.time_unit == "week" else _("day")
            ),
        )
        for fit in described:
            spreads = fit["standard_errors"] or {}
            values = ", ".join(
                f"{symbols.get(k, k)} {v:.4g}" + (f" ± {spreads[k]:.2g}" if k in spreads else "")
                for k, v in fit["params"].items()
            )
            table.add_row(
                value_label(fit["model"]),
                _("yes") if fit["in_use"] else "",
                values,
                str(fit["parameters"]),
                str(fit["customers"]),
                f"{fit['log_likelihood']:,.2f}",
                f"{fit['bic']:,.2f}",
                _("yes") if fit["converged"] else _("no"),
            )
        console.print(table)
        console.print(
            _("BIC = k ln n − 2 LL: among the purchase models, the lowest fits best for its size.")
        )
        for fit in described:
            if not fit["converged"]:
                console.print(f"• {value_label(fit['model'])}: {fit['message']}")

    @analytics.command(help=_("A report of the latest snapshot."))
    def report(
        ctx: typer.Context,
        name: ReportName,
        year: int = typer.Option(
            None, help=_("composition: the year reported (default: the last whole year)")
        ),
        top: int = typer.Option(10, help=_("composition: how many of the biggest customers")),
        xlsx: Path = typer.Option(None, "--xlsx", help=_("also write the report to this XLSX")),
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                run = service.latest_run(uow.session)
                if name is ReportName.composition:
                    sections = composition(uow, tierwise.operator, run, year, top).sections
                else:
                    sections = [reports.build(uow.session, run, name.value)]
                if xlsx is not None:
                    export_reports(uow, tierwise.operator, name.value, sections, xlsx)
                    uow.commit()
            except (service.NoSnapshot, ValueError) as exc:
                errors.print(f"[red]{exc}[/red]")
                raise typer.Exit(1) from exc
        for result in sections:
            print_report(result, run.as_of)
        if xlsx is not None:
            console.print(_("Wrote {path}").format(path=xlsx))

    @analytics.command("export", help=_("Write the latest snapshot to a file."))
    def export(
        ctx: typer.Context,
        format: SnapshotFormat = typer.Option(
            SnapshotFormat.csv, "--format", help=_("file format")
        ),
        output: Path = typer.Option(None, "--output", "-o", help=_("the file to write")),
    ) -> None:
        tierwise: App = ctx.obj
        path = output or Path(f"indicators.{format.value}")
        with tierwise.uow() as uow:
            try:
                count = export_indicators(uow, tierwise.operator, path, format.value)
                uow.commit()
            except service.NoSnapshot as exc:
                errors.print(f"[red]{exc}[/red]")
                raise typer.Exit(1) from exc
        console.print(_("Wrote {count} rows to {path}").format(count=count, path=path))
