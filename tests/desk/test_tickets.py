"""Tickets on SQLite and PostgreSQL: the complaint workflow, illegal moves, business-hours clocks
with pauses, breaches once, re-targeting on a tier change, and a survey on closing."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Connection, Row, insert, select

from tierwise.customers.models import Customer, Interaction
from tierwise.customers.surveys import Survey
from tierwise.desk import tickets
from tierwise.desk.models import SlaBreach, Ticket
from tierwise.desk.workflow import IllegalMove, TicketKind, TicketStatus
from tierwise.organisation.rules import default_rules_text, load_rules
from tierwise.tiering.models import CustomerTier, TierEvent, TierPolicy
from tierwise.tiering.policy import default_policy_text

RULES = load_rules(default_rules_text(), "default")
CAL = tickets.calendar(RULES, "Asia/Shanghai")
ZONE = ZoneInfo("Asia/Shanghai")
S = TicketStatus


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of November 2026, Shanghai time, as UTC."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=ZONE).astimezone(dt.UTC)


@pytest.fixture
def desk(connection: Connection) -> Connection:
    """The default tier policy and a customer in tier B and one in tier A."""
    connection.execute(
        insert(TierPolicy.__table__).values(
            version=1, name="d", source=default_policy_text(), document={}, active=True
        )
    )
    for code, tier in (("B1", "B"), ("A1", "A")):
        cid = connection.execute(
            insert(Customer.__table__)
            .values(code=code, name=code, kind="enterprise", status="active")
            .returning(Customer.id)
        ).scalar_one()
        connection.execute(
            insert(CustomerTier.__table__).values(
                customer_id=cid, tier=tier, since=dt.date(2026, 11, 1), reason="new"
            )
        )
    return connection


def ticket(conn: Connection, ticket_id: int) -> Row[Any]:
    """The ticket's row."""
    table = Ticket.__table__
    return conn.execute(select(table).where(table.c.id == ticket_id)).one()


def aware(moment: dt.datetime | None) -> dt.datetime | None:
    """SQLite gives naive UTC back."""
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def test_a_complaint_goes_through_its_workflow_and_closes_with_a_survey(desk: Connection) -> None:
    opened = local(2, 17)  # Monday 17:00; B: first response 4 h, resolution 24 h of business time
    tid = tickets.open_ticket(
        desk, RULES, CAL, "B1", TicketKind.COMPLAINT, "到货破损", "phone", opened, "li"
    )
    row = ticket(desk, tid)
    assert aware(row.first_response_due) == local(3, 12)  # 1 h Monday + 3 h Tuesday
    assert aware(row.resolution_due) == local(5, 14)  # 1 h + 9 + 9 + 5 h
    steps = [
        (S.JUDGED, "属实：包装不当", None),
        (S.ASSIGNED, None, "物流部"),
        (S.HANDLED, "已补发", None),
        (S.ANSWERED, "已电话告知客户", None),
        (S.EVALUATED, "客户满意", None),
    ]
    for minutes, (target, note, department) in enumerate(steps):
        tickets.move(desk, CAL, tid, target, local(3, 9, minutes), "li", note, department)
    tickets.move(desk, CAL, tid, S.CLOSED, local(3, 10), "li", survey=(5, 9))
    row = ticket(desk, tid)
    assert (row.status, row.department) == (S.CLOSED, "物流部")
    assert aware(row.first_response_at) == local(3, 9) and aware(row.resolved_at) == local(3, 9, 4)
    survey = desk.execute(select(Survey.csat, Survey.nps).where(Survey.code == f"ticket-{tid}"))
    assert tuple(survey.one()) == (5, 9)
    logged = desk.execute(
        select(Interaction.memo).where(Interaction.customer_id == row.customer_id)
    )
    assert len(logged.all()) == 6  # every move is a memo on the customer


def test_an_invalid_complaint_closes_at_once_with_its_reason(desk: Connection) -> None:
    tid = tickets.open_ticket(
        desk, RULES, CAL, "B1", TicketKind.COMPLAINT, "价格", "phone", local(2, 10), None
    )
    with pytest.raises(IllegalMove, match="reason"):
        tickets.move(desk, CAL, tid, S.CLOSED, local(2, 11), "li", "")
    tickets.move(desk, CAL, tid, S.CLOSED, local(2, 11), "li", "不属实：按合同价执行")
    assert ticket(desk, tid).status == S.CLOSED


def test_illegal_moves_are_refused_with_the_allowed_ones(desk: Connection) -> None:
    tid = tickets.open_ticket(
        desk, RULES, CAL, "B1", TicketKind.COMPLAINT, "x", "phone", local(2, 10), None
    )
    with pytest.raises(
        IllegalMove, match=re.escape("allowed: Judged valid (judged), Closed (closed)")
    ):
        tickets.move(desk, CAL, tid, S.HANDLED, local(2, 11), "li")
    tickets.move(desk, CAL, tid, S.JUDGED, local(2, 11), "li", "属实")
    with pytest.raises(IllegalMove, match="department"):
        tickets.move(desk, CAL, tid, S.ASSIGNED, local(2, 12), "li")
    with pytest.raises(LookupError):
        tickets.move(desk, CAL, 999_999, S.JUDGED, local(2, 12), "li", "x")


def test_waiting_on_the_customer_stops_the_clocks(desk: Connection) -> None:
    tid = tickets.open_ticket(
        desk, RULES, CAL, "B1", TicketKind.REQUEST, "发票", "email", local(2, 9), None
    )
    tickets.move(desk, CAL, tid, S.IN_PROGRESS, local(2, 10), "li")
    before = aware(ticket(desk, tid).resolution_due)
    tickets.move(desk, CAL, tid, S.WAITING, local(2, 11), "li")
    tickets.move(desk, CAL, tid, S.IN_PROGRESS, local(3, 11), "li")  # a business day later
    row = ticket(desk, tid)
    assert row.paused_seconds == 9 * 3600
    assert aware(row.resolution_due) == CAL.add(before, 9 * 3600)


def test_missed_clocks_become_breaches_once(desk: Connection) -> None:
    tid = tickets.open_ticket(
        desk, RULES, CAL, "B1", TicketKind.REQUEST, "x", "phone", local(2, 9), None
    )
    assert tickets.breaches(desk, local(2, 12)) == 0
    assert tickets.breaches(desk, local(2, 14)) == 1  # first response was due 13:00
    assert tickets.breaches(desk, local(9, 9)) == 1  # then the resolution
    assert tickets.breaches(desk, local(9, 10)) == 0
    clocks = desk.execute(select(SlaBreach.clock).where(SlaBreach.ticket_id == tid)).scalars()
    assert sorted(clocks) == ["first_response", "resolution"]


def test_a_tier_change_re_prioritises_and_re_targets_open_tickets(desk: Connection) -> None:
    tid = tickets.open_ticket(
        desk, RULES, CAL, "B1", TicketKind.REQUEST, "x", "phone", local(2, 9), None
    )
    before = ticket(desk, tid)
    customer = desk.execute(select(Customer.id).where(Customer.code == "B1")).scalar_one()
    desk.execute(
        CustomerTier.__table__.update().values(tier="A").where(CustomerTier.customer_id == customer)
    )
    desk.execute(
        insert(TierEvent.__table__).values(
            customer_id=customer, kind="tier_changed", tier="A", previous_tier="B", reason="upgrade"
        )
    )
    assert tickets.follow_tiers(desk, RULES, CAL) == 1
    after = ticket(desk, tid)
    assert after.priority < before.priority and after.tier == "A"
    assert aware(after.first_response_due) == local(2, 10)  # A: 1 h from opening
    assert aware(after.resolution_due) == local(2, 17)  # A: 8 h
