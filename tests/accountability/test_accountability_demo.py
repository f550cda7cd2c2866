"""The organisation on demo data: every active customer owned as its tier says, within capacity,
and a key account's downgrade raised against its owner."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from tierwise.accountability import assignment, service
from tierwise.accountability.models import AccountabilityItem, ItemKind
from tierwise.accountability.scorecard import scorecards
from tierwise.bootstrap import App
from tierwise.customers.models import Customer
from tierwise.identity.access import SYSTEM
from tierwise.organisation.models import Staff
from tierwise.organisation.rules import default_rules_text
from tierwise.organisation.service import active_rules
from tierwise.tiering.models import CustomerTier
from tierwise.tiering.policy import default_policy_text
from tierwise.tiering.service import apply_policy

from ..support.demo_db import committed_demo
from ..support.postgres import database_for
from ..support.units import in_unit

AS_OF = dt.date(2026, 11, 1)


def recompute(app: App, as_of: dt.date) -> None:
    """A recompute with the tier step."""
    app.recomputes.run(as_of, None)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def organised(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[App]:
    """Demo data graded, owned and tasked once."""
    url = database_for(request.param, "tierwise_test_org", str(tmp_path_factory.mktemp("o")))
    app = committed_demo(url, customers=500, seed=7, as_of=AS_OF)
    in_unit(app, apply_policy, SYSTEM, default_policy_text(), "default", "test")
    in_unit(app, service.apply_rules, default_rules_text(), "default", "test")
    recompute(app, AS_OF)
    in_unit(app, service.run_daily, AS_OF, app.settings.timezone)
    yield app
    app.engine.dispose()


def test_every_active_customer_is_owned_as_its_tier_says_within_capacity(organised: App) -> None:
    with organised.uow() as uow:
        conn = uow.connection
        rules = active_rules(conn)
        people = assignment.staff(conn, AS_OF)
        rows = conn.execute(
            select(Customer.id, Customer.owner_id, CustomerTier.tier)
            .join(CustomerTier, CustomerTier.customer_id == Customer.id)
            .where(Customer.status == "active")
        ).all()
        loads = {p.id: assignment.load_of(conn, rules, p.id) for p in people.values()}
    checked = 0
    for _customer, owner, tier in rows:
        tier_rules = rules.for_tier(tier)
        if tier_rules is None or tier_rules.owner is None:
            continue
        assert owner is not None and people[owner].fits(tier_rules.owner) and people[owner].active
        checked += 1
    assert checked > 200
    for person in people.values():
        assert person.capacity is None or loads[person.id] <= person.capacity, person.code


def test_a_key_account_downgrade_is_raised_against_its_owner(organised: App) -> None:
    with organised.uow() as uow:
        key, owner = uow.connection.execute(
            select(Customer.id, Customer.owner_id)
            .join(CustomerTier, CustomerTier.customer_id == Customer.id)
            .where(CustomerTier.tier == "A", Customer.status == "active")
            .order_by(Customer.id)
        ).first()
    stricter = (
        default_policy_text()
        .replace("sales_12m >= 40_000", "sales_12m >= 40_000_000")
        .replace('mode = "period"', 'mode = "immediate"')
        .replace("grace_days = 30", "grace_days = 0")
    )
    in_unit(organised, apply_policy, SYSTEM, stricter, "stricter", "test")
    recompute(organised, dt.date(2026, 12, 1))
    result = in_unit(
        organised, service.run_daily, dt.date(2026, 12, 1), organised.settings.timezone
    )
    assert result.items[ItemKind.KEY_ACCOUNT_DOWNGRADED] > 0
    with organised.uow() as uow:
        item = uow.session.scalars(
            select(AccountabilityItem).where(
                AccountabilityItem.customer_id == key,
                AccountabilityItem.kind == ItemKind.KEY_ACCOUNT_DOWNGRADED,
            )
        ).one()
    assert item.staff_id == owner and item.detail.startswith("downgraded from A")
    with organised.uow() as uow:
        staff_code = uow.session.get(Staff, owner).code
        cards = scorecards(uow.connection, "2026-12", ["A", "B", "C", "D"], dt.date(2026, 12, 1))
    card = next(c for c in cards.owners if c.code == staff_code)
    assert card.down >= 1  # the downgrade shows on the owner's scorecard
