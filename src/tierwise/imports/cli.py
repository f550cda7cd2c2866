"""`tierwise import KIND FILE`: thin wrapper over the import pipeline."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from tierwise.customers.choices import CustomerKind
from tierwise.exit_codes import ExitCode
from tierwise.i18n import _
from tierwise.imports import uploads
from tierwise.imports.entities import ImportKind
from tierwise.ingest.columns import read_mapping
from tierwise.ingest.errors import ImportFileError, ImportRejected
from tierwise.ingest.pipeline import ImportOptions, ImportResult
from tierwise.runtime import App
from tierwise.terminal import console, errors, print_error, progress_bar

SHOWN_ERRORS = 50


def register(app: typer.Typer) -> None:
    """Add the import command to the root application."""

    @app.command("import", help=_("Import a CSV or XLSX file (headers in English or Chinese)."))
    def import_file(
        ctx: typer.Context,
        kind: ImportKind = typer.Argument(..., help=_("what the file holds")),
        file: Path = typer.Argument(
            ..., exists=True, dir_okay=False, help=_("CSV (UTF-8, UTF-8 BOM, GB18030) or XLSX")
        ),
        skip_invalid: bool = typer.Option(
            False, "--skip-invalid", help=_("write good rows; bad ones go to FILE.rejects.csv")
        ),
        create_customers: bool = typer.Option(
            False, "--create-customers", help=_("orders: create customers the file names")
        ),
        customer_kind: CustomerKind = typer.Option(
            CustomerKind.ENTERPRISE, help=_("kind of customers --create-customers makes")
        ),
        column_map: list[str] = typer.Option(
            [], "--map", help=_("'File header=column', repeatable; see docs/import.md")
        ),
        mapping: Path | None = typer.Option(None, help=_("TOML file of header = column")),
        encoding: str | None = typer.Option(None, help=_("force an encoding (default: detect)")),
    ) -> None:
        tierwise: App = ctx.obj
        try:
            options = ImportOptions.from_settings(
                tierwise.settings,
                skip_invalid=skip_invalid,
                mapping=read_mapping(column_map, mapping),
                encoding=encoding,
                create_customers=create_customers,
            )
            with (
                tierwise.uow() as uow,
                progress_bar(_("Importing {file}").format(file=file.name)) as progress,
            ):
                result = uploads.import_file(
                    uow, tierwise.operator, kind, customer_kind, file, options, progress
                )
                uow.commit()
        except ImportFileError as exc:
            print_error(f"{_('Cannot import')} {exc}")
            raise typer.Exit(ExitCode.BAD_INPUT) from exc
        except ImportRejected as exc:
            _print_rejection(exc)
            raise typer.Exit(ExitCode.BAD_INPUT) from exc
        _print_result(result)


def _print_rejection(exc: ImportRejected) -> None:
    for error in exc.log.errors[:SHOWN_ERRORS]:
        errors.print(str(error), markup=False, highlight=False, soft_wrap=True)
    if exc.log.count > SHOWN_ERRORS:
        errors.print(_("… and {n} more").format(n=exc.log.count - SHOWN_ERRORS))
    errors.print(
        "[red]"
        + _("{count} bad values in {rows} rows; nothing was written.").format(
            count=exc.log.count, rows=len(exc.log.bad_rows)
        )
        + "[/red] "
        + _("Fix the file, or rerun with --skip-invalid to write the good rows.")
    )


def _print_result(result: ImportResult) -> None:
    table = Table(title=_("Imported {file}").format(file=result.file), show_header=False)
    table.add_row(_("rows read"), str(result.rows))
    table.add_row(_("inserted"), str(result.counts.inserted))
    table.add_row(_("updated"), str(result.counts.updated))
    table.add_row(_("unchanged"), str(result.counts.unchanged))
    if result.counts.created_customers:
        table.add_row(_("customers created"), str(result.counts.created_customers))
    if result.rejected:
        table.add_row(_("rejected"), f"{result.rejected} → {result.rejects_file}")
    console.print(table)
    if result.ignored_columns:
        console.print(
            _("Ignored columns: {columns}").format(columns=", ".join(result.ignored_columns))
        )
