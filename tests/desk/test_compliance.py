"""SLA compliance on SQLite and PostgreSQL, figured by hand on a small seeded November: per agent
and per team, one breach, a clock still running, calls within their threshold; the CSV in the
reader's language; a manager sees their team, an agent themselves; bad periods refused."""

from __future__ import annotations

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, insert

from tierwise.customers.models import Customer
from tierwise.desk.compliance import Compliance, as_csv, compliance, period_of
from tierwise.desk.models import ContactStatus, QueueContact, SlaBreach, Ticket
from tierwise.i18n import set_language
from tierwise.identity.access import SYSTEM, Forbidden, Principal
from tierwise.identity.roles import RowScope
from tierwise.organisation.models import Staff

ZONE = ZoneInfo("Asia/Shanghai")
NOVEMBER = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
NOW = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)


def at(day: int, hour: int = 10, month: int = 11) -> dt.datetime:
    """A moment of 2026, Shanghai time, as UTC."""
    return dt.datetime(2026, month, day, hour, tzinfo=ZONE).astimezone(dt.UTC)


def person(conn: Connection, code: str, name: str, role: str, team: str) -> int:
    """A staff member's id."""
    return conn.execute(
        insert(Staff.__table__)
        .values(code=code, name=name, role=role, level="junior", team=team)
        .returning(Staff.id)
    ).scalar_one()


def ticket(
    conn: Connection,
    customer: int,
    assignee: int,
    first: tuple[dt.datetime, dt.datetime | None],
    resolution: tuple[dt.datetime, dt.datetime | None],
) -> int:
    """A ticket with its clocks' due and done times."""
    return conn.execute(
        insert(Ticket.__table__)
        .values(
            customer_id=customer,
            kind="request",
            channel="phone",
            subject="s",
            status="assigned",
            tier="B",
            priority=100,
            assignee_id=assignee,
            opened_at=first[0] - dt.timedelta(hours=4),
            first_response_due=first[0],
            first_response_at=first[1],
            resolution_due=resolution[0],
            resolved_at=resolution[1],
            paused_seconds=0.0,
        )
        .returning(Ticket.id)
    ).scalar_one()


def answered(conn: Connection, agent: int, arrived: dt.datetime, wait: int) -> None:
    """A call `agent` answered after `wait` seconds, its tier's threshold twenty."""
    conn.execute(
        insert(QueueContact.__table__).values(
            caller="1",
            lane=1,
            priority=0,
            queue_key=0.0,
            answer_seconds=20,
            status=ContactStatus.TAKEN,
            arrived_at=arrived,
            taken_at=arrived + dt.timedelta(seconds=wait),
            taken_by=agent,
        )
    )


@pytest.fixture
def desk(connection: Connection) -> dict[str, int]:
    """Team East: a manager with nothing due, 王芳 (one breach) and 李雷 (a clock running);
    team West: 张伟, everything on time."""
    conn = connection
    customer = conn.execute(
        insert(Customer.__table__)
        .values(code="K1", name="K1", kind="enterprise", status="active")
        .returning(Customer.id)
    ).scalar_one()
    ids = {
        "m": person(conn, "M1", "赵经理", "manager", "East"),
        "a1": person(conn, "A1", "王芳", "csr", "East"),
        "a2": person(conn, "A2", "李雷", "csr", "East"),
        "b1": person(conn, "B1", "张伟", "csr", "West"),
    }
    late = ticket(conn, customer, ids["a1"], (at(10), at(10, 9)), (at(12), at(13)))
    conn.execute(
        insert(SlaBreach.__table__).values(
            ticket_id=late, customer_id=customer, clock="resolution", due=at(12), noticed_at=at(12)
        )
    )
    ticket(conn, customer, ids["a1"], (at(11), None), (at(20, month=12), None))  # never answered
    ticket(conn, customer, ids["a2"], (at(15), at(15, 8)), (at(20), at(20, 9)))
    ticket(conn, customer, ids["a2"], (at(28), None), (at(29), None))  # still running on the 27th
    ticket(conn, customer, ids["b1"], (at(5), at(5, 9)), (at(6), at(6)))
    ticket(conn, customer, ids["b1"], (at(5, month=12), None), (at(6, month=12), None))  # later
    answered(conn, ids["a1"], at(3), 10)
    answered(conn, ids["a1"], at(4), 30)  # over the threshold
    answered(conn, ids["a1"], at(3, month=12), 5)  # after the period
    answered(conn, ids["b1"], at(4), 20)
    return ids


def figures(row: Compliance) -> tuple[int, ...]:
    """A line's counts in the order of the class."""
    return (
        row.first_due,
        row.first_met,
        row.first_late,
        row.resolution_due,
        row.resolution_met,
        row.resolution_late,
        row.breaches,
        row.calls_answered,
        row.calls_within,
    )


def principal(role: str, scope: RowScope, staff: int, team: str | None) -> Principal:
    """A signed-in reader of the given scope who may read tickets."""
    return Principal(
        username=role,
        kind="human",
        role=role,
        permissions=frozenset({"tickets.read"}),
        row_scope=scope,
        personal_fields=frozenset(),
        staff_id=staff,
        team=team,
    )


def test_per_agent_figures_as_counted_by_hand(connection: Connection, desk: dict[str, int]) -> None:
    report = compliance(connection, SYSTEM, "Asia/Shanghai", NOVEMBER, "agent", NOW)
    rows = {row.name: row for row in report.rows}
    assert list(rows) == ["李雷", "王芳", "张伟"]  # by team, then name; the manager had nothing
    assert figures(rows["王芳"]) == (2, 1, 1, 1, 0, 1, 1, 2, 1)
    assert figures(rows["李雷"]) == (2, 1, 0, 2, 1, 0, 0, 0, 0)
    assert figures(rows["张伟"]) == (1, 1, 0, 1, 1, 0, 0, 1, 1)
    assert (rows["王芳"].first_share, rows["王芳"].resolution_share) == (0.5, 0.0)
    assert rows["李雷"].first_share == 1.0  # the running clock is not judged yet
    assert rows["李雷"].calls_share is None and rows["王芳"].calls_share == 0.5


def test_per_team_figures_add_up_their_agents(connection: Connection, desk: dict[str, int]) -> None:
    report = compliance(connection, SYSTEM, "Asia/Shanghai", NOVEMBER, "team", NOW)
    rows = {row.name: row for row in report.rows}
    assert list(rows) == ["East", "West"]
    assert rows["East"].agents == 2 and rows["West"].agents == 1
    assert figures(rows["East"]) == (4, 2, 1, 3, 1, 1, 1, 2, 1)
    assert rows["East"].first_share == pytest.approx(2 / 3)
    assert figures(rows["West"]) == (1, 1, 0, 1, 1, 0, 0, 1, 1)


def test_the_csv_reads_in_the_readers_language(
    connection: Connection, desk: dict[str, int]
) -> None:
    report = compliance(connection, SYSTEM, "Asia/Shanghai", NOVEMBER, "agent", NOW)
    english = list(csv.reader(io.StringIO(as_csv(report))))
    assert english[0][:3] == ["Agent", "Team", "First responses due"]
    assert english[2] == [
        "王芳",
        "East",
        "2",
        "1",
        "1",
        "50.0%",
        "1",
        "0",
        "1",
        "0.0%",
        "1",
        "2",
        "1",
        "50.0%",
    ]
    set_language("zh_CN")
    chinese = list(csv.reader(io.StringIO(as_csv(report))))
    assert chinese[0][:3] == ["客服人员", "团队", "应首次响应"]
    assert chinese[2] == english[2]


def test_a_manager_sees_their_team_and_an_agent_themselves(
    connection: Connection, desk: dict[str, int]
) -> None:
    manager = principal("manager", RowScope.TEAM, desk["m"], "East")
    seen = compliance(connection, manager, "Asia/Shanghai", NOVEMBER, "agent", NOW)
    assert [row.name for row in seen.rows] == ["李雷", "王芳"]
    agent = principal("csr", RowScope.SERVED, desk["a1"], "East")
    mine = compliance(connection, agent, "Asia/Shanghai", NOVEMBER, "agent", NOW)
    assert [row.name for row in mine.rows] == ["王芳"]
    with pytest.raises(Forbidden, match="team figures are for managers"):
        compliance(connection, agent, "Asia/Shanghai", NOVEMBER, "team", NOW)
    reader = Principal("x", "human", "analyst", frozenset(), RowScope.ALL, frozenset())
    with pytest.raises(Forbidden):
        compliance(connection, reader, "Asia/Shanghai", NOVEMBER, "agent", NOW)


def test_bad_periods_and_groupings_are_refused_in_plain_words(connection: Connection) -> None:
    with pytest.raises(ValueError, match="From: 2026-13-01 is not a date"):
        period_of("2026-13-01", None, dt.date(2026, 11, 30))
    assert period_of(None, None, dt.date(2026, 11, 30)) == NOVEMBER
    backwards = (dt.date(2026, 11, 30), dt.date(2026, 11, 1))
    with pytest.raises(ValueError, match="To: 2026-11-01 is before From: 2026-11-30"):
        compliance(connection, SYSTEM, "Asia/Shanghai", backwards, "agent", NOW)
    with pytest.raises(ValueError, match="By: desk is not one of agent, team"):
        compliance(connection, SYSTEM, "Asia/Shanghai", NOVEMBER, "desk", NOW)
