"""The composition report on a small company worked by hand: biggest customers, customers lost,
complaints (added by the desk), and spend, margin and product mix per tier."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal as D

import pytest
from sqlalchemy.orm import Session

from tierwise.analytics.composition import composition, default_year
from tierwise.analytics.models import AnalyticsRun, CustomerIndicator
from tierwise.bootstrap import App
from tierwise.customers.choices import ChurnType, CustomerKind, CustomerStatus
from tierwise.customers.models import Customer
from tierwise.customers.surveys import Survey
from tierwise.desk.models import Ticket, TicketStep
from tierwise.desk.workflow import TicketKind, TicketStatus
from tierwise.identity.access import SYSTEM, Forbidden
from tierwise.identity.roles import RowScope
from tierwise.organisation.models import Staff, StaffLevel, StaffRole
from tierwise.sales.models import Order, OrderLine, Product

AS_OF = dt.date(2026, 6, 30)
UTC = dt.UTC


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def _company(session: Session) -> dict[str, Customer]:
    """Five customers; A owned by staff S1. Sales 2025 net of returns: A 700, B 400, C 200,
    D 100, E none (company 1,400). Tiers of the snapshot: A → A, B and C → B, D and E none."""
    owner = Staff(code="S1", name="Owner", role=StaffRole.ACCOUNT_MANAGER, level=StaffLevel.SENIOR)
    session.add(owner)
    session.flush()
    people = {
        "A": Customer(code="A", name="Alpha", kind=CustomerKind.ENTERPRISE, owner_id=owner.id),
        "B": Customer(code="B", name="Beta", kind=CustomerKind.ENTERPRISE),
        "C": Customer(
            code="C",
            name="Gamma",
            kind=CustomerKind.ENTERPRISE,
            status=CustomerStatus.CHURNED,
            churn_type=ChurnType.COMPETITOR,
        ),
        "D": Customer(code="D", name="Delta", kind=CustomerKind.ENTERPRISE),
        "E": Customer(
            code="E", name="Epsilon", kind=CustomerKind.ENTERPRISE, status=CustomerStatus.CHURNED
        ),
    }
    paper, desks = (
        Product(code="P1", name="Paper", category="paper"),
        Product(code="P2", name="Desk", category="desks"),
    )
    session.add_all([*people.values(), paper, desks])
    session.flush()
    lines = [  # customer, day, department, product, amount, cost, returns
        ("A", "2023-03-01", "IT", paper, "100", "60", None),
        ("A", "2024-05-01", "IT", paper, "200", "150", None),
        ("A", "2025-02-01", "IT", paper, "300", "200", None),
        ("A", "2025-08-01", "HR", desks, "500", None, None),
        ("A", "2025-09-01", "IT", paper, "-100", "-70", "A-2025-02-01"),
        ("A", "2026-01-10", "IT", paper, "1000", "500", None),  # after the year
        ("A", "2026-07-05", "IT", paper, "9000", "1", None),  # after the snapshot
        ("B", "2025-03-01", "Sales", desks, "400", "300", None),
        ("C", "2024-06-01", None, paper, "50", "20", None),
        ("C", "2025-04-01", None, paper, "200", "100", None),
        ("D", "2025-11-15", None, desks, "100", "90", None),
        ("E", "2024-02-01", None, paper, "50", "10", None),
    ]
    orders: dict[str, Order] = {}
    for code, day, department, product, amount, cost, returns in lines:
        order = Order(
            code=f"{code}-{day}",
            customer_id=people[code].id,
            order_date=dt.date.fromisoformat(day),
            department=department,
        )
        session.add(order)
        session.flush()
        orders[order.code] = order
        session.add(
            OrderLine(
                order_id=order.id,
                line_no=1,
                product_id=product.id,
                amount=D(amount),
                cost=None if cost is None else D(cost),
                returns_order_id=orders[returns].id if returns else None,
            )
        )
    run = AnalyticsRun(
        as_of=AS_OF, engine="duckdb", time_unit="day", customers=5, parameters={}, headline={}
    )
    session.add(run)
    session.flush()
    snapshot = {  # tier, churned by the model, last order
        "A": ("A", False, "2026-01-10"),
        "B": ("B", False, "2025-03-01"),
        "C": ("B", True, "2025-04-01"),
        "D": (None, True, "2025-11-15"),  # lost by its purchase pattern only
        "E": (None, True, "2024-02-01"),  # lost, but before the year
    }
    for code, (tier, churned, last) in snapshot.items():
        session.add(
            CustomerIndicator(
                run_id=run.id,
                customer_id=people[code].id,
                tier=tier,
                churned=churned,
                last_order=dt.date.fromisoformat(last),
            )
        )
    session.flush()
    return people


def _complaints(session: Session, people: dict[str, Customer]) -> None:
    """C's complaint resolved in 3 days and closed with a CSAT of 4; A's judged invalid after
    0.6 days; B's still with a department; A's request and B's complaint of 2024 do not count."""
    tickets = [  # customer, kind, opened, status, resolved, department, steps (status, note)
        ("C", TicketKind.COMPLAINT, "2025-03-10T09:00", TicketStatus.CLOSED, "2025-03-13T09:00",
         "Quality", [("judged", "valid"), ("evaluated", None), ("closed", "refund given")]),
        ("A", TicketKind.COMPLAINT, "2025-05-01T08:00", TicketStatus.CLOSED, "2025-05-01T22:24",
         None, [("closed", "not our fault")]),
        ("B", TicketKind.COMPLAINT, "2025-12-01T10:00", TicketStatus.ASSIGNED, None,
         "Logistics", [("judged", "valid"), ("assigned", None)]),
        ("A", TicketKind.REQUEST, "2025-06-01T10:00", TicketStatus.RESOLVED, "2025-06-02T10:00",
         None, []),
        ("B", TicketKind.COMPLAINT, "2024-12-31T10:00", TicketStatus.RECORDED, None, None, []),
    ]  # fmt: skip
    for code, kind, opened, status, resolved, department, steps in tickets:
        ticket = Ticket(
            customer_id=people[code].id,
            kind=kind,
            channel="phone",
            subject="s",
            status=status,
            tier=None,
            priority=100,
            department=department,
            opened_at=_at(opened),
            first_response_due=_at(opened),
            resolution_due=_at(opened),
            resolved_at=_at(resolved) if resolved else None,
            paused_seconds=0.0,
        )
        session.add(ticket)
        session.flush()
        session.add(TicketStep(ticket_id=ticket.id, at=_at(opened), to_status="recorded"))
        for to, note in steps:
            session.add(TicketStep(ticket_id=ticket.id, at=_at(opened), to_status=to, note=note))
        if code == "C":
            answered = dt.date(2025, 3, 14)
            session.add(Survey(code=f"ticket-{ticket.id}", customer_id=ticket.customer_id,
                               answered_on=answered, csat=4))  # fmt: skip
    session.flush()


def test_the_sections_of_a_year_worked_by_hand(app: App, english: None) -> None:
    with app.uow() as uow:
        people = _company(uow.session)
        _complaints(uow.session, people)
        run = uow.session.query(AnalyticsRun).one()
        report = composition(uow, SYSTEM, run, None, 2)
    assert report.year == 2025  # the last whole year before 30 June 2026
    biggest, lost, complaints, tiers, mix = report.sections
    assert biggest.columns[3:6] == ["sales 2023", "sales 2024", "sales 2025"]
    assert biggest.rows == [
        ["A", "Alpha", "A", D("100.00"), D("200.00"), D("700.00"), 2, 2, pytest.approx(0.5)],
        ["B", "Beta", "B", D("0.00"), D("0.00"), D("400.00"), 1, 1, pytest.approx(400 / 1400)],
    ]
    assert biggest.notes == ["These 2 customers bought 78.6% of the company's sales in 2025."]
    assert lost.rows == [
        ["C", "Gamma", "B", dt.date(2025, 4, 1), D("200.00"), D("100.00"), "on file",
         "Lured by a competitor"],
        ["D", "Delta", "—", dt.date(2025, 11, 15), D("100.00"), D("10.00"),
         "by purchase pattern", "not known"],
    ]  # fmt: skip
    assert lost.notes == [
        "2 customers lost after buying in 2025: 300.00 of sales (21.4% of the company's); "
        "why is known for 1."
    ]
    assert [r[0] for r in complaints.rows] == ["C", "A", "B"]
    assert [r[3:] for r in complaints.rows] == [
        [dt.date(2025, 3, 10), "Quality", "resolved, effect evaluated", "refund given", 4, 3.0],
        [dt.date(2025, 5, 1), "—", "judged invalid", "not our fault", None, 0.6],
        [dt.date(2025, 12, 1), "Logistics", "open: Assigned to a department", "—", None, None],
    ]
    assert complaints.notes == [
        "3 complaints from 3 customers in 2025.",
        "Resolved in 1.8 days on average (calendar days, opening to resolution).",
    ]
    # Margins over costed lines: A (300 − 200) + (−100 + 70) = 70 on 200; B 100 + 100 on 600.
    assert tiers.rows == [
        ["A", 1, 1, D("700.00"), pytest.approx(0.5), D("700.00"), D("70.00"), pytest.approx(0.35)],
        ["B", 2, 2, D("600.00"), pytest.approx(600 / 1400), D("300.00"), D("200.00"),
         pytest.approx(1 / 3)],
        ["no tier", 2, 1, D("100.00"), pytest.approx(100 / 1400), D("100.00"), D("10.00"),
         pytest.approx(0.1)],
    ]  # fmt: skip
    assert mix.columns == [
        "tier",
        "desks",
        "paper",
    ]  # by the company's sales of each, 1,000 and 400
    assert mix.rows == [
        ["A", pytest.approx(5 / 7), pytest.approx(2 / 7)],
        ["B", pytest.approx(4 / 6), pytest.approx(2 / 6)],
        ["no tier", pytest.approx(1.0), None],
    ]


def test_named_lists_keep_to_the_readers_scope_and_pseudonyms_see_only_tiers(
    app: App, english: None
) -> None:
    with app.uow() as uow:
        people = _company(uow.session)
        _complaints(uow.session, people)
        run = uow.session.query(AnalyticsRun).one()
        owner = uow.session.query(Staff).one()
        own = replace(SYSTEM, username="am", row_scope=RowScope.OWN, staff_id=owner.id)
        biggest, lost, complaints, tiers, _mix = composition(uow, own, run, 2025, 10).sections
        assert [r[0] for r in biggest.rows] == ["A"]
        assert biggest.rows[0][-1] == pytest.approx(0.5)  # still a share of the whole company
        assert lost.rows == []
        assert [r[0] for r in complaints.rows] == ["A"]
        assert [r[3] for r in tiers.rows] == [D("700.00"), D("600.00"), D("100.00")]
        analyst = replace(SYSTEM, row_scope=RowScope.PSEUDONYMOUS)
        sections = composition(uow, analyst, run, 2025, 10).sections
        assert [s.title for s in sections] == [tiers.title, _mix.title]
        with pytest.raises(Forbidden):
            composition(uow, replace(SYSTEM, permissions=frozenset()), run, 2025, 10)
        with pytest.raises(ValueError, match="year 2027 is after the snapshot of 2026-06-30"):
            composition(uow, SYSTEM, run, 2027, 10)


def test_the_default_year_is_the_last_whole_one() -> None:
    assert default_year(dt.date(2026, 6, 30)) == 2025
    assert default_year(dt.date(2026, 12, 31)) == 2026
