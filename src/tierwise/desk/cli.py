"""`tierwise service queue|take|abandon|callbacks|report|staffing|warn|entitlements|use` (and
`forecast|compliance`): the contact centre by tier."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from sqlalchemy import select

from tierwise.db.base import as_utc
from tierwise.desk import plan_cli, queue, warnings
from tierwise.desk.entitlements_cli import add_commands as add_entitlement_commands
from tierwise.desk.forecast import DEFAULT_WEEKS
from tierwise.desk.models import ContactStatus, QueueContact
from tierwise.desk.planning import plan_day, plan_source, roster_note
from tierwise.desk.report import calls_text, report, tier_name
from tierwise.desk.staffing import mm_ss
from tierwise.i18n import _
from tierwise.organisation.models import Staff
from tierwise.organisation.service import active_rules
from tierwise.runtime import App
from tierwise.terminal import console, errors, print_table

FAILURES = (LookupError, ValueError)


def _fail(exc: Exception) -> typer.Exit:
    errors.print(f"[red]{exc}[/red]", highlight=False)
    return typer.Exit(1)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _agent(app: App, code: str) -> int:
    with app.uow() as uow:
        found = uow.session.scalar(select(Staff.id).where(Staff.code == code))
    if found is None:
        raise LookupError(_("no staff member with code {code!r}").format(code=code))
    return found


def _local(app: App, moment: dt.datetime) -> dt.datetime:
    """A stored timestamp in the company's time zone."""
    return as_utc(moment).astimezone(ZoneInfo(app.settings.timezone))


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def register(app: typer.Typer) -> None:
    """Add the service group."""
    service = typer.Typer(help=_("The contact centre: queue, callbacks, service levels."))
    app.add_typer(service, name="service")
    plan_cli.register(service)
    add_entitlement_commands(service)

    @service.command("queue", help=_("Show the waiting contacts in the order agents take them."))
    def show_queue(
        ctx: typer.Context,
        add: str = typer.Option(None, "--add", help=_("queue a contact: customer code or phone")),
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                rules = active_rules(uow.connection)
                queue.follow_tiers(uow.connection, rules)
                queue.offer_callbacks(uow.connection, rules, _now())
                if add:
                    contact_id, who = queue.enqueue(uow.connection, rules, add, _now())
                    console.print(
                        _("Contact {id} queued: tier {tier}, lane {lane}.").format(
                            id=contact_id, tier=who.tier or _("unknown"), lane=who.lane
                        )
                    )
            except FAILURES as exc:
                raise _fail(exc) from exc
            uow.commit()
            q = QueueContact.__table__
            waiting = uow.connection.execute(
                select(q.c.id, q.c.caller, q.c.tier, q.c.lane, q.c.arrived_at)
                .where(q.c.status == ContactStatus.WAITING)
                .order_by(q.c.lane, q.c.priority, q.c.arrived_at, q.c.id)
                .limit(50)
            ).all()
        table = Table(title=_("Waiting ({n} shown)").format(n=len(waiting)))
        for header in ("#", _("Caller"), _("Tier"), _("Lane"), _("Waiting since")):
            table.add_column(header)
        for row in waiting:
            table.add_row(
                str(row.id),
                row.caller,
                row.tier or "?",
                str(row.lane),
                f"{_local(tierwise, row.arrived_at):%H:%M:%S}",
            )
        console.print(table)

    @service.command("take", help=_("Answer the next contact in the queue."))
    def take(
        ctx: typer.Context,
        agent: str = typer.Option(..., help=_("staff code of the agent")),
        memo: str = typer.Option(None, help=_("what was said")),
    ) -> None:
        tierwise: App = ctx.obj
        try:
            agent_id = _agent(tierwise, agent)
        except FAILURES as exc:
            raise _fail(exc) from exc
        with tierwise.uow() as uow:
            row = queue.take_next(uow.connection, agent_id, _now(), memo)
            uow.commit()
        if row is None:
            console.print(_("Nobody is waiting."))
            return
        console.print(
            _("Answered contact {id}: {caller} (tier {tier}).").format(
                id=row["id"], caller=row["caller"], tier=row["tier"] or _("unknown")
            )
        )

    @service.command("abandon", help=_("The caller gave up: queue a callback if the tier has one."))
    def abandon(ctx: typer.Context, contact_id: int) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                due = queue.abandon(
                    uow.connection, active_rules(uow.connection), contact_id, _now()
                )
            except FAILURES as exc:
                raise _fail(exc) from exc
            uow.commit()
        if due is None:
            console.print(
                _("Contact {id} abandoned; its tier has no callback.").format(id=contact_id)
            )
        else:
            console.print(
                _("Contact {id} abandoned; call back by {due:%Y-%m-%d %H:%M}.").format(
                    id=contact_id, due=_local(tierwise, due)
                )
            )

    @service.command("callbacks", help=_("Callbacks to make, soonest due first (or --done one)."))
    def callbacks(
        ctx: typer.Context,
        done: int = typer.Option(None, help=_("the contact whose callback was made")),
        agent: str = typer.Option(None, help=_("staff code of the agent")),
        memo: str = typer.Option(None, help=_("what was said")),
    ) -> None:
        tierwise: App = ctx.obj
        if done is not None:
            try:
                agent_id = _agent(tierwise, agent or "")
                with tierwise.uow() as uow:
                    queue.call_back(
                        uow.connection, done, agent_id, _now(), memo or _("called back")
                    )
                    uow.commit()
            except FAILURES as exc:
                raise _fail(exc) from exc
            console.print(_("Callback for contact {id} recorded.").format(id=done))
            return
        with tierwise.uow() as uow:
            due = queue.callbacks_due(uow.connection)
        table = Table(title=_("Callbacks due ({n})").format(n=len(due)))
        for header in ("#", _("Due"), _("Customer"), _("Tier"), _("Phone"), _("Last contact")):
            table.add_column(header)
        for row in due:
            table.add_row(
                str(row["id"]),
                f"{_local(tierwise, row['callback_due']):%m-%d %H:%M}",
                f"{row['code']} {row['name']}",
                row["tier"] or "?",
                row["phone"] or "—",
                f"{row['last_contact_at']:%Y-%m-%d}" if row["last_contact_at"] else "—",
            )
        console.print(table)

    @service.command("report", help=_("Service level per tier against its target."))
    def service_report(
        ctx: typer.Context,
        day: str = typer.Option(None, "--date", help=_("YYYY-MM-DD; default: today")),
        hours: int = typer.Option(24, help=_("interval length in hours")),
    ) -> None:
        tierwise: App = ctx.obj
        start, end = _day(tierwise, day)
        with tierwise.uow() as uow:
            try:
                rules = active_rules(uow.connection)
            except FAILURES as exc:
                raise _fail(exc) from exc
            lines = report(uow.connection, rules, start, end, hours)
        zone = ZoneInfo(tierwise.settings.timezone)
        table = Table(
            title=_("Service levels, {day}").format(day=f"{start.astimezone(zone):%Y-%m-%d}")
        )
        for header in (
            _("From"),
            _("Tier"),
            _("Offered"),
            _("Answered"),
            _("Service level"),
            _("Target"),
            _("ASA"),
            _("Abandoned"),
            _("Callbacks on time"),
        ):
            table.add_column(header)
        for line in lines:
            met = line.level is not None and line.level >= line.target
            table.add_row(
                f"{line.interval.astimezone(zone):%H:%M}",
                tier_name(line.tier),
                str(line.offered),
                str(line.answered),
                f"[{'green' if met else 'red'}]{_share(line.level)}[/]",
                f"{line.target:.0%} / {line.answer_seconds}s",
                "—" if line.speed is None else f"{line.speed:.0f}s",
                _share(line.abandonment),
                f"{line.callbacks_on_time}/{line.callbacks_due}" if line.callbacks_due else "—",
            )
        print_table(table)

    @service.command(
        "staffing",
        help=_("Agents needed per tier (Erlang C; Erlang A with callers hanging up) and pooled."),
    )
    def service_staffing(
        ctx: typer.Context,
        day: str = typer.Option(None, "--date", help=_("YYYY-MM-DD; default: today")),
        hours: int = typer.Option(
            1, help=_("interval length in hours (1, 2, 3, 4, 6, 8, 12 or 24)")
        ),
        weeks: int = typer.Option(
            DEFAULT_WEEKS, help=_("weeks of history a day without calls is forecast from")
        ),
    ) -> None:
        tierwise: App = ctx.obj
        zone = ZoneInfo(tierwise.settings.timezone)
        with tierwise.uow() as uow:
            try:
                plan = plan_day(
                    uow.connection,
                    tierwise.settings.timezone,
                    day,
                    tierwise.settings.today(),
                    hours,
                    weeks,
                )
            except FAILURES as exc:
                raise _fail(exc) from exc
        table = Table(
            _("interval from"),
            _("tier"),
            _("calls"),
            _("mean patience"),
            _("agents (Erlang C)"),
            _("agents (Erlang A)"),
            _("all tiers in one queue"),
            _("to roster"),
            title=_(
                "Agents needed per interval ({n} customer service representatives on duty)"
            ).format(n=plan.on_duty),
        )
        for interval in plan.intervals:
            for number, need in enumerate(interval.needs):
                table.add_row(
                    f"{interval.start.astimezone(zone):%H:%M}" if number == 0 else "",
                    tier_name(need.tier),
                    calls_text(round(need.calls, 1)),
                    "—" if need.patience_seconds is None else mm_ss(need.patience_seconds),
                    str(need.erlang_c),
                    "—" if need.erlang_a is None else str(need.erlang_a),
                    str(interval.pooled) if number == 0 else "",
                    str(interval.rostered) if number == 0 else "",
                )
        print_table(table)
        console.print(roster_note(plan))
        console.print(plan_source(plan))
        if plan.patience_unknown:
            console.print(
                _("— : nobody in this tier hung up in the period, so its patience is unknown.")
            )

    @service.command(
        "warn", help=_("Warn staff of tickets about to miss (or missing) their service level.")
    )
    def warn(
        ctx: typer.Context,
        now: str = typer.Option(
            None, "--now", help=_("the current time, YYYY-MM-DDTHH:MM (company time); default: now")
        ),
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                raised = warnings.warn(
                    uow.connection, tierwise.settings.timezone, _moment(tierwise, now)
                )
            except FAILURES as exc:
                raise _fail(exc) from exc
            uow.commit()
        console.print(_("SLA warnings raised: {n}.").format(n=raised))


def _moment(app: App, text: str | None) -> dt.datetime:
    """The --now option as a UTC moment; a time without a zone is the company's."""
    if text is None:
        return _now()
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            _("--now: {value!r} is not a time like 2026-12-07T09:30").format(value=text)
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(app.settings.timezone))
    return moment.astimezone(dt.UTC)


def _day(app: App, day: str | None) -> tuple[dt.datetime, dt.datetime]:
    zone = ZoneInfo(app.settings.timezone)
    date = dt.date.fromisoformat(day) if day else dt.datetime.now(zone).date()
    start = dt.datetime.combine(date, dt.time(), zone).astimezone(dt.UTC)
    return start, start + dt.timedelta(days=1)
