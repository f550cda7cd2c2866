"""Cost-to-serve and net profit from what the system records, worked by hand on both databases:
contacts and visits by the minute, tickets and complaints, returns handled, credit and rewards;
the profit and loss per tier, and a tier policy grading on net profit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tierwise.analytics.models import AnalyticsRun, CustomerIndicator
from tierwise.analytics.params import AnalyticsParams, CostRates, load_params
from tierwise.analytics.reports import build
from tierwise.bootstrap import App, bootstrap
from tierwise.config import Settings
from tierwise.customers.choices import CustomerKind, CustomerStatus, Direction
from tierwise.customers.models import Customer, Interaction
from tierwise.db import migrate
from tierwise.desk.models import Ticket
from tierwise.desk.workflow import TicketKind, TicketStatus
from tierwise.identity.access import SYSTEM
from tierwise.organisation.choices import InteractionChannel
from tierwise.organisation.models import Staff, StaffLevel, StaffRole
from tierwise.sales.models import Order, OrderLine
from tierwise.sales.service import add_order
from tierwise.tiering import service as tiering
from tierwise.tiering.models import Reward

from ..support.postgres import database_for

AS_OF = dt.date(2026, 6, 30)
RATES = CostRates(
    per_minute={**CostRates().per_minute, "phone": 2.0, "visit": 4.0, "email": 1.0},
    minutes={**CostRates().minutes, "phone": 6.0, "visit": 120.0},
    ticket=50.0,
    complaint=300.0,
    return_handled=20.0,
    credit_rate=0.073,
)
POLICY = """
name = "net profit"

[scorecard]
factors = [{ indicator = "net_profit", weight = 1 }]

[[tiers]]
code = "P"
name_zh = "盈利客户"
name_en = "Profitable"
rank = 1
when = "net_profit >= 1_000"

[[tiers]]
code = "Q"
name_zh = "其他客户"
name_en = "Others"
rank = 2
"""


def _at(day: str, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour), dt.UTC)


def _order(
    session: Session, code: str, customer: Customer, day: str, amount: str, cost: str, **kw: object
) -> Order:
    """An order of one line, flushed."""
    order = Order(code=code, customer_id=customer.id, order_date=dt.date.fromisoformat(day))
    session.add(order)
    session.flush()
    values = {"amount": Decimal(amount), "cost": Decimal(cost), **kw}
    session.add(OrderLine(order_id=order.id, line_no=1, **values))
    return order


def _contact(customer: Customer, channel: str, day: str, **kw: object) -> Interaction:
    return Interaction(
        customer_id=customer.id,
        occurred_at=_at(day),
        channel=InteractionChannel(channel),
        direction=Direction.OUTBOUND,
        **kw,
    )


def _ticket(customer: Customer, kind: TicketKind, day: str, hour: int = 10) -> Ticket:
    opened = _at(day, hour)
    return Ticket(
        customer_id=customer.id,
        kind=kind,
        channel="phone",
        subject="x",
        status=TicketStatus.RECORDED,
        priority=100,
        opened_at=opened,
        first_response_due=opened + dt.timedelta(hours=4),
        resolution_due=opened + dt.timedelta(days=2),
    )


def _reward(customer: Customer, day: str, value: str) -> Reward:
    return Reward(
        customer_id=customer.id,
        rule="thanks",
        period=day,
        name_zh="答谢",
        name_en="Thanks",
        value=Decimal(value),
        reason="test",
        granted_on=dt.date.fromisoformat(day),
    )


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[App]:
    """Three customers, everything that costs to serve them, committed (the extract reads it)."""
    url = database_for(request.param, "tierwise_test_costs", str(tmp_path_factory.mktemp("c")))
    migrate.upgrade(url)
    app = bootstrap(Settings(database_url=url))
    with app.uow() as uow:
        s = uow.session
        a, b, d = (Customer(code=k, name=k, kind=CustomerKind.ENTERPRISE) for k in "ABD")
        c = Customer(
            code="C", name="C", kind=CustomerKind.ENTERPRISE, status=CustomerStatus.PROSPECT
        )
        agent = Staff(code="S1", name="Agent", role=StaffRole.CSR, level=StaffLevel.JUNIOR)
        s.add_all([a, b, c, d, agent])
        s.flush()
        # A bought 10,000 on 30 days' credit: 10,000 × 30 / 365 × 7.3% = 60.
        _order(s, "O1", a, "2026-03-01", "10000", "7000").due_on = dt.date(2026, 3, 31)
        _order(s, "O9", a, "2026-07-05", "99999", "0").due_on = dt.date(2026, 9, 5)  # later
        sale_b = _order(s, "O2", b, "2026-02-01", "2000", "1500")
        _order(s, "R2", b, "2026-02-10", "-500", "-375", returns_order_id=sale_b.id)
        # D owes 7,300 from 06-20 to the snapshot (06-30, before the 07-20 due date): 10 days;
        # half came back on 06-25 and owes back 5 days: (7,300 × 10 − 3,650 × 5) / 365 × 7.3%.
        due = dt.date(2026, 7, 20)
        sale_d = _order(s, "O4", d, "2026-06-20", "7300", "7000")
        sale_d.due_on = due
        _order(s, "R4", d, "2026-06-25", "-3650", "-3500", returns_order_id=sale_d.id).due_on = due
        s.add_all(
            [
                # A: phone 10 min logged, phone unlogged (6 min), a visit unlogged (120 min),
                # and a note the system wrote by itself, which costs nothing.
                _contact(a, "phone", "2026-03-02", minutes=10.0, staff_id=agent.id),
                _contact(a, "phone", "2026-04-02", staff_id=agent.id),
                _contact(a, "visit", "2026-05-02", staff_id=agent.id),
                _contact(a, "other", "2026-05-03"),
                _contact(a, "phone", "2026-07-02", minutes=500.0),  # after the snapshot
                # B: an email of 4 minutes; C: a phone call of 3 minutes and 5 minutes of other.
                _contact(b, "email", "2026-02-03", minutes=4.0),
                _contact(c, "phone", "2026-06-01", minutes=3.0, staff_id=agent.id),
                _contact(c, "other", "2026-06-02", minutes=5.0, staff_id=agent.id),
                _ticket(a, TicketKind.COMPLAINT, "2026-03-10"),
                _ticket(b, TicketKind.REQUEST, "2026-02-11"),
                _ticket(b, TicketKind.COMPLAINT, "2026-07-11"),  # after the snapshot
                # The snapshot's day ends at midnight in Shanghai (16:00 UTC): D's request at
                # 23:00 there counts, B's at 01:00 the next morning does not.
                _ticket(d, TicketKind.REQUEST, "2026-06-30", hour=15),
                _ticket(b, TicketKind.REQUEST, "2026-06-30", hour=17),
                _reward(b, "2026-04-01", "100"),
                _reward(c, "2026-07-01", "700"),  # after the snapshot
            ]
        )
        uow.commit()
    yield app
    app.engine.dispose()


def _rows(app: App) -> dict[str, CustomerIndicator]:
    with app.uow(reads=True) as uow:
        query = select(Customer.code, CustomerIndicator).join(
            Customer, Customer.id == CustomerIndicator.customer_id
        )
        run = uow.session.scalar(select(AnalyticsRun.id).order_by(AnalyticsRun.id.desc()))
        rows = uow.session.execute(query.where(CustomerIndicator.run_id == run)).all()
        uow.session.expunge_all()
        return {code: row for code, row in rows}


def test_every_kind_of_cost_worked_by_hand(served: App) -> None:
    served.recomputes.run(AS_OF, "test", AnalyticsParams(costs=RATES))
    rows = _rows(served)
    a, b, c = rows["A"], rows["B"], rows["C"]
    # A: contacts (10 + 6) × 2 = 32; visit 120 × 4 = 480; one complaint 300; credit 60.
    assert (a.cost_contacts, a.cost_visits, a.cost_complaints) == (32, 480, 300)
    assert (a.cost_credit, a.cost_tickets, a.cost_returns, a.cost_rewards) == (60, 0, 0, 0)
    assert a.cost_to_serve == 872
    assert a.gross_profit == 3000 and a.net_profit == 2128
    # B: email 4 × 1; one request 50; the return handled 20; a reward worth 100.
    assert (b.cost_contacts, b.cost_tickets, b.cost_returns, b.cost_rewards) == (4, 50, 20, 100)
    assert b.cost_to_serve == 174
    assert b.gross_profit == 375 and b.net_profit == 201
    # C never bought: serving it cost 3 × 2 + 5 × 1 (other at its default rate) = 11.
    assert c.cost_to_serve == 11 and c.gross_profit is None and c.net_profit == -11
    # D: credit 14.60 − 3.65 = 10.95, its return handled 20, a request 50; gross 300 − 150.
    assert (rows["D"].cost_credit, rows["D"].cost_returns) == (Decimal("10.95"), 20)
    assert rows["D"].cost_tickets == 50
    assert rows["D"].gross_profit == 150 and rows["D"].net_profit == Decimal("69.05")


def test_the_profit_and_loss_per_tier_and_a_policy_grading_on_net_profit(served: App) -> None:
    with served.uow() as uow:
        tiering.apply_policy(uow, SYSTEM, POLICY, "net.toml", "test")
        uow.commit()
    result = served.recomputes.run(AS_OF, "test", AnalyticsParams(costs=RATES))
    rows = _rows(served)
    assert {code: row.tier for code, row in rows.items()} == {
        "A": "P",
        "B": "Q",
        "C": "Q",
        "D": "Q",
    }
    with served.uow(reads=True) as uow:
        run = uow.session.get(AnalyticsRun, result.run_id)
        assert run is not None
        report = build(uow.session, run, "pnl")
    by_tier = {r[0]: r for r in report.rows}
    # tier, customers, sales, gross, 7 kinds, cost to serve, net, net per customer, cost ÷ gross
    assert by_tier["P"][1:4] == [1, 10000, 3000]
    assert by_tier["P"][11:15] == [872, 2128, 2128, pytest.approx(872 / 3000)]
    # Q: B, C and D — each sum rounded to the yuan, net = gross − cost to serve.
    assert by_tier["Q"][1:4] == [3, 1500 + 3650, 375 + 150]
    assert by_tier["Q"][4:12] == [4 + 11, 0, 50 + 50, 0, 20 + 20, 11, 100, 266]
    assert by_tier["Q"][12] == 525 - 266
    total = report.rows[-1]
    assert total[1:4] == [4, 15150, 3525] and total[11:13] == [872 + 266, 3525 - 1138]
    assert result.headline["cost_to_serve"] == pytest.approx(1137.95)
    assert result.headline["total_net_profit"] == pytest.approx(3525 - 1137.95)
    # The net whale curve ranks the buyers: A, B and D (C never bought).
    assert result.headline["buyers_net_profit"] == pytest.approx(2128 + 201 + 69.05)


def test_unit_costs_come_from_the_parameters_file_and_bad_ones_are_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "p.toml"
    path.write_text("[costs]\nticket = 80\nper_minute = { visit = 5 }\n", encoding="utf-8")
    rates = load_params(path, "day").costs
    assert rates.ticket == 80 and rates.rate("visit") == 5 and rates.rate("phone") == 1.5
    for text, said in [
        ("[costs]\nticket = -1\n", "ticket: -1 is not an amount of zero or more"),
        ("[costs]\nper_minute = { fax = 1 }\n", "unknown channel fax"),
        ("[costs]\nlunch = 1\n", "unknown setting lunch"),
    ]:
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ValueError, match=said) as raised:
            load_params(path, "day")
        assert str(path) in str(raised.value)


def test_an_order_regrades_at_once_on_its_net_profit(served: App) -> None:
    """One policy, two speeds: D's order lifts its gross profit, and its net profit follows at
    once with the cost to serve of the last recompute (80.95)."""
    with served.uow() as uow:
        tiering.apply_policy(uow, SYSTEM, POLICY, "net.toml", "test")
        uow.commit()
    served.recomputes.run(AS_OF, "test", AnalyticsParams(costs=RATES))
    assert _rows(served)["D"].tier == "Q"
    with served.uow() as uow:
        recorded = add_order(
            uow,
            SYSTEM,
            "D",
            dt.date(2026, 6, 30),
            Decimal("2100"),
            Decimal("1100"),
            today=AS_OF,
            latest_date=AS_OF,
        )
        uow.commit()
    # gross 150 + 1,000 = 1,150; net 1,150 − 80.95 = 1,069.05 ≥ 1,000
    assert recorded.tier == "P"
