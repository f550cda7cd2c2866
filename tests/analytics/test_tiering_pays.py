"""When tiering pays: the repeat-purchase shares of a hand-built snapshot, and the verdict's three
conditions on figures worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from tierwise.analytics.extract import Facts
from tierwise.analytics.params import AnalyticsParams
from tierwise.analytics.snapshot import compute
from tierwise.analytics.verdict import judge
from tierwise.i18n import set_language

from ..support.facts import facts_of

AS_OF = dt.date(2026, 11, 1)


def _line(customer: int, order: int, day: str, amount: float, is_return: bool = False) -> dict:  # type: ignore[type-arg]
    return {
        "customer_id": customer,
        "order_id": order,
        "order_date": dt.date.fromisoformat(day),
        "department": None,
        "product_id": 1,
        "category": "parts",
        "amount": amount,
        "cost": amount * 0.6,
        "is_return": is_return,
    }


def _facts() -> Facts:
    lines = [
        # Customer 1: 100 first, then 50 and 50 on one later day (one repeat purchase of 100).
        _line(1, 1, "2026-01-05", 100.0),
        _line(1, 2, "2026-03-01", 50.0),
        _line(1, 3, "2026-03-01", 50.0),
        # Customer 2: 200 once, then a free replacement (a purchase of 0), then a return.
        _line(2, 4, "2026-02-01", 200.0),
        _line(2, 5, "2026-04-01", 0.0),
        _line(2, 6, "2026-04-10", -80.0, is_return=True),
        # Customer 3: one purchase of 300, never back.
        _line(3, 7, "2026-05-01", 300.0),
    ]
    return facts_of(AS_OF, lines, customers=4)  # customer 4 never bought


def test_the_repeat_shares_of_a_hand_built_snapshot() -> None:
    headline = compute(_facts(), AnalyticsParams()).headline
    # Purchase value 200 + 200 + 300 = 700, of which 100 (customer 1's second day) and 0
    # (customer 2's replacement) came back: 100 / 700. Two of three buyers came back.
    assert headline["buyers"] == 3
    assert headline["repeat_sales_share"] == pytest.approx(100 / 700)
    assert headline["repeat_buyers_share"] == pytest.approx(2 / 3)


HEADLINE = {
    "buyers": 150,
    "top_share": 0.2,
    "top_profit_share": 0.62,
    "largest_customer_sales_share": 0.031,
    "repeat_sales_share": 0.71,
    "repeat_buyers_share": 0.64,
}


def test_all_three_conditions_hold_and_say_their_figures() -> None:
    set_language("en")
    verdict = judge(HEADLINE, owners=3, capacity=40)
    assert verdict.pays
    span, repeat, spread = verdict.conditions
    assert span.figures == (
        "150 buying customers; 50 per owner (3 owners), against a capacity of 40 each"
    )
    assert repeat.figures == (
        "71% of purchase value from repeat purchases; 64% of buyers came back"
    )
    assert spread.figures == (
        "the top 20% carry 62% of profit; the largest customer brings 3.1% of sales"
    )
    assert verdict.summary == "Tiering pays: all three conditions hold."


@pytest.mark.parametrize(
    ("changes", "owners", "capacity", "failing"),
    [
        # Tens of customers, within what two owners of 40 can serve: no span problem yet.
        ({"buyers": 60}, 2, 40.0, ["more customers than the owners can serve equally"]),
        # The same 60 with one owner of capacity 40: more than they can serve.
        ({"buyers": 60}, 1, 40.0, []),
        # Customers mostly buy once.
        ({"repeat_sales_share": 0.3}, 3, None, ["customers buy repeatedly"]),
        # Values even and nobody above 5%: the spread does not hold.
        (
            {"top_profit_share": 0.35, "largest_customer_sales_share": 0.02},
            3,
            None,
            ["customer values differ markedly"],
        ),
        # Even spread but one customer is 8% of sales: a few dominate.
        ({"top_profit_share": 0.35, "largest_customer_sales_share": 0.08}, 3, None, []),
    ],
)
def test_each_condition_fails_on_its_own_figures(
    changes: dict[str, float], owners: int, capacity: float | None, failing: list[str]
) -> None:
    set_language("en")
    verdict = judge({**HEADLINE, **changes}, owners=owners, capacity=capacity)
    assert [c.name for c in verdict.conditions if not c.holds] == failing
    assert verdict.pays is (not failing)
    if len(failing) == 1:
        assert verdict.summary == (
            f"Tiering may pay, but one condition does not hold: {failing[0]}."
        )


def test_two_failing_conditions_say_tiering_does_not_pay_yet() -> None:
    set_language("en")
    verdict = judge({**HEADLINE, "buyers": 30, "repeat_sales_share": 0.1}, owners=3, capacity=None)
    assert verdict.summary == (
        "Tiering does not pay yet: more customers than the owners can serve equally and "
        "customers buy repeatedly do not hold."
    )


def test_repeat_purchases_all_at_zero_leave_the_spend_model_standing() -> None:
    # Twelve repeat buyers who paid, and one whose only repeat purchase was a free replacement:
    # the spend model is fitted on those who paid, and every buyer still gets a CLV.
    lines = []
    for customer in range(1, 13):
        lines += [
            _line(customer, customer * 10, "2026-01-05", 100.0 + customer),
            _line(customer, customer * 10 + 1, "2026-04-05", 80.0 + 3 * customer),
        ]
    lines += [_line(13, 131, "2026-02-01", 150.0), _line(13, 132, "2026-05-01", 0.0)]
    facts = facts_of(AS_OF, lines, customers=13)
    snapshot = compute(facts, AnalyticsParams())
    gamma_gamma = next(f for f in snapshot.fits if f.model == "gamma_gamma")
    assert gamma_gamma.n == 12
    rows = {r["customer_id"]: r for r in snapshot.indicators.to_pylist()}
    assert rows[13]["btyd_frequency"] == 1 and rows[13]["btyd_monetary"] == 0
    assert rows[13]["clv"] is not None


def test_a_snapshot_without_the_repeat_figures_cannot_tell_rather_than_fail() -> None:
    set_language("en")
    older = {k: v for k, v in HEADLINE.items() if not k.startswith("repeat_")}
    verdict = judge(older, owners=3, capacity=None)
    span, repeat, spread = verdict.conditions
    assert (span.holds, repeat.holds, spread.holds) == (True, None, True)
    assert repeat.mark == "?" and not verdict.pays
    assert verdict.summary == (
        "Tiering may pay; this snapshot cannot tell whether customers buy repeatedly."
    )
