"""Tier terms as written in the policy: checked when applied, compared tier by tier."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tierwise.sales.terms import Payment, Terms
from tierwise.tiering.policy import PolicyError, default_policy_text, load_policy


def with_b_terms(terms: str) -> str:
    """The shipped policy with tier B's terms replaced."""
    text = default_policy_text()
    start = text.index("[tiers.terms]", text.index('code = "B"'))
    end = text.index("[[tiers]]", start)
    return text[:start] + "[tiers.terms]\n" + terms + "\n\n" + text[end:]


def test_the_shipped_policy_gives_more_in_every_higher_tier() -> None:
    policy = load_policy(default_policy_text())
    assert policy.warnings == ()
    terms = [t.terms for t in policy.value_tiers]
    assert all(t is not None for t in terms)
    assert [t.discount_percent for t in terms if t] == sorted(
        (t.discount_percent for t in terms if t), reverse=True
    )
    assert all(t.benefits for t in terms[:3] if t)


def test_a_higher_tier_giving_less_than_the_one_below_is_a_warning() -> None:
    text = with_b_terms('discount_percent = 1\npayment = "prepaid"')
    policy = load_policy(text)
    [warning] = [w for w in policy.warnings if "tiers[B]" in w]
    assert "C" in warning


@pytest.mark.parametrize(
    ("terms", "problem"),
    [
        ('discount_percent = 5\npayment = "net"', "credit_days"),
        (
            'payment = "net"\ncredit_days = 30\ncredit_limit = 1\ncredit_limit_months = 2',
            "not both",
        ),
        ("discount = 5", "discount"),
        ('benefits = [{ zh = "优先发货" }]', "en"),
        ("discount_percent = 120", "discount_percent"),
        ('payment = "cash"', "payment"),
    ],
)
def test_terms_that_cannot_hold_are_refused_naming_the_tier(terms: str, problem: str) -> None:
    with pytest.raises(PolicyError) as refused:
        load_policy(with_b_terms(terms))
    assert "tiers.1.terms" in str(refused.value) and problem in str(refused.value)


def test_a_limit_by_months_of_sales_is_capped() -> None:
    terms = Terms(
        payment=Payment.NET, credit_days=30, credit_limit_months=3, credit_limit_cap=100_000
    )
    assert terms.credit_limit_for(Decimal(10_000)) == 30_000
    assert terms.credit_limit_for(Decimal(50_000)) == 100_000
    assert Terms().credit_limit_for(Decimal(50_000)) is None
    floored = Terms(
        payment=Payment.NET, credit_days=30, credit_limit_months=3, credit_limit_min=10_000
    )
    assert floored.credit_limit_for(Decimal(0)) == 10_000


def test_a_tier_allows_its_own_payment_and_every_stricter_one() -> None:
    on_delivery = Terms(payment=Payment.ON_DELIVERY)
    assert on_delivery.allows(Payment.PREPAID) and on_delivery.allows(Payment.ON_DELIVERY)
    assert not on_delivery.allows(Payment.NET)
