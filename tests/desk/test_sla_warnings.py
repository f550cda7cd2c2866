"""SLA warnings on SQLite and PostgreSQL, with a frozen clock: nothing before the first share, the
assignee at 75%, no duplicate on a second run, the owner at 90%, the owner's manager at the
breach; business hours and time waiting on the customer do not use up the target; the setting
refused with a plain message; the command and the service desk page."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, insert, select
from typer.testing import CliRunner

from tierwise.accountability.service import run_daily
from tierwise.bootstrap import App
from tierwise.cli import build
from tierwise.customers.models import Customer
from tierwise.desk import tickets, warnings
from tierwise.desk.models import SlaBreach
from tierwise.desk.workflow import TicketKind, TicketStatus
from tierwise.i18n import set_language
from tierwise.organisation import inbox
from tierwise.organisation.models import OrgPolicy, Staff, StaffNotification
from tierwise.organisation.rules import RulesError, default_rules_text, load_rules
from tierwise.tiering.models import CustomerTier, TierPolicy
from tierwise.tiering.policy import default_policy_text

RULES = load_rules(default_rules_text(), "default")  # sla_warnings = [0.75, 0.9]
CAL = tickets.calendar(RULES, "Asia/Shanghai")
ZONE = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of November 2026 (the 2nd is a Monday), Shanghai time, as UTC."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=ZONE).astimezone(dt.UTC)


def _staff(conn: Connection, code: str, role: str, manager: int | None = None) -> int:
    return int(
        conn.execute(
            insert(Staff.__table__)
            .values(code=code, name=code, role=role, level="senior", manager_id=manager)
            .returning(Staff.id)
        ).scalar_one()
    )


@pytest.fixture
def people(connection: Connection) -> dict[str, int]:
    """A tier-B customer owned by an account manager (whose manager leads the team) and served
    by a CSR, another CSR on the desk, and the default tier policy."""
    connection.execute(
        insert(TierPolicy.__table__).values(
            version=1, name="d", source=default_policy_text(), document={}, active=True
        )
    )
    boss = _staff(connection, "M1", "manager")
    owner = _staff(connection, "AM1", "account_manager", boss)
    agent = _staff(connection, "CSR1", "csr", boss)
    desk = _staff(connection, "CSR2", "csr", boss)
    cid = connection.execute(
        insert(Customer.__table__)
        .values(
            code="B1", name="B1", kind="enterprise", status="active", owner_id=owner, csr_id=agent
        )
        .returning(Customer.id)
    ).scalar_one()
    connection.execute(
        insert(CustomerTier.__table__).values(
            customer_id=cid, tier="B", since=dt.date(2026, 11, 1), reason="new"
        )
    )
    return {"boss": boss, "owner": owner, "agent": agent, "desk": desk}


def _open(conn: Connection, at: dt.datetime, kind: TicketKind = TicketKind.COMPLAINT) -> int:
    """A tier-B ticket: first response within 4 business hours, resolution within 24."""
    return tickets.open_ticket(conn, RULES, CAL, "B1", kind, "账单金额有误", "phone", at, "li")


def _received(conn: Connection, staff_id: int) -> list[tuple[str, object]]:
    return [(n.kind, n.parameters["share"]) for n in inbox.notifications(conn, staff_id)]


def test_warnings_escalate_from_the_agent_to_the_owner_to_the_manager_once_each(
    connection: Connection, people: dict[str, int]
) -> None:
    ticket = _open(connection, local(2, 10))  # Monday 10:00; first response due 14:00
    assert warnings.raise_warnings(connection, RULES, CAL, local(2, 12, 57)) == 0  # 74%
    assert warnings.raise_warnings(connection, RULES, CAL, local(2, 13, 3)) == 1  # 76%
    assert _received(connection, people["agent"]) == [("sla_warning", 0.75)]
    assert warnings.raise_warnings(connection, RULES, CAL, local(2, 13, 4)) == 0  # no duplicate
    assert warnings.raise_warnings(connection, RULES, CAL, local(2, 13, 39)) == 2  # 91%
    assert _received(connection, people["owner"]) == [("sla_warning", 0.9)]
    assert warnings.raise_warnings(connection, RULES, CAL, local(2, 14, 1)) == 3  # missed
    assert _received(connection, people["boss"]) == [("sla_breach", None)]
    assert _received(connection, people["agent"])[0] == ("sla_breach", None)  # newest first
    assert _received(connection, people["desk"]) == []  # the ticket has an assignee
    assert warnings.raise_warnings(connection, RULES, CAL, local(2, 17)) == 0
    first = inbox.notifications(connection, people["agent"])[-1]
    assert first.link == f"/service/tickets/{ticket}"
    assert first.parameters["clock"] == "first_response"


def test_a_ticket_without_an_assignee_warns_its_customers_csr_else_the_owner_only(
    connection: Connection, people: dict[str, int]
) -> None:
    ticket = _open(connection, local(2, 10))
    t, c = tickets.Ticket.__table__, Customer.__table__
    connection.execute(t.update().where(t.c.id == ticket).values(assignee_id=None))
    assert warnings.raise_warnings(connection, RULES, CAL, local(2, 13, 3)) == 1
    assert _received(connection, people["agent"]) == [("sla_warning", 0.75)]  # the CSR
    assert _received(connection, people["desk"]) == []  # not every CSR: the subject is named
    connection.execute(c.update().where(c.c.code == "B1").values(csr_id=None))
    other = _open(connection, local(2, 10))
    connection.execute(t.update().where(t.c.id == other).values(assignee_id=None))
    assert warnings.raise_warnings(connection, RULES, CAL, local(2, 13, 4)) == 1
    assert _received(connection, people["owner"]) == [("sla_warning", 0.75)]
    assert _received(connection, people["desk"]) == []


def test_an_owner_without_a_named_manager_escalates_to_the_team_lead(
    connection: Connection, people: dict[str, int]
) -> None:
    lead = _staff(connection, "M2", "manager")
    staff = Staff.__table__
    connection.execute(staff.update().where(staff.c.id == lead).values(team="华东"))
    connection.execute(
        staff.update().where(staff.c.id == people["owner"]).values(manager_id=None, team="华东")
    )
    _open(connection, local(2, 10))
    assert warnings.raise_warnings(connection, RULES, CAL, local(2, 14, 1)) == 3  # missed
    assert _received(connection, lead) == [("sla_breach", None)]
    assert _received(connection, people["boss"]) == []


def test_a_weekend_does_not_use_up_the_target(
    connection: Connection, people: dict[str, int]
) -> None:
    _open(connection, local(6, 17))  # Friday 17:00; first response due Monday 12:00
    assert warnings.raise_warnings(connection, RULES, CAL, local(8, 23)) == 0  # Sunday: 25%
    assert warnings.raise_warnings(connection, RULES, CAL, local(9, 10, 30)) == 0  # 62.5%
    assert warnings.raise_warnings(connection, RULES, CAL, local(9, 11, 1)) == 1  # 75.4%


def test_time_waiting_on_the_customer_does_not_count(
    connection: Connection, people: dict[str, int]
) -> None:
    ticket = _open(connection, local(2, 10), TicketKind.REQUEST)  # resolution within 24 h
    tickets.move(connection, CAL, ticket, TicketStatus.IN_PROGRESS, local(2, 10, 30), "li")
    tickets.move(connection, CAL, ticket, TicketStatus.WAITING, local(2, 12), "li")  # 2 h used
    # Still waiting on Wednesday: without the wait, 18 of 24 hours would be gone by 10:00.
    assert warnings.raise_warnings(connection, RULES, CAL, local(4, 10)) == 0
    tickets.move(connection, CAL, ticket, TicketStatus.IN_PROGRESS, local(5, 9), "li")
    # Thursday 9:00 on: 2 h + 9 h Thursday + 6 h 59 min Friday is 74.9% of 24 h.
    assert warnings.raise_warnings(connection, RULES, CAL, local(6, 15, 59)) == 0
    assert warnings.raise_warnings(connection, RULES, CAL, local(6, 16, 1)) == 1
    assert _received(connection, people["agent"]) == [("sla_warning", 0.75)]


def test_met_clocks_raise_nothing(connection: Connection, people: dict[str, int]) -> None:
    ticket = _open(connection, local(2, 10), TicketKind.REQUEST)
    tickets.move(connection, CAL, ticket, TicketStatus.IN_PROGRESS, local(2, 11), "li")
    # The first response is met; the resolution clock (24 h) is at 17%.
    assert warnings.raise_warnings(connection, RULES, CAL, local(2, 14, 1)) == 0
    tickets.move(connection, CAL, ticket, TicketStatus.RESOLVED, local(2, 15), "li")
    # Resolved: Wednesday evening would be past the deadline, and nothing is raised.
    assert warnings.raise_warnings(connection, RULES, CAL, local(4, 18)) == 0
    assert connection.execute(select(StaffNotification.id)).first() is None


@pytest.mark.parametrize(
    ("shares", "message"),
    [
        ("[0.9, 0.75]", "warnings must rise, each above the one before; got 0.9, 0.75"),
        ("[0.5, 1.0]", "each warning is a share of the target between 0 and 1 (e.g. 0.75); got 1"),
        ("[0, 0.5]", "each warning is a share of the target between 0 and 1 (e.g. 0.75); got 0"),
    ],
)
def test_the_warning_shares_are_checked_with_a_plain_message(shares: str, message: str) -> None:
    text = default_rules_text().replace("sla_warnings = [0.75, 0.9]", f"sla_warnings = {shares}")
    with pytest.raises(RulesError) as refused:
        load_rules(text, "rules.toml")
    assert str(refused.value) == f"rules.toml: sla_warnings: {message}"


def test_a_notification_reads_in_business_words_in_either_language() -> None:
    parameters = {"ticket": 7, "subject": "账单", "clock": "resolution", "share": 0.75}
    assert warnings.describe("sla_warning", parameters) == (
        "Ticket 7 “账单” has used 75% of its resolution time."
    )
    set_language("zh_CN")
    assert "75%" in warnings.describe("sla_warning", parameters)
    assert "解决" in warnings.describe("sla_warning", parameters)
    assert "首次响应" in warnings.describe("sla_breach", {**parameters, "clock": "first_response"})


def test_the_command_raises_the_warnings_due_at_the_time_it_is_given(
    app: App, connection: Connection, people: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "TIERWISE_DATABASE_URL", app.engine.url.render_as_string(hide_password=False)
    )
    connection.execute(
        insert(OrgPolicy.__table__).values(
            version=1, name="d", source=default_rules_text(), active=True
        )
    )
    _open(connection, local(2, 10))

    def run(*args: str) -> tuple[int, str]:
        set_language("en")
        result = CliRunner().invoke(build(), ["service", "warn", *args], obj=app)
        return result.exit_code, result.output

    assert run("--now", "2026-11-02T13:03") == (0, "SLA warnings raised: 1.\n")
    assert run("--now", "2026-11-02T05:40+00:00") == (0, "SLA warnings raised: 2.\n")  # 13:40
    assert run("--now", "2026-11-02T13:50") == (0, "SLA warnings raised: 0.\n")
    code, output = run("--now", "Monday noon")
    assert code == 1
    assert output.strip() == "--now: 'Monday noon' is not a time like 2026-12-07T09:30"


def test_the_daily_run_warns_as_it_notes_the_breaches(
    app: App, connection: Connection, people: dict[str, int]
) -> None:
    connection.execute(
        insert(OrgPolicy.__table__).values(
            version=1, name="d", source=default_rules_text(), active=True
        )
    )
    ticket = _open(connection, local(2, 10))  # first response due Monday 14:00
    with app.uow() as uow:  # Tuesday 0:00 UTC, 8:00 in Shanghai: 8 business hours used
        run_daily(uow, dt.date(2026, 11, 3), "Asia/Shanghai")
        uow.commit()
    breached = connection.execute(select(SlaBreach.ticket_id, SlaBreach.clock)).all()
    assert [tuple(b) for b in breached] == [(ticket, "first_response")]
    assert _received(connection, people["agent"]) == [("sla_breach", None)]
    assert _received(connection, people["boss"]) == [("sla_breach", None)]
