"""Satisfaction surveys: some buying customers answer, and how they answer follows their story."""

from __future__ import annotations

import datetime as dt

from tierwise.customers.surveys import SatisfactionFactor
from tierwise.demo.customers import Plan
from tierwise.demo.orders import History
from tierwise.demo.world import Rows, World

MOOD = {"growing": 8.6, "steady": 7.6, "declining": 5.6, "dormant": 5.0, "churned": 3.8}


def _scale(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def make_surveys(world: World, plan: Plan, history: History, rows: Rows) -> None:
    """About two in five buyers answer one or two surveys; promoters are growing accounts."""
    if not history.order_days or not world.chance(0.45 if plan.enterprise else 0.3):
        return
    rng = world.rng
    first, last = history.order_days[0], min(world.end - 1, history.order_days[-1] + 30)
    for _ in range(1 + world.chance(0.3)):
        day = rng.randint(first, max(first, last))
        mood = MOOD.get(plan.trajectory, 7.0) + 0.4 * min(plan.value, 3.0) + rng.gauss(0, 1.4)
        nps = _scale(mood, 0, 10)
        row = {
            "id": world.next_id("surveys"),
            "code": f"S{world.count('surveys'):08d}",
            "customer_id": plan.id,
            "answered_on": dt.date.fromordinal(day),
            "nps": nps if world.chance(0.9) else None,
            "csat": _scale(1 + nps * 0.4 + rng.gauss(0, 0.5), 1, 5),
        }
        for factor in SatisfactionFactor:
            expected = _scale(rng.uniform(3, 5.4), 1, 5)
            row[f"{factor.value}_expected"] = expected
            row[f"{factor.value}_perceived"] = _scale(
                expected + (mood - 7) / 2.5 + rng.gauss(0, 0.7), 1, 5
            )
        rows.add("surveys", row)
