"""`tierwise analytics validate`: how far to trust CLV, shown as tables, charts and a workbook."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from tierwise.analytics.params import AnalyticsParams
from tierwise.analytics.validation import (
    TOP_BUCKET,
    Validation,
    ValidationRefused,
    error_percent,
    validate,
)
from tierwise.exit_codes import ExitCode
from tierwise.i18n import _
from tierwise.runtime import App
from tierwise.sheets import write_workbook
from tierwise.terminal import console, errors, print_error, staged_progress

CHART_WIDTH = 76  # within the 80 columns Rich keeps to when stdout is not a terminal
CHART_HEIGHT = 18
# Actual, then predicted: told apart by the character where colours are not shown.
MARKERS = ("*", "+")
COLOURS = ("blue", "red")


class TimeUnit(StrEnum):
    """The time unit the model is fitted in; the predictions do not depend on it."""

    day = "day"
    week = "week"


def stage_names() -> dict[str, str]:
    """The holdout check's stages as its progress bars name them."""
    return {
        "reading": _("reading orders"),
        "summarising": _("summarising purchases"),
        "fitting": _("fitting the purchase model"),
        "predicting": _("predicting the holdout"),
    }


def unit_names() -> dict[str, str]:
    """The time units as a sentence names them."""
    return {"day": _("day"), "week": _("week")}


def stages(progress: Callable[[str, int, int], None]) -> Callable[[str], None]:
    """A stage callback that completes the previous stage's bar as the next one starts."""
    names = stage_names()
    current: list[str] = []

    def start(stage: str) -> None:
        if current:
            progress(current.pop(), 1, 1)
        current.append(names[stage])
        progress(names[stage], 0, 1)

    return start


def parse_day(option: str, value: str) -> dt.date:
    """A YYYY-MM-DD option, or a one-line refusal naming it."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        print_error(
            _("{option}: {value} is not a date; expected YYYY-MM-DD, e.g. 1997-09-30").format(
                option=option, value=value
            )
        )
        raise typer.Exit(ExitCode.USAGE) from None


def percent(value: float | None) -> str:
    """An error in percent with its sign, or a dash where nothing was bought."""
    return "—" if value is None else f"{value:+.1f}%"


def bucket_label(frequency: int) -> str:
    """0, 1, …, and 7+ for the last bucket."""
    return f"{frequency}+" if frequency == TOP_BUCKET else str(frequency)


def totals_rows(result: Validation) -> list[list[object]]:
    """Headers, then the calibration and holdout periods: actual, predicted, error."""
    rows: list[list[object]] = [
        [_("period"), _("customers"), _("actual repeat purchases"), _("predicted"), _("error %")]
    ]
    for name, actual, predicted in (
        (
            _("calibration, up to {day}").format(day=result.calibration_end),
            result.calibration_actual,
            result.calibration_predicted,
        ),
        (
            _("holdout, {start} to {end}").format(
                start=result.calibration_end + dt.timedelta(days=1), end=result.holdout_end
            ),
            result.holdout_actual,
            result.holdout_predicted,
        ),
    ):
        rows.append([name, result.customers, actual, predicted, error_percent(predicted, actual)])
    return rows


def tracking_rows(result: Validation) -> Iterator[list[object]]:
    """Headers, then one row per week: in it and cumulative, actual and predicted."""
    yield [
        _("week"),
        _("week ending"),
        _("period"),
        _("actual"),
        _("predicted"),
        _("cumulative actual"),
        _("cumulative predicted"),
        _("cumulative error %"),
    ]
    for week in result.weeks:
        yield [
            week.number,
            week.ends,
            _("holdout") if week.in_holdout else _("calibration"),
            week.actual,
            week.predicted,
            week.cumulative_actual,
            week.cumulative_predicted,
            error_percent(week.cumulative_predicted, week.cumulative_actual),
        ]


def bucket_rows(result: Validation) -> list[list[object]]:
    """Headers, then one row per calibration frequency: customers, mean holdout purchases."""
    rows: list[list[object]] = [
        [
            _("repeat purchases in calibration"),
            _("customers"),
            _("actual mean in holdout"),
            _("predicted mean"),
            _("error %"),
        ]
    ]
    for bucket in result.buckets:
        rows.append(
            [
                bucket_label(bucket.frequency),
                bucket.customers,
                bucket.actual_mean,
                bucket.predicted_mean,
                error_percent(bucket.predicted_mean, bucket.actual_mean),
            ]
        )
    return rows


def cell(value: object) -> str:
    """A cell for the terminal: thousands separated, errors signed, dashes for nothing."""
    if value is None:
        return "—"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"
    return str(value)


def print_table(title: str, rows: Sequence[Sequence[object]], errors_at: int | None) -> None:
    """Rows (headers first) as a Rich table; the column `errors_at` printed as signed percents."""
    headers, *body = rows
    table = Table(*(str(h) for h in headers), title=title)
    for row in body:
        table.add_row(
            *(
                percent(v) if i == errors_at else cell(v)  # type: ignore[arg-type]
                for i, v in enumerate(row)
            )
        )
    console.print(table)


def print_tracking(result: Validation) -> None:
    """The weekly tracking table, a rule where the holdout begins; headers wrap, numbers never."""
    rows = [
        (
            str(week.number),
            week.ends.isoformat(),
            cell(week.actual),
            cell(week.predicted),
            cell(week.cumulative_actual),
            cell(week.cumulative_predicted),
            percent(error_percent(week.cumulative_predicted, week.cumulative_actual)),
        )
        for week in result.weeks
    ]
    headers = [_("week"), _("week ending"), _("actual"), _("predicted")]
    headers += [_("cumulative actual"), _("cumulative predicted"), _("error %")]
    table = Table(title=_("Weekly tracking"))
    for i, header in enumerate(headers):
        table.add_column(header, min_width=max((len(row[i]) for row in rows), default=1))
    for week, row in zip(result.weeks, rows, strict=True):
        if week.in_holdout and week.number > 1 and not result.weeks[week.number - 2].in_holdout:
            table.add_section()
        table.add_row(*row)
    console.print(table)


def print_chart(title: str, chart: str) -> None:
    """A plotext chart under a title and legend Rich lays out, so Chinese keeps the frame true."""
    # plotext counts every character as one column; a Chinese one takes two.
    console.print(Text(title, style="bold"), justify="center")
    legend = Text()
    for marker, colour, name in zip(MARKERS, COLOURS, (_("actual"), _("predicted")), strict=True):
        legend.append(f"{marker * 2} ", style=colour).append(f"{name}   ")
    console.print(legend, justify="center")
    console.print(Text.from_ansi(chart))


def print_charts(result: Validation) -> None:
    """The tracking plot and the conditional-expectation plot, drawn in the terminal."""
    import plotext as plt

    weeks = [w.number for w in result.weeks]
    plt.clear_figure()
    plt.plotsize(CHART_WIDTH, CHART_HEIGHT)
    plt.theme("clear")
    for values, marker, colour in zip(
        (
            [w.cumulative_actual for w in result.weeks],
            [w.cumulative_predicted for w in result.weeks],
        ),
        MARKERS,
        COLOURS,
        strict=True,
    ):
        plt.plot(weeks, values, marker=marker, color=colour)
    holdout = next((w.number for w in result.weeks if w.in_holdout), None)
    if holdout is not None:
        plt.vline(holdout - 0.5)
    print_chart(_("Cumulative repeat purchases by week (holdout right of the line)"), plt.build())
    plt.clear_figure()
    plt.plotsize(CHART_WIDTH, CHART_HEIGHT)
    plt.theme("clear")
    plt.multiple_bar(
        [bucket_label(b.frequency) for b in result.buckets],
        [[b.actual_mean for b in result.buckets], [b.predicted_mean for b in result.buckets]],
        marker=list(MARKERS),
        color=list(COLOURS),
    )
    print_chart(_("Mean holdout purchases by repeat purchases in calibration"), plt.build())


def register(app: typer.Typer) -> None:
    """Add `validate` to the analytics group the analytics commands created."""
    group = next(g.typer_instance for g in app.registered_groups if g.name == "analytics")
    assert group is not None  # the analytics commands register before this module

    @group.command(
        "validate",
        help=_(
            "Fit the purchase model on a calibration period and compare its predictions with "
            "what customers bought in the holdout period after it."
        ),
    )
    def validate_(
        ctx: typer.Context,
        calibration_end: str = typer.Option(
            ..., "--calibration-end", help=_("YYYY-MM-DD: the last day the model learns from")
        ),
        holdout_end: str = typer.Option(
            ..., "--holdout-end", help=_("YYYY-MM-DD: the last day of the holdout period")
        ),
        time_unit: TimeUnit = typer.Option(
            TimeUnit.week, help=_("the time unit of the fitted parameters")
        ),
        output: Path = typer.Option(
            None, "--output", "-o", help=_("also write the three tables to this XLSX file")
        ),
        charts: bool = typer.Option(True, help=_("draw the two charts in the terminal")),
    ) -> None:
        tierwise: App = ctx.obj
        start = parse_day("--calibration-end", calibration_end)
        end = parse_day("--holdout-end", holdout_end)
        if output is not None and output.suffix.lower() != ".xlsx":
            print_error(_("--output: {path} must be an .xlsx file").format(path=output))
            raise typer.Exit(ExitCode.USAGE)
        params = AnalyticsParams(time_unit=time_unit.value)
        try:
            with staged_progress(_("Holdout check")) as progress:
                result = validate(tierwise.engine, start, end, params, stages(progress))
        except ValidationRefused as exc:
            print_error(exc)
            raise typer.Exit(ExitCode.BAD_INPUT) from exc
        fit = result.fit.params
        console.print(
            _(
                "Purchase model (BG/NBD, per {unit}) fitted on {n} customers: r {r:.4f}, "
                "alpha {alpha:.4f}, a {a:.4f}, b {b:.4f}."
            ).format(unit=unit_names()[time_unit.value], n=result.customers, **fit)
        )
        if not result.fit.converged:
            errors.print(_("The fit did not converge: treat the predictions with care."))
        print_table(_("Repeat purchases, actual and predicted"), totals_rows(result), 4)
        print_tracking(result)
        print_table(_("By repeat purchases in calibration"), bucket_rows(result), 4)
        if charts:
            print_charts(result)
        if output is not None:
            write_output(output, result)
            console.print(_("Wrote the holdout check to {path}").format(path=output))


def write_output(path: Path, result: Validation) -> None:
    """The three tables as sheets of one workbook; the file appears when complete."""
    tmp = path.with_name(path.name + ".part")
    write_workbook(
        tmp,
        {
            _("Totals"): totals_rows(result),
            _("Weekly tracking"): tracking_rows(result),
            _("By frequency"): bucket_rows(result),
        },
    )
    tmp.replace(path)
