"""`tierwise staff|assign|tasks|accountability …`: the organisation and who answers for what."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from sqlalchemy import select

from tierwise.accountability import assignment, service, usecases
from tierwise.accountability.items import ItemError
from tierwise.accountability.models import (
    AssignmentReason,
    AssignmentRole,
    ItemKind,
    ItemStatus,
    ReasonCode,
)
from tierwise.customers.models import Customer
from tierwise.customers.service import CustomerNotFound, get_customer
from tierwise.i18n import _, current_language
from tierwise.organisation.models import OrgPolicy, StaffRole, TaskKind
from tierwise.organisation.rules import RulesError, default_rules_text
from tierwise.organisation.service import NoRules, active_rules
from tierwise.runtime import App
from tierwise.terminal import console, print_error, print_table, write_document

FAILURES = (RulesError, ItemError, CustomerNotFound, LookupError, ValueError, OSError)


def _fail(exc: Exception) -> typer.Exit:
    print_error(exc)
    return typer.Exit(1)


def _day(app: App, text: str | None) -> dt.date:
    if text:
        return dt.date.fromisoformat(text)
    return dt.datetime.now(ZoneInfo(app.settings.timezone)).date()


def _label(choice: type, value: str | None) -> str:
    return "—" if value is None else choice(value).label(current_language())


def register(app: typer.Typer) -> None:
    """Add the staff, assign, tasks and accountability groups."""
    staff = typer.Typer(help=_("Staff, their capacity and absences."), no_args_is_help=True)
    assign = typer.Typer(help=_("Who owns each customer."), no_args_is_help=True)
    rules = typer.Typer(help=_("Organisation rules per tier."), no_args_is_help=True)
    tasks = typer.Typer(help=_("Owners' tasks from obligations and events."), no_args_is_help=True)
    items = typer.Typer(help=_("Accountability items (问责)."), no_args_is_help=True)
    app.add_typer(staff, name="staff")
    app.add_typer(assign, name="assign")
    assign.add_typer(rules, name="rules")
    app.add_typer(tasks, name="tasks")
    app.add_typer(items, name="accountability")
    author_option = typer.Option(None, "--author", help=_("who decides (default: the operator)"))

    @staff.command("list", help=_("Staff with role, team, capacity and current load."))
    def staff_list(
        ctx: typer.Context,
        today: str = typer.Option(
            None, help=_("the day to act as today, YYYY-MM-DD; default: today")
        ),
    ) -> None:
        tierwise: App = ctx.obj
        day = _day(tierwise, today)
        with tierwise.uow() as uow:
            try:
                org = active_rules(uow.connection)
            except FAILURES as exc:
                raise _fail(exc) from exc
            people = assignment.staff(uow.connection, day)
            table = Table(title=_("Staff"))
            for header in (
                _("Code"),
                _("Role"),
                _("Level"),
                _("Team"),
                _("Load"),
                _("Capacity"),
                "",
            ):
                table.add_column(header)
            for person in sorted(people.values(), key=lambda p: (p.team or "", p.code)):
                load = assignment.load_of(uow.connection, org, person.id)
                flag = _("inactive") if not person.active else _("away") if person.absent else ""
                table.add_row(
                    person.code,
                    _label(StaffRole, person.role),
                    person.level,
                    person.team or "—",
                    f"{load:g}",
                    str(person.capacity or "—"),
                    flag,
                )
            print_table(table)

    @staff.command("absent", help=_("Record a period a staff member is away."))
    def absent(
        ctx: typer.Context,
        code: str,
        starts: str = typer.Option(..., "--from", help=_("first day away, YYYY-MM-DD")),
        ends: str = typer.Option(..., "--to", help=_("last day away, YYYY-MM-DD")),
        reason: str = typer.Option(None, help=_("why (kept in the history)")),
    ) -> None:
        tierwise: App = ctx.obj
        try:
            with tierwise.uow() as uow:
                service.add_absence(
                    uow, code, dt.date.fromisoformat(starts), dt.date.fromisoformat(ends), reason
                )
                uow.commit()
        except FAILURES as exc:
            raise _fail(exc) from exc
        console.print(_("Absence recorded."))

    @rules.command("apply", help=_("Validate organisation rules and make them the active version."))
    def rules_apply(ctx: typer.Context, file: Path, author: str | None = author_option) -> None:
        tierwise: App = ctx.obj
        try:
            with tierwise.uow() as uow:
                row = service.apply_rules(
                    uow, file.read_text("utf-8"), str(file), author or tierwise.operator.username
                )
                uow.commit()
                version = row.version
        except FAILURES as exc:
            raise _fail(exc) from exc
        console.print(_("Organisation rules version {version} are active.").format(version=version))

    @rules.command("show", help=_("Print the active organisation rules (or the shipped default)."))
    def rules_show(
        ctx: typer.Context,
        default: bool = typer.Option(
            False, "--default", help=_("the rules Tierwise ships, to start a file from")
        ),
    ) -> None:
        tierwise: App = ctx.obj
        if default:
            write_document(default_rules_text())
            return
        with tierwise.uow() as uow:
            row = uow.session.scalar(select(OrgPolicy).where(OrgPolicy.active))
        if row is None:
            raise _fail(NoRules())
        write_document(row.source)

    @assign.command("run", help=_("Give every customer an owner consistent with its tier."))
    def assign_run(
        ctx: typer.Context,
        today: str = typer.Option(
            None, help=_("the day to act as today, YYYY-MM-DD; default: today")
        ),
    ) -> None:
        _daily(ctx.obj, today)

    @assign.command("set", help=_("Make a staff member a customer's owner, with a reason."))
    def assign_set(
        ctx: typer.Context,
        code: str,
        staff_code: str,
        reason: str = typer.Option(..., help=_("why (kept in the history)")),
        force: bool = typer.Option(False, "--force", help=_("even beyond capacity")),
        author: str | None = author_option,
    ) -> None:
        tierwise: App = ctx.obj
        try:
            with tierwise.uow() as uow:
                usecases.change_owner(
                    uow,
                    tierwise.operator,
                    code,
                    staff_code,
                    reason,
                    _day(tierwise, None),
                    force,
                    author,
                )
                uow.commit()
        except FAILURES as exc:
            raise _fail(exc) from exc
        console.print(_("{code} is now owned by {staff}.").format(code=code, staff=staff_code))

    @assign.command("move", help=_("Re-assign all of a person's customers, with a reason."))
    def assign_move(
        ctx: typer.Context,
        from_code: str = typer.Option(
            ..., "--from", help=_("the staff member whose customers move")
        ),
        to_code: str = typer.Option(None, "--to", help=_("default: by the tier rules")),
        tier: str = typer.Option(None, help=_("only customers of this tier")),
        reason: str = typer.Option(..., help=_("why (kept in the history)")),
        author: str | None = author_option,
    ) -> None:
        tierwise: App = ctx.obj
        try:
            with tierwise.uow() as uow:
                moved, skipped = service.move_all(
                    uow,
                    from_code,
                    reason,
                    author or tierwise.operator.username,
                    _day(tierwise, None),
                    to_code,
                    tier,
                )
                uow.commit()
        except FAILURES as exc:
            raise _fail(exc) from exc
        console.print(
            _("{n} customers re-assigned; {skipped} found nobody with room.").format(
                n=moved, skipped=skipped
            )
        )

    @assign.command("history", help=_("Every owner and CSR a customer has had."))
    def assign_history(ctx: typer.Context, code: str) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                customer = get_customer(uow.session, code)
            except FAILURES as exc:
                raise _fail(exc) from exc
            table = Table(title=_("Owners of {code}").format(code=code))
            for header in (
                _("From"),
                _("To"),
                _("Role"),
                _("Staff"),
                _("Reason"),
                _("By"),
                _("Note"),
            ):
                table.add_column(header)
            for row in assignment.owners_history(uow.connection, customer.id):
                table.add_row(
                    str(row["starts_on"]),
                    str(row["ends_on"] or "…"),
                    _label(AssignmentRole, row["role"]),
                    f"{row['code']} {row['name']}",
                    _label(AssignmentReason, row["reason"]),
                    row["author"] or _("system"),
                    row["note"] or "",
                )
            print_table(table)

    @tasks.command("list", help=_("Open tasks, oldest due first."))
    def tasks_list(
        ctx: typer.Context,
        staff_code: str = typer.Option(None, "--staff", help=_("only this staff member's")),
        overdue: bool = typer.Option(False, "--overdue", help=_("only those past their due date")),
        today: str = typer.Option(
            None, help=_("the day to act as today, YYYY-MM-DD; default: today")
        ),
    ) -> None:
        tierwise: App = ctx.obj
        day = _day(tierwise, today)
        with tierwise.uow() as uow:
            try:
                found = service.open_tasks(uow.session, staff_code, day, overdue)
            except FAILURES as exc:
                raise _fail(exc) from exc
            codes = _codes(uow.session, [t.customer_id for t in found])
            table = Table(title=_("Open tasks ({n})").format(n=len(found)))
            for header in ("#", _("Customer"), _("Task"), _("Due"), _("Overdue"), _("Note")):
                table.add_column(header)
            for task in found:
                late = (day - task.due_on).days
                table.add_row(
                    str(task.id),
                    codes.get(task.customer_id, "?"),
                    _label(TaskKind, task.kind),
                    str(task.due_on),
                    _("{n} days").format(n=late) if late > 0 else "",
                    task.note or "",
                )
            console.print(table)

    @tasks.command(
        "done", help=_("Mark a task done (an obligation is done by logging the contact).")
    )
    def tasks_done(ctx: typer.Context, task_id: int) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                usecases.finish_task(uow, tierwise.operator, task_id, _day(tierwise, None))
            except FAILURES as exc:
                raise _fail(exc) from exc
            uow.commit()
        console.print(_("Task {id} done.").format(id=task_id))

    @items.command("run", help=_("The daily run: owners, then tasks, then accountability items."))
    def items_run(
        ctx: typer.Context,
        today: str = typer.Option(
            None, help=_("the day to act as today, YYYY-MM-DD; default: today")
        ),
    ) -> None:
        _daily(ctx.obj, today)

    @items.command("list", help=_("Accountability items, newest first."))
    def items_list(
        ctx: typer.Context,
        staff_code: str = typer.Option(None, "--staff", help=_("only this staff member's")),
        status: ItemStatus = typer.Option(None, help=_("only items with this status")),
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                found = service.list_items(uow.session, staff_code, status)
            except FAILURES as exc:
                raise _fail(exc) from exc
            codes = _codes(uow.session, [i.customer_id for i in found])
            table = Table(title=_("Accountability items ({n})").format(n=len(found)))
            for header in ("#", _("Raised"), _("Customer"), _("What"), _("Status"), _("Detail")):
                table.add_column(header)
            for item in found:
                table.add_row(
                    str(item.id),
                    str(item.raised_on),
                    codes.get(item.customer_id, "?"),
                    _label(ItemKind, item.kind),
                    _label(ItemStatus, item.status),
                    item.detail,
                )
            console.print(table)

    @items.command("answer", help=_("The owner's reason and explanation for an item."))
    def items_answer(
        ctx: typer.Context,
        item_id: int,
        reason_code: ReasonCode = typer.Option(
            ..., "--reason-code", help=_("the reason, from the list")
        ),
        explanation: str = typer.Option(..., help=_("what happened, in the owner's words")),
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                usecases.answer_item(uow, tierwise.operator, item_id, reason_code, explanation)
            except FAILURES as exc:
                raise _fail(exc) from exc
            uow.commit()
        console.print(_("Item {id} answered; it awaits review.").format(id=item_id))

    @items.command("review", help=_("Accept an answer, or send it back with the action required."))
    def items_review(
        ctx: typer.Context,
        item_id: int,
        accept: bool = typer.Option(
            ..., "--accept/--action-required", help=_("accept the answer, or ask for action")
        ),
        note: str = typer.Option(None, help=_("a note for the owner")),
        author: str | None = author_option,
    ) -> None:
        tierwise: App = ctx.obj
        with tierwise.uow() as uow:
            try:
                item = usecases.review_item(uow, tierwise.operator, item_id, accept, note, author)
            except FAILURES as exc:
                raise _fail(exc) from exc
            uow.commit()
            status = _label(ItemStatus, item.status)
        console.print(_("Item {id}: {status}.").format(id=item_id, status=status))


def _codes(session: object, ids: list[int]) -> dict[int, str]:
    rows = session.execute(  # type: ignore[attr-defined]
        select(Customer.id, Customer.code).where(Customer.id.in_(ids))
    ).all()
    return dict(rows)


def _daily(app: App, today: str | None) -> None:
    day = _day(app, today)
    try:
        with app.uow() as uow:
            result = service.run_daily(uow, day, app.settings.timezone)
            uow.commit()
    except FAILURES as exc:
        raise _fail(exc) from exc
    assigned = sum(result.assigned.owners.values())
    console.print(
        _(
            "Owners assigned: {owners} (hand-overs {handovers}, CSRs {csrs}, left without an owner "
            "for lack of capacity: {unassigned})."
        ).format(
            owners=assigned,
            handovers=result.assigned.handovers,
            csrs=result.assigned.csrs,
            unassigned=len(result.assigned.unassigned),
        )
    )
    made = ", ".join(f"{_label(TaskKind, k)} {n}" for k, n in result.tasks.items() if n) or "0"
    raised = ", ".join(f"{_label(ItemKind, k)} {n}" for k, n in result.items.items() if n) or "0"
    console.print(
        _("Tasks opened: {tasks}. Accountability items raised: {items}.").format(
            tasks=made, items=raised
        )
    )
    if result.rewards:
        console.print(
            _("Rewards granted: {n}.").format(n=sum(result.rewards.values())), highlight=False
        )
