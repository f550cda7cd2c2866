"""`tierwise tiers terms show`, `tiers statement`, `tiers statements` and `tiers programme`:
what each tier gives, told to users and to customers."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.table import Table
from sqlalchemy import select

from tierwise.customers.models import Customer
from tierwise.customers.service import CustomerNotFound
from tierwise.i18n import LANGUAGES, _, current_language, request_language
from tierwise.runtime import App
from tierwise.terminal import console, errors, print_error, progress_bar
from tierwise.tiering import service
from tierwise.tiering.benefits import terms_table
from tierwise.tiering.models import CustomerTier
from tierwise.tiering.service import NoPolicy
from tierwise.tiering.statement import NoStatement, statement_for
from tierwise.tiering.statement_render import PdfUnavailable, pdf_of, programme_html, statement_html

FAILURES = (
    NoPolicy,
    CustomerNotFound,
    LookupError,
    ValueError,
    OSError,
    PdfUnavailable,
    NoStatement,
)


class Format(StrEnum):
    """How a statement is written."""

    html = "html"
    pdf = "pdf"


def _language(lang: str | None) -> None:
    if lang is not None and lang not in LANGUAGES:
        errors.print(_("--lang: choose one of {choices}").format(choices=", ".join(LANGUAGES)))
        raise typer.Exit(2)
    if lang is not None:
        request_language.set(lang)


def _written(html: str, fmt: Format) -> bytes:
    return pdf_of(html) if fmt is Format.pdf else html.encode("utf-8")


def _write(path: Path, html: str, fmt: Format) -> None:
    """The page to `path` as HTML or PDF; a file that cannot be written ends the command."""
    try:
        path.write_bytes(_written(html, fmt))
    except FAILURES as exc:
        raise _fail(exc) from exc


def register(tiers: typer.Typer) -> None:
    """Add terms, statement, statements and programme to the tiers group."""
    terms = typer.Typer(help=_("What each tier gives: prices, payment, credit, benefits."))
    tiers.add_typer(terms, name="terms", no_args_is_help=True)

    @terms.command("show", help=_("Every tier's terms side by side (or one tier's)."))
    def show(
        ctx: typer.Context,
        tier: str = typer.Option(None, help=_("only this tier")),
        version: int = typer.Option(None, help=_("policy version; default: the active one")),
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow(reads=True) as uow:
            try:
                row, policy = service.policy_version(uow.session, version)
            except FAILURES as exc:
                raise _fail(exc) from exc
        header, rows = terms_table(policy, current_language())
        keep = [0] + [
            i for i, h in enumerate(header) if i and (tier is None or h.split()[0] == tier)
        ]
        if tier is not None and len(keep) == 1:
            print_error(
                _("policy version {version} has no terms for tier {tier}").format(
                    version=row.version, tier=tier
                )
            )
            raise typer.Exit(1)
        title = _("Tier terms, policy version {version}").format(version=row.version)
        table = Table(*(header[i] for i in keep), title=title)
        for cells in rows:
            table.add_row(*(cells[i] for i in keep))
        console.print(table)

    @tiers.command("statement", help=_("A customer's own tier statement, as HTML or PDF."))
    def statement(
        ctx: typer.Context,
        code: str,
        lang: str = typer.Option(
            None, "--lang", help=_("the language: zh_CN (Chinese) or en (English)")
        ),
        fmt: Format = typer.Option(Format.html, "--format", help=_("file format")),
        output: Path = typer.Option(None, "--output", "-o", help=_("default: CODE.FORMAT")),
    ) -> None:
        tierwise: App = ctx.obj
        _language(lang)
        path = output or Path(f"{code}.{fmt.value}")
        with tierwise.uow(reads=True) as uow:
            try:
                found = statement_for(
                    uow.session, tierwise.operator, code, tierwise.settings.today()
                )
            except FAILURES as exc:
                raise _fail(exc) from exc
        _write(path, statement_html(found), fmt)
        console.print(_("Statement of {code} written to {path}").format(code=code, path=path))

    @tiers.command("statements", help=_("Statements of every customer of a tier, for a mailing."))
    def statements(
        ctx: typer.Context,
        tier: str = typer.Option(..., help=_("the tier whose customers get one")),
        out: Path = typer.Option(..., "--out", help=_("folder to write them to")),
        lang: str = typer.Option(
            None, "--lang", help=_("the language: zh_CN (Chinese) or en (English)")
        ),
        fmt: Format = typer.Option(Format.html, "--format", help=_("file format")),
    ) -> None:
        tierwise: App = ctx.obj
        _language(lang)
        out.mkdir(parents=True, exist_ok=True)
        today = tierwise.settings.today()
        with tierwise.uow(reads=True) as uow:
            codes = list(
                uow.session.scalars(
                    select(Customer.code)
                    .join(CustomerTier, CustomerTier.customer_id == Customer.id)
                    .where(CustomerTier.tier == tier)
                    .order_by(Customer.code)
                )
            )
            if not codes:
                print_error(_("no customer is in tier {tier}").format(tier=tier))
                raise typer.Exit(1)
            with progress_bar(_("Writing statements")) as progress:
                for done, code in enumerate(codes, 1):
                    try:
                        found = statement_for(uow.session, tierwise.operator, code, today)
                        (out / f"{code}.{fmt.value}").write_bytes(
                            _written(statement_html(found), fmt)
                        )
                    except FAILURES as exc:
                        raise _fail(exc) from exc
                    progress(done, len(codes))
        console.print(_("{n} statements written to {folder}").format(n=len(codes), folder=out))

    @tiers.command("programme", help=_("Every tier's conditions and benefits, for customers."))
    def programme(
        ctx: typer.Context,
        lang: str = typer.Option(
            None, "--lang", help=_("the language: zh_CN (Chinese) or en (English)")
        ),
        fmt: Format = typer.Option(Format.html, "--format", help=_("file format")),
        output: Path = typer.Option(None, "--output", "-o", help=_("default: programme.FORMAT")),
    ) -> None:
        tierwise: App = ctx.obj
        _language(lang)
        path = output or Path(f"programme.{fmt.value}")
        with tierwise.uow(reads=True) as uow:
            try:
                _row, policy = service.policy_version(uow.session)
            except FAILURES as exc:
                raise _fail(exc) from exc
        _write(path, programme_html(policy), fmt)
        console.print(_("The tier programme written to {path}").format(path=path))


def _fail(exc: Exception) -> typer.Exit:
    print_error(exc)
    return typer.Exit(1)
