"""`tierwise notices list|make|approve|send|export`: the outbox of notices to customers."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from tierwise.exit_codes import ExitCode
from tierwise.i18n import _, current_language
from tierwise.notices.channels import Channel, FileChannel, smtp_from
from tierwise.notices.export import export_notices
from tierwise.notices.models import NoticeStatus
from tierwise.notices.service import approve, list_notices, make_notices, no_server, send
from tierwise.runtime import App
from tierwise.terminal import console, print_error


def register(app: typer.Typer) -> None:
    """Add the notices group."""
    group = typer.Typer(help=_("Notices to customers: draft, approve, send."), no_args_is_help=True)
    app.add_typer(group, name="notices")

    @group.command("list", help=_("Show the notices, newest first."))
    def list_(
        ctx: typer.Context,
        status: NoticeStatus | None = typer.Option(None, "--status", help=_("only of this status")),
    ) -> None:
        tierwise: App = ctx.obj
        lang = current_language()
        with tierwise.uow(reads=True) as uow:
            rows = list_notices(uow.session, tierwise.operator, status)
        table = Table(_("Number"), _("Customer"), _("About"), _("Subject"), _("Status"))
        for notice, customer in rows:
            state = notice.status.label(lang)
            if notice.error:
                state += f": {notice.error}"
            table.add_row(
                str(notice.id),
                f"{customer.code} {customer.name}",
                notice.event.label(lang),
                notice.subject,
                state,
            )
        console.print(table if rows else _("No notice."))

    @group.command("make", help=_("Draft notices for tier changes and rewards since the last run."))
    def make(ctx: typer.Context) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            made = make_notices(uow, tierwise.settings.today())
            uow.commit()
        lang = current_language()
        detail = ", ".join(f"{event.label(lang)} {n}" for event, n in sorted(made.items()))
        console.print(
            _("{count} notices drafted.").format(count=sum(made.values()))
            + (f" ({detail})" if detail else "")
        )

    @group.command("approve", help=_("Approve drafts for sending."))
    def approve_(
        ctx: typer.Context,
        ids: list[int] = typer.Argument(None, help=_("the notices' numbers")),
        every: bool = typer.Option(False, "--all", help=_("every draft")),
    ) -> None:
        tierwise: App = ctx.obj
        if not ids and not every:
            print_error(_("Name the notices to approve, or use --all."))
            raise typer.Exit(ExitCode.USAGE)
        with tierwise.uow() as uow:
            result = approve(uow, tierwise.operator, None if every else ids)
            uow.commit()
        console.print(_("{count} notices approved.").format(count=len(result.approved)))
        if result.refused:
            print_error(
                _("Not approved (no such draft): {ids}").format(
                    ids=", ".join(map(str, result.refused))
                )
            )
            raise typer.Exit(ExitCode.BAD_INPUT)

    @group.command("send", help=_("Send the approved notices, each with the customer's statement."))
    def send_(
        ctx: typer.Context,
        to_folder: Path | None = typer.Option(
            None, "--to-folder", help=_("write .eml files there instead of mailing")
        ),
    ) -> None:
        tierwise: App = ctx.obj
        channel: Channel | None = (
            FileChannel(to_folder) if to_folder else smtp_from(tierwise.settings)
        )
        if channel is None:
            print_error(
                no_server() + " " + _("Or write the messages to a folder with --to-folder.")
            )
            raise typer.Exit(ExitCode.USAGE)
        with tierwise.uow() as uow:
            result = send(uow, tierwise.operator, channel, tierwise.settings.today())
            uow.commit()
        console.print(
            _("{sent} notices sent, {failed} not sent.").format(
                sent=len(result.sent), failed=len(result.failed)
            )
        )
        for notice_id, error in result.failed.items():
            print_error(f"{notice_id}: {error}")
        if result.failed:
            raise typer.Exit(ExitCode.BAD_INPUT)

    @group.command("export", help=_("Write the notices as a mailing list (CSV)."))
    def export(
        ctx: typer.Context,
        output: Path = typer.Option(..., "--output", "-o", help=_("the CSV file to write")),
        status: NoticeStatus = typer.Option(
            NoticeStatus.APPROVED, "--status", help=_("which notices")
        ),
        chinese_headers: bool = typer.Option(
            False, "--chinese-headers", help=_("column headers in Chinese")
        ),
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            count = export_notices(uow, tierwise.operator, output, status, chinese_headers)
            uow.commit()
        console.print(_("Wrote {count} notices to {path}").format(count=count, path=output))
