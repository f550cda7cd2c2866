"""`tierwise tickets open|move|show|list`: requests and complaints with their SLA clocks."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from sqlalchemy import select

from tierwise.customers.choices import churn_type_of
from tierwise.customers.models import Customer
from tierwise.customers.service import CustomerNotFound
from tierwise.db.base import as_utc
from tierwise.desk import usecases
from tierwise.desk.entitlements import EntitlementRefused
from tierwise.desk.models import Ticket, TicketStep
from tierwise.desk.workflow import IllegalMove, TicketKind, TicketStatus
from tierwise.i18n import _, current_language
from tierwise.runtime import App
from tierwise.terminal import console, errors

FAILURES = (IllegalMove, EntitlementRefused, CustomerNotFound, LookupError, ValueError)


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
        kind: TicketKind = typer.Option(TicketKind.REQUEST),
        channel: str = typer.Option("phone"),
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

    @group.command("show", help=_("One ticket with its clocks and every step."))
    def show(ctx: typer.Context, ticket_id: int) -> None:
        tierwise: App = ctx.obj
        now = dt.datetime.now(dt.UTC)
        zone = ZoneInfo(tierwise.settings.timezone)
        with tierwise.uow() as uow:
            ticket = uow.session.get(Ticket, ticket_id)
            if ticket is None:
                raise _fail(LookupError(_("no ticket {id}").format(id=ticket_id)))
            steps = uow.session.scalars(
                select(TicketStep).where(TicketStep.ticket_id == ticket_id).order_by(TicketStep.id)
            ).all()
            code = uow.session.get_one(Customer, ticket.customer_id).code
            language = current_language()
            kind = TicketKind(ticket.kind).label(language)
            status = TicketStatus(ticket.status).label(language)
            console.print(
                f"#{ticket.id} {kind} · {code} · {ticket.tier or '?'} · {status} · "
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
            for step in steps:
                table.add_row(
                    f"{step.at:%m-%d %H:%M}",
                    step.from_status or "—",
                    step.to_status,
                    step.actor or "—",
                    step.note or "",
                )
            console.print(table)

    @group.command("list", help=_("Open tickets, most urgent first."))
    def list_(ctx: typer.Context, status: TicketStatus = typer.Option(None)) -> None:
        tierwise: App = ctx.obj
        now = dt.datetime.now(dt.UTC)
        zone = ZoneInfo(tierwise.settings.timezone)
        with tierwise.uow() as uow:
            query = select(Ticket).order_by(Ticket.priority, Ticket.resolution_due).limit(200)
            query = (
                query.where(Ticket.status == status)
                if status
                else query.where(Ticket.status != TicketStatus.CLOSED)
            )
            found = uow.session.scalars(query).all()
            table = Table(title=_("Tickets ({n})").format(n=len(found)))
            for header in (
                "#",
                _("Kind"),
                _("Tier"),
                _("Status"),
                _("First response due"),
                _("Resolution due"),
                _("Subject"),
            ):
                table.add_column(header)
            language = current_language()
            for t in found:
                table.add_row(
                    str(t.id),
                    TicketKind(t.kind).label(language),
                    t.tier or "?",
                    TicketStatus(t.status).label(language),
                    _due(t.first_response_due, t.first_response_at, now, zone),
                    _due(t.resolution_due, t.resolved_at, now, zone),
                    t.subject,
                )
            console.print(table)
