"""`tierwise tickets open|move|show|list|assign|comment`: requests and complaints with their SLA
clocks, who works them and what is said on them."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

import typer
from rich.table import Table

from tierwise.customers.choices import churn_type_of
from tierwise.customers.service import CustomerNotFound
from tierwise.db.base import as_utc
from tierwise.desk import usecases, work
from tierwise.desk.entitlements import EntitlementRefused
from tierwise.desk.views import View, ticket_view
from tierwise.desk.workflow import IllegalMove, TicketKind, TicketStatus
from tierwise.i18n import _, current_language
from tierwise.runtime import App
from tierwise.terminal import console, errors

FAILURES = (IllegalMove, EntitlementRefused, CustomerNotFound, LookupError, ValueError)
LISTED = 200


def _fail(exc: Exception) -> typer.Exit:
    errors.print(f"[red]{exc}[/red]", highlight=False)
    return typer.Exit(1)


def _due(
    moment: dt.datetime | None, met: dt.datetime | None, now: dt.datetime, zone: ZoneInfo
) -> str:
    """A due time in the company's zone, in red when it was (or is being) missed."""
    if moment is None:
        return "—"
    due = as_utc(moment)
    text = f"{due.astimezone(zone):%m-%d %H:%M}"
    return f"[red]{text}[/red]" if (as_utc(met) if met else now) > due else text


def register(app: typer.Typer) -> None:
    """Add the tickets group."""
    group = typer.Typer(help=_("Service requests and complaints."), no_args_is_help=True)
    app.add_typer(group, name="tickets")
    author = typer.Option(None, "--author", help=_("who acts (default: the operator)"))

    @group.command("open", help=_("Record a service request or a complaint."))
    def open_(
        ctx: typer.Context,
        code: str,
        subject: str = typer.Option(..., help=_("what it is about")),
        kind: TicketKind = typer.Option(TicketKind.REQUEST, help=_("what kind of ticket")),
        channel: str = typer.Option("phone", help=_("how the customer reached us")),
        override: str | None = typer.Option(
            None, "--override", help=_("why to open it by a channel the tier does not take")
        ),
        actor: str | None = author,
    ) -> None:
        tierwise: App = ctx.obj
        who = replace(tierwise.operator, username=actor) if actor else tierwise.operator
        with tierwise.uow() as uow:
            try:
                ticket_id = usecases.open_ticket(
                    uow,
                    who,
                    tierwise.settings.timezone,
                    code,
                    kind,
                    subject,
                    channel,
                    override,
                )
            except FAILURES as exc:
                raise _fail(exc) from exc
            uow.commit()
        console.print(_("Ticket {id} recorded.").format(id=ticket_id))

    @group.command("move", help=_("Move a ticket along its workflow."))
    def move(
        ctx: typer.Context,
        ticket_id: int,
        status: TicketStatus,
        note: str = typer.Option(None, help=_("why; required when judging a complaint")),
        department: str = typer.Option(None, help=_("the responsible department")),
        csat: int = typer.Option(None, help=_("on closing: the customer's CSAT, 1–5")),
        nps: int = typer.Option(None, help=_("on closing: the customer's NPS answer, 0–10")),
        churn_type: str = typer.Option(
            "", help=_("on closing: why the customer was lost, by key or label")
        ),
        actor: str | None = author,
    ) -> None:
        tierwise: App = ctx.obj
        who = replace(tierwise.operator, username=actor) if actor else tierwise.operator
        with tierwise.uow() as uow:
            try:
                usecases.move_ticket(
                    uow,
                    who,
                    tierwise.settings.timezone,
                    ticket_id,
                    status,
                    note,
                    department,
                    (csat, nps),
                    churn_type_of(churn_type),
                )
            except FAILURES as exc:
                raise _fail(exc) from exc
            uow.commit()
        console.print(
            _("Ticket {id}: {status}.").format(
                id=ticket_id, status=status.label(current_language())
            )
        )

    @group.command("show", help=_("One ticket with its clocks, steps and comments."))
    def show(ctx: typer.Context, ticket_id: int) -> None:
        tierwise: App = ctx.obj
        now = dt.datetime.now(dt.UTC)
        zone = ZoneInfo(tierwise.settings.timezone)
        with tierwise.uow() as uow:
            try:
                file = usecases.ticket_file(uow, tierwise.operator, str(zone), ticket_id)
            except FAILURES as exc:
                raise _fail(exc) from exc
            ticket, language = file.ticket, current_language()
            who = file.assignee or _("the desk's queue")
            console.print(
                f"#{ticket.id} {ticket.kind.label(language)} · {file.customer_code} · "
                f"{ticket.tier or '?'} · {ticket.status.label(language)} · "
                f"{file.urgency.label(language)} · {who} · "
                f"{ticket.subject}",
                highlight=False,
            )
            console.print(
                _("First response due {due}; resolution due {resolution}.").format(
                    due=_due(ticket.first_response_due, ticket.first_response_at, now, zone),
                    resolution=_due(ticket.resolution_due, ticket.resolved_at, now, zone),
                )
            )
            table = Table()
            for header in (_("When"), _("From"), _("To"), _("By"), _("Note")):
                table.add_column(header)
            for entry in file.timeline:
                when = f"{entry.at.astimezone(zone):%m-%d %H:%M}"
                if isinstance(entry, usecases.TimelineComment):
                    said = _("Internal note") if entry.internal else _("Reply to the customer")
                    table.add_row(when, said, "", entry.author, entry.body)
                    continue
                table.add_row(
                    when,
                    entry.from_status.label(language) if entry.from_status else "—",
                    entry.to_status.label(language),
                    entry.actor or "—",
                    entry.note or "",
                )
            console.print(table)

    @group.command("list", help=_("Tickets of a view, most urgent first (open ones by default)."))
    def list_(
        ctx: typer.Context,
        view: View = typer.Option(
            View.ALL, help=_("all, mine, team, unassigned or breaching (use --as for yours)")
        ),
        status: TicketStatus = typer.Option(None, help=_("only this status, closed included")),
        tier: str = typer.Option(None, help=_("only this tier")),
    ) -> None:
        tierwise: App = ctx.obj
        now = dt.datetime.now(dt.UTC)
        zone = ZoneInfo(tierwise.settings.timezone)
        with tierwise.uow() as uow:
            try:
                found, _more = ticket_view(
                    uow, tierwise.operator, str(zone), now, view, status, tier, limit=LISTED
                )
            except FAILURES as exc:
                raise _fail(exc) from exc
            table = Table(title=_("Tickets ({n})").format(n=len(found)))
            for header in (
                "#",
                _("Customer"),
                _("Priority"),
                _("Kind"),
                _("Tier"),
                _("Status"),
                _("Assignee"),
                _("First response due"),
                _("Resolution due"),
                _("Subject"),
            ):
                table.add_column(header)
            language = current_language()
            for line in found:
                t = line.ticket
                table.add_row(
                    str(t.id),
                    line.customer_code,
                    line.urgency.label(language),
                    TicketKind(t.kind).label(language),
                    t.tier or "?",
                    TicketStatus(t.status).label(language),
                    line.assignee or _("the desk's queue"),
                    _due(t.first_response_due, t.first_response_at, now, zone),
                    _due(t.resolution_due, t.resolved_at, now, zone),
                    t.subject,
                )
            console.print(table)

    @group.command("assign", help=_("Give a ticket to a staff member, or back to the queue."))
    def assign(
        ctx: typer.Context,
        ticket_id: int,
        to: str = typer.Option(None, "--to", help=_("a staff code or user name")),
        queue: bool = typer.Option(False, "--queue", help=_("back to the desk's queue")),
    ) -> None:
        tierwise: App = ctx.obj
        if (to is None) == (not queue):
            raise _fail(ValueError(_("give either --to STAFF_OR_USER or --queue")))
        with tierwise.uow() as uow:
            try:
                staff = work.assign_ticket(uow, tierwise.operator, ticket_id, to)
            except FAILURES as exc:
                raise _fail(exc) from exc
            uow.commit()
        if staff is None:
            console.print(_("Ticket {id} is back in the desk's queue.").format(id=ticket_id))
        else:
            console.print(
                _("Ticket {id} is assigned to {name}.").format(id=ticket_id, name=staff.name)
            )

    @group.command("comment", help=_("Comment on a ticket: a reply, or an internal note."))
    def comment(
        ctx: typer.Context,
        ticket_id: int,
        text: str,
        internal: bool = typer.Option(False, "--internal", help=_("a note for staff only")),
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                work.comment_on(
                    uow, tierwise.operator, ticket_id, text, internal, dt.datetime.now(dt.UTC)
                )
            except FAILURES as exc:
                raise _fail(exc) from exc
            uow.commit()
        console.print(_("Comment added to ticket {id}.").format(id=ticket_id))
