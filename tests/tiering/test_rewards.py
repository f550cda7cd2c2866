"""Loyalty rewards: granted once per customer, rule and period by the daily run, to referrers at
a referred customer's first order, by hand with a reason, and used once before they expire."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tierwise.bootstrap import App
from tierwise.customers.choices import CustomerStatus
from tierwise.customers.models import Customer
from tierwise.customers.reads import customer_file
from tierwise.identity.access import SYSTEM
from tierwise.identity.models import AuditEntry
from tierwise.sales.models import Order
from tierwise.sales.service import add_order
from tierwise.tiering.models import CustomerTier, Reward
from tierwise.tiering.rewards import RewardRefused, grant_by_hand, grant_due, use_reward

from ..support.demo_db import graded_demo
from ..support.postgres import database_for
from ..support.units import in_unit

AS_OF = dt.date(2026, 11, 1)
TODAY = dt.date(2026, 11, 3)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def graded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[App]:
    """Demo data graded by the shipped policy, whose reward rules the tests use."""
    url = database_for(request.param, "tierwise_test_rewards", str(tmp_path_factory.mktemp("r")))
    app = graded_demo(url, customers=300, seed=9, as_of=AS_OF)
    yield app
    app.engine.dispose()


def test_the_daily_grants_go_to_long_standing_customers_of_the_rules_tiers_once(
    graded: App,
) -> None:
    first = in_unit(graded, grant_due, TODAY)
    assert first["loyal-3y"] > 0
    assert in_unit(graded, grant_due, TODAY) == {}  # the same period: nothing twice
    with graded.uow() as uow:
        rows = uow.session.execute(
            select(Reward, CustomerTier.tier, func.min(Order.order_date))
            .join(CustomerTier, CustomerTier.customer_id == Reward.customer_id)
            .join(Order, Order.customer_id == Reward.customer_id)
            .where(Reward.rule == "loyal-3y")
            .group_by(Reward.id, CustomerTier.tier)
        ).all()
    assert {tier for _r, tier, _f in rows} <= {"A", "B"}
    assert all(first_order <= dt.date(2023, 11, 3) for _r, _t, first_order in rows)
    reward = rows[0][0]
    assert reward.expires_on == TODAY + dt.timedelta(days=90) and reward.value == 500
    assert reward.period == "2026" and int(reward.reason.split()[0]) >= 3  # "7 years as …"


def test_anniversary_rewards_come_in_the_anniversary_month(graded: App) -> None:
    in_unit(graded, grant_due, TODAY)
    with graded.uow() as uow:
        months = uow.session.execute(
            select(Customer.acquired_on)
            .join(Reward, Reward.customer_id == Customer.id)
            .where(Reward.rule == "anniversary")
        ).scalars()
        assert {m.month for m in months if m is not None} <= {TODAY.month}


def test_a_referred_customers_first_order_rewards_the_referrer_once(graded: App) -> None:
    with graded.uow() as uow:
        referrer, newcomer = uow.session.scalars(
            select(Customer).where(Customer.id.not_in(select(Order.customer_id))).limit(2)
        ).all()
        newcomer.referred_by_id = referrer.id
        uow.commit()
        code, referrer_id = newcomer.code, referrer.id
    for amount in ("300.00", "200.00"):
        with graded.uow() as uow:
            add_order(
                uow,
                SYSTEM,
                code,
                TODAY,
                Decimal(amount),
                today=TODAY,
                latest_date=TODAY,
                payment=None,
            )
            uow.commit()
    with graded.uow() as uow:
        given = list(
            uow.session.scalars(
                select(Reward).where(Reward.customer_id == referrer_id, Reward.rule == "referral")
            )
        )
    assert len(given) == 1 and code in given[0].reason and given[0].value == 300


def test_a_reward_by_hand_needs_a_rule_and_a_reason_and_is_audited(graded: App) -> None:
    with graded.uow() as uow:
        code = uow.session.scalars(select(Customer.code).order_by(Customer.code)).first()
    assert code is not None
    with graded.uow() as uow, pytest.raises(ValueError, match="reason"):
        grant_by_hand(uow, SYSTEM, code, "loyal-3y", " ", TODAY)
    with graded.uow() as uow, pytest.raises(RewardRefused, match="loyal-3y"):
        grant_by_hand(uow, SYSTEM, code, "no-such-rule", "a good year", TODAY)
    reward = in_unit(graded, grant_by_hand, SYSTEM, code, "loyal-3y", "a good year", TODAY)
    with graded.uow() as uow, pytest.raises(RewardRefused, match="already"):
        grant_by_hand(uow, SYSTEM, code, "loyal-3y", "again", TODAY)
    with graded.uow() as uow:
        entry = uow.session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "grant", AuditEntry.resource_id == str(reward.id)
            )
        ).one()
        assert entry.note == "a good year"


def test_a_reward_is_used_once_and_never_after_it_expires(graded: App) -> None:
    in_unit(graded, grant_due, TODAY)
    with graded.uow() as uow:
        reward_id, expires = uow.session.execute(
            select(Reward.id, Reward.expires_on).where(Reward.used_on.is_(None)).limit(1)
        ).one()
        other = uow.session.scalar(
            select(Reward.id).where(Reward.used_on.is_(None), Reward.id != reward_id).limit(1)
        )
    in_unit(graded, use_reward, SYSTEM, reward_id, TODAY)
    with graded.uow() as uow, pytest.raises(RewardRefused, match="used"):
        use_reward(uow, SYSTEM, reward_id, TODAY)
    with graded.uow() as uow, pytest.raises(RewardRefused, match="expired"):
        use_reward(uow, SYSTEM, other, expires + dt.timedelta(days=1))


def test_the_customer_file_lists_its_rewards(graded: App) -> None:
    in_unit(graded, grant_due, TODAY)
    with graded.uow() as uow:
        code = uow.session.scalar(
            select(Customer.code).join(Reward, Reward.customer_id == Customer.id).limit(1)
        )
        assert code is not None
        _customer, detail = customer_file(uow, SYSTEM, code, "secret", TODAY)
    assert detail["rewards"] and all(r["name"] and r["reason"] for r in detail["rewards"])


def test_a_blacklisted_referrer_gets_no_referral_reward(graded: App) -> None:
    with graded.uow() as uow:
        referrer = uow.session.scalars(
            select(Customer).where(Customer.status == CustomerStatus.BLACKLISTED)
        ).first()
        newcomer = uow.session.scalars(
            select(Customer).where(Customer.id.not_in(select(Order.customer_id))).offset(5)
        ).first()
        assert referrer is not None and newcomer is not None
        newcomer.referred_by_id = referrer.id
        uow.commit()
        code, referrer_id = newcomer.code, referrer.id
    with graded.uow() as uow:
        add_order(uow, SYSTEM, code, TODAY, Decimal("300.00"), today=TODAY, latest_date=TODAY)
        uow.commit()
    with graded.uow() as uow:
        given = uow.session.scalar(
            select(func.count()).where(Reward.customer_id == referrer_id, Reward.rule == "referral")
        )
    assert given == 0
