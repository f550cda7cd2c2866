"""Tickets worked like a helpdesk's, on SQLite and PostgreSQL: the assignee a ticket opens with and
reassignment (audited), comments in the timeline, departments from the organisation rules, every
view's membership with an explicit now, the priority in words, and macros' reply and move."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, insert, select
from typer.testing import CliRunner

from tierwise.bootstrap import App
from tierwise.cli import build
from tierwise.customers.models import Customer
from tierwise.customers.privacy import ERASED, PersonErased
from tierwise.desk import macros, tickets, usecases, work
from tierwise.desk.models import Ticket, TicketComment
from tierwise.desk.views import BREACHING_SHARE, View, ticket_view
from tierwise.desk.workflow import IllegalMove, TicketKind, TicketStatus, Urgency, urgency_of
from tierwise.identity import accounts
from tierwise.identity.access import Principal
from tierwise.identity.models import AuditEntry
from tierwise.identity.roles import EVERYTHING, RowScope
from tierwise.organisation.models import OrgPolicy, Staff
from tierwise.organisation.rules import RulesError, default_rules_text, load_rules
from tierwise.organisation.service import active_rules
from tierwise.tiering.models import CustomerTier, TierPolicy
from tierwise.tiering.policy import default_policy_text

ZONE = ZoneInfo("Asia/Shanghai")
S = TicketStatus
CLOSING_MACRO = """
[[macros]]
name = "直接结案"
kinds = ["complaint"]
reply = "已为您结案。"
move_to = "closed"
"""


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of November 2026 (the 2nd is a Monday), Shanghai time, as UTC."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=ZONE).astimezone(dt.UTC)


@dataclass(frozen=True)
class Desk:
    """The wired app, the staff by code, and a desk lead of team east who sees every customer."""

    app: App
    staff: dict[str, int]
    lead: Principal


def _staff(conn: Connection, code: str, role: str, team: str | None) -> int:
    """A senior staff member named after their code; returns the id."""
    return int(
        conn.execute(
            insert(Staff.__table__)
            .values(code=code, name=f"Name {code}", role=role, level="senior", team=team)
            .returning(Staff.id)
        ).scalar_one()
    )


@pytest.fixture
def desk(app: App, connection: Connection) -> Desk:
    """Tier and organisation rules (with a macro that closes a complaint), four staff, and four
    customers: A1 (tier A, CSR csr1), B1 (tier B, owner am1), C1 (tier C, owner am2), N1 (none)."""
    connection.execute(
        insert(TierPolicy.__table__).values(
            version=1, name="d", source=default_policy_text(), document={}, active=True
        )
    )
    connection.execute(
        insert(OrgPolicy.__table__).values(
            version=1, name="d", source=default_rules_text() + CLOSING_MACRO, active=True
        )
    )
    staff = {
        "am1": _staff(connection, "am1", "account_manager", "east"),
        "csr1": _staff(connection, "csr1", "csr", "east"),
        "am2": _staff(connection, "am2", "account_manager", "west"),
        "ag1": _staff(connection, "ag1", "agent", "west"),
    }
    for code, tier, owner, csr in (
        ("A1", "A", "am1", "csr1"),
        ("B1", "B", "am1", None),
        ("C1", "C", "am2", None),
        ("N1", "D", None, None),
    ):
        cid = connection.execute(
            insert(Customer.__table__)
            .values(
                code=code,
                name=f"客户{code}",
                kind="enterprise",
                status="active",
                owner_id=staff[owner] if owner else None,
                csr_id=staff[csr] if csr else None,
            )
            .returning(Customer.id)
        ).scalar_one()
        connection.execute(
            insert(CustomerTier.__table__).values(
                customer_id=cid, tier=tier, since=dt.date(2026, 11, 1), reason="new"
            )
        )
    lead = Principal(
        username="lead",
        kind="human",
        role="manager",
        permissions=frozenset(EVERYTHING),
        row_scope=RowScope.ALL,
        personal_fields=frozenset(),
        staff_id=staff["csr1"],
        team="east",
    )
    return Desk(app, staff, lead)


def _open(desk: Desk, code: str, kind: TicketKind = TicketKind.REQUEST, day: int = 2) -> int:
    """A ticket opened at 9:00 on a November day."""
    with desk.app.uow() as uow:
        rules = load_rules(default_rules_text(), "default")
        ticket_id = tickets.open_ticket(
            uow.connection,
            rules,
            tickets.calendar(rules, "Asia/Shanghai"),
            code,
            kind,
            f"{code} 的事",
            "phone",
            local(day, 9),
            "lead",
        )
        uow.commit()
    return ticket_id


def _view(
    desk: Desk,
    view: View,
    now: dt.datetime,
    who: Principal | None = None,
    status: TicketStatus | None = None,
    tier: str | None = None,
) -> set[int]:
    """The ids of the tickets a view holds at `now`."""
    with desk.app.uow() as uow:
        lines, _more = ticket_view(uow, who or desk.lead, "Asia/Shanghai", now, view, status, tier)
    return {line.ticket.id for line in lines}


def test_a_ticket_opens_with_the_csr_or_owner_and_is_reassigned_with_an_audit(
    desk: Desk,
) -> None:
    a1, b1, n1 = _open(desk, "A1"), _open(desk, "B1"), _open(desk, "N1")
    with desk.app.uow() as uow:
        assignees = {t.id: t.assignee_id for t in uow.session.scalars(select(Ticket))}
        assert assignees == {a1: desk.staff["csr1"], b1: desk.staff["am1"], n1: None}
        moved = work.assign_ticket(uow, desk.lead, a1, "am2")
        assert moved is not None and moved.code == "am2"
        assert work.assign_ticket(uow, desk.lead, a1, None) is None
        assert work.assign_ticket(uow, desk.lead, b1, "am1") is not None  # unchanged: no entry
        with pytest.raises(ValueError, match=r"Name ag1 \(ag1\) does not work tickets"):
            work.assign_ticket(uow, desk.lead, a1, "ag1")
        with pytest.raises(ValueError, match="assignee: no staff member or user nobody"):
            work.assign_ticket(uow, desk.lead, a1, "nobody")
        uow.commit()
        entries = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "assign").order_by(AuditEntry.id)
        ).all()
        assert [(e.resource_id, e.changes) for e in entries] == [
            (str(a1), {"assignee": ["csr1", "am2"]}),
            (str(a1), {"assignee": ["am2", None]}),
        ]
        assert uow.session.get_one(Ticket, a1).assignee_id is None


def test_a_ticket_is_assigned_to_a_user_by_their_user_name(desk: Desk) -> None:
    a1 = _open(desk, "A1")
    with desk.app.uow() as uow:
        accounts.add_user(uow.session, "zhang", "张三", "admin", "a-long-password-2026", "am2")
        staff = work.assign_ticket(uow, desk.lead, a1, "zhang")
        assert staff is not None and staff.id == desk.staff["am2"]


def test_an_assignment_outside_ones_scope_is_refused_as_absent(desk: Desk) -> None:
    c1 = _open(desk, "C1")
    own = replace(desk.lead, row_scope=RowScope.OWN, staff_id=desk.staff["am1"])
    with desk.app.uow() as uow, pytest.raises(LookupError, match=f"no ticket {c1}"):
        work.assign_ticket(uow, own, c1, "am1")


def test_comments_join_the_timeline_with_the_steps(desk: Desk) -> None:
    b1 = _open(desk, "B1", TicketKind.COMPLAINT)
    with desk.app.uow() as uow:
        work.comment_on(uow, desk.lead, b1, "  客户说包装破了  ", True, local(2, 9, 30))
        work.comment_on(uow, desk.lead, b1, "我们会尽快处理", False, local(2, 10))
        with pytest.raises(ValueError, match="a comment needs some text"):
            work.comment_on(uow, desk.lead, b1, "   ", False, local(2, 10))
        with pytest.raises(ValueError, match="at most 2000 characters; this one has 2001"):
            work.comment_on(uow, desk.lead, b1, "x" * 2001, False, local(2, 10))
        uow.commit()
        said = work.comments_of(uow.session, desk.lead, b1)
        assert [(c.body, c.internal, c.author) for c in said] == [
            ("客户说包装破了", True, "lead"),
            ("我们会尽快处理", False, "lead"),
        ]
        file = usecases.ticket_file(uow, desk.lead, "Asia/Shanghai", b1)
        kinds = [type(entry).__name__ for entry in file.timeline]
        assert kinds == ["TimelineStep", "TimelineComment", "TimelineComment"]
        assert file.assignee == "Name am1" and file.urgency is Urgency.HIGH


def test_a_department_outside_the_organisations_list_is_refused(desk: Desk) -> None:
    b1 = _open(desk, "B1", TicketKind.COMPLAINT)
    with desk.app.uow() as uow:
        usecases.move_ticket(uow, desk.lead, "Asia/Shanghai", b1, S.JUDGED, "属实", None)
        with pytest.raises(ValueError, match="department: 火星部 is not one of the organisation's"):
            usecases.move_ticket(uow, desk.lead, "Asia/Shanghai", b1, S.ASSIGNED, None, "火星部")
        usecases.move_ticket(uow, desk.lead, "Asia/Shanghai", b1, S.ASSIGNED, None, "物流部")
        uow.commit()
        assert uow.session.get_one(Ticket, b1).department == "物流部"
        offered = usecases.ticket_file(uow, desk.lead, "Asia/Shanghai", b1).departments
        assert offered[:3] == ["客服部", "售后部", "物流部"]


def test_a_rules_document_whose_macro_names_an_unknown_tier_is_refused() -> None:
    text = default_rules_text() + '[[macros]]\nname = "x"\nkinds = ["request"]\ntiers = ["Z"]\n'
    with pytest.raises(RulesError, match=r"tiers not in the active tier policy.*: Z"):
        load_rules(text + 'reply = "y"\n', "rules.toml", ["A", "B", "C", "D", "X"])


def test_each_view_holds_its_tickets(desk: Desk) -> None:
    a1, b1, c1, n1 = (_open(desk, code) for code in ("A1", "B1", "C1", "N1"))
    now = local(2, 9, 10)
    assert _view(desk, View.ALL, now) == {a1, b1, c1, n1}
    assert _view(desk, View.MINE, now) == {a1}  # the lead is csr1, the CSR of A1
    assert _view(desk, View.TEAM, now) == {a1, b1}  # csr1 and am1 are team east
    assert _view(desk, View.UNASSIGNED, now) == {n1}
    assert _view(desk, View.ALL, now, tier="C") == {c1}
    assert _view(desk, View.TEAM, now, tier="B") == {b1}
    with desk.app.uow() as uow:
        usecases.move_ticket(uow, desk.lead, "Asia/Shanghai", c1, S.CLOSED, None, None)
        uow.commit()
    assert _view(desk, View.ALL, now) == {a1, b1, n1}  # closed ones only when asked for
    assert _view(desk, View.ALL, now, status=S.CLOSED) == {c1}
    loner = replace(desk.lead, staff_id=None, team=None)
    for view, words in ((View.MINE, "not linked to a staff member"), (View.TEAM, "no team")):
        with pytest.raises(ValueError, match=words):
            _view(desk, view, now, loner)


def test_breaching_soon_keeps_clocks_under_a_quarter_of_their_target_left(desk: Desk) -> None:
    assert BREACHING_SHARE == 0.25
    # Opened Monday 9:00. B: first response in 4 business hours; C: 8; D: 16.
    b1, c1, n1 = _open(desk, "B1"), _open(desk, "C1"), _open(desk, "N1")
    assert _view(desk, View.BREACHING, local(2, 11)) == set()  # B has half its 4 h left
    assert _view(desk, View.BREACHING, local(2, 12, 30)) == {b1}  # B: 0.5 h of 4 h
    # Tuesday 9:30: B past due, C with 0.5 of 8 h, D with 7.5 of 16 h.
    assert _view(desk, View.BREACHING, local(3, 9, 30)) == {b1, c1}
    with desk.app.uow() as uow:
        usecases.move_ticket(uow, desk.lead, "Asia/Shanghai", c1, S.IN_PROGRESS, None, None)
        usecases.move_ticket(uow, desk.lead, "Asia/Shanghai", c1, S.WAITING, None, None)
        uow.commit()
    # C waits on the customer: its clocks stand still, so it is not about to breach.
    assert _view(desk, View.BREACHING, local(3, 9, 30)) == {b1}
    assert n1 not in _view(desk, View.BREACHING, local(3, 9, 30))


def test_the_priority_reads_in_words_from_lane_and_rank() -> None:
    assert [urgency_of(p) for p in (0, 101, 102, 103, 204)] == [
        Urgency.URGENT,
        Urgency.HIGH,
        Urgency.NORMAL,
        Urgency.NORMAL,
        Urgency.LOW,
    ]
    assert Urgency.URGENT.label("zh_CN") == "紧急" and Urgency.LOW.label("zh_CN") == "低"


def test_a_macro_replies_to_the_customer_and_makes_its_move(desk: Desk) -> None:
    b1 = _open(desk, "B1")
    with desk.app.uow() as uow:
        rules = active_rules(uow.connection)
        names = [m.name for m in macros.macros_for(rules, "request", "B")]
        assert names == ["确认收到 / Acknowledge", "开始处理 / Start work"]
        assert "贵宾致歉 / VIP apology" in [
            m.name for m in macros.macros_for(rules, "complaint", "A")
        ]
        assert "贵宾致歉 / VIP apology" not in [
            m.name for m in macros.macros_for(rules, "complaint", "B")
        ]
        macros.apply_macro(
            uow, desk.lead, "Asia/Shanghai", b1, "开始处理 / Start work", local(2, 10)
        )
        uow.commit()
        ticket = uow.session.get_one(Ticket, b1)
        assert ticket.status is S.IN_PROGRESS and ticket.first_response_at is not None
        said = uow.session.scalars(select(TicketComment).where(TicketComment.ticket_id == b1))
        assert [(c.body, c.internal) for c in said] == [("您好，您的请求已开始处理。", False)]
        with pytest.raises(ValueError, match="macro: 贵宾致歉 / VIP apology is not offered"):
            macros.apply_macro(
                uow, desk.lead, "Asia/Shanghai", b1, "贵宾致歉 / VIP apology", local(2, 10)
            )


def test_a_macro_whose_move_is_refused_says_why(desk: Desk) -> None:
    b1 = _open(desk, "B1", TicketKind.COMPLAINT)
    with desk.app.uow() as uow, pytest.raises(IllegalMove, match="judging a complaint needs"):
        macros.apply_macro(uow, desk.lead, "Asia/Shanghai", b1, "直接结案", local(2, 10))


def test_the_command_line_assigns_comments_and_lists_a_view(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIERWISE_DATABASE_URL", desk.app.settings.database_url)
    b1, n1 = _open(desk, "B1"), _open(desk, "N1")
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        """`tierwise tickets …` on the test's unit of work: the exit code and what it printed."""
        result = runner.invoke(build(), ["tickets", *args], obj=desk.app)
        return result.exit_code, result.output

    assert run("assign", str(n1), "--to", "am2") == (0, f"Ticket {n1} is assigned to Name am2.\n")
    code, said = run("assign", str(b1))
    assert code == 1 and "give either --to STAFF_OR_USER or --queue" in said
    assert run("assign", str(b1), "--queue")[0] == 0
    assert run("comment", str(b1), "客户要求周五前回复", "--internal")[0] == 0
    code, listed = run("list", "--view", "unassigned")
    assert code == 0 and "Tickets (1)" in listed and "B1" in listed and "N1" not in listed
    assert "High" in listed  # tier B's priority in words
    code, refused = run("list", "--view", "mine")  # the operator is no staff member
    assert code == 1 and "not linked to a staff member" in refused
    code, shown = run("show", str(b1))
    assert code == 0 and "Internal note" in shown and "客户要求周五前回复" in shown


def test_erasing_a_person_erases_what_comments_said_of_them(desk: Desk) -> None:
    b1 = _open(desk, "B1")
    with desk.app.uow() as uow:
        work.comment_on(uow, desk.lead, b1, "客户家住幸福路8号", False, local(2, 10))
        customer_id = uow.session.get_one(Ticket, b1).customer_id
        usecases.forget_person(uow, PersonErased(customer_id, "B1"))
        said = work.comments_of(uow.session, desk.lead, b1)
        uow.session.refresh(said[0])
        assert said[0].body == ERASED
