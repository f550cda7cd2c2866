"""A customer's purchase history: seasonal, trending orders with heavy-tailed sizes, and returns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tierwise.demo.customers import Plan
from tierwise.demo.world import Rows, World, money

FREQUENCY = {True: 4.4, False: 2.1}  # orders a year of a customer of latent value 1
LINES = {True: (0.22, 0.25, 0.2, 0.17, 0.16), False: (0.6, 0.28, 0.12)}
CHANNELS = {
    "agent": (("代理", 0.9), ("电话", 0.1)),
    True: (("电话", 0.4), ("线上", 0.45), ("门店", 0.15)),
    False: (("线上", 0.6), ("门店", 0.35), ("电话", 0.05)),
}


@dataclass(slots=True)
class History:
    """What the rest of the customer's rows need to know about its orders."""

    orders: int = 0
    lines: int = 0
    returns: int = 0
    revenue: int = 0  # cents, net of returns
    profit: int = 0
    last_order: int | None = None  # returns included: what "no orders for a year" looks at
    order_days: tuple[int, ...] = ()


def _weighted(world: World, options: tuple[tuple[str, float], ...]) -> str:
    x = world.rng.random()
    for option, w in options:
        x -= w
        if x < 0:
            return option
    return options[-1][0]


def _line_count(world: World, enterprise: bool) -> int:
    x = world.rng.random()
    for k, w in enumerate(LINES[enterprise], start=1):
        x -= w
        if x < 0:
            return k
    return len(LINES[enterprise])


def make_orders(world: World, plan: Plan, rows: Rows) -> History:
    """Orders over the buying period; about 2-3% of lines come back in a later return order."""
    rng, history = world.rng, History()
    if plan.prospect or plan.last <= plan.first:
        return history
    years = (plan.last - plan.first) / 365.25
    lam = FREQUENCY[plan.enterprise] * plan.value**0.4 * years * rng.gammavariate(4.0, 0.25)
    n = max(1, world.poisson(lam))
    m0, m1 = plan.trend
    days = sorted(world.seasonal_day(plan.first, plan.last, m0, m1) for _ in range(n))
    size = plan.value ** (0.6 if plan.enterprise else 0.55)
    channels = CHANNELS["agent" if plan.agent else plan.enterprise]
    returns: list[tuple[int, int, str, str | None, list[tuple[int, int, int, int, int]]]] = []
    basket = plan.basket
    for day in days:
        oid = world.next_id("orders")
        date = dt.date.fromordinal(day)
        channel = _weighted(world, channels)
        department = world.pick(plan.departments) if plan.departments else None
        rows.add(
            "orders",
            {
                "id": oid,
                "code": f"O{oid:08d}",
                "customer_id": plan.id,
                "order_date": date,
                "channel": channel,
                "department": department,
            },
        )
        promo = date.month == 11 and date.day <= 11
        k = min(_line_count(world, plan.enterprise), len(basket))
        returned: list[tuple[int, int, int, int, int]] = []
        for line_no, product in enumerate(rng.sample(basket, k), start=1):
            base = product.bulk if plan.enterprise else max(1.0, product.bulk / 8)
            qty = max(1, int(base * size * rng.lognormvariate(0, 0.5) + 0.5))
            discount = plan.discount_bp + (500 if promo else 0) + int(rng.random() * 200)
            amount = (product.price * qty * (10_000 - discount) + 5_000) // 10_000
            cost = product.cost * qty
            rows.add(
                "order_lines",
                {
                    "id": world.next_id("order_lines"),
                    "order_id": oid,
                    "line_no": line_no,
                    "product_id": product.id,
                    "quantity": qty,
                    "amount": money(amount),
                    "cost": money(cost),
                    "returns_order_id": None,
                },
            )
            history.lines += 1
            history.revenue += amount
            history.profit += amount - cost
            if rng.random() < plan.return_rate:
                back = qty if qty == 1 or rng.random() < 0.6 else 1 + int(rng.random() * (qty - 1))
                returned.append((product.id, back, qty, amount, cost))
        history.orders += 1
        if returned:
            return_day = day + 2 + int(rng.random() * 28)
            if return_day < world.end:
                returns.append((return_day, oid, channel, department, returned))
    returns.sort()
    for return_day, original, channel, department, returned in returns:
        oid = world.next_id("orders")
        rows.add(
            "orders",
            {
                "id": oid,
                "code": f"O{oid:08d}",
                "customer_id": plan.id,
                "order_date": dt.date.fromordinal(return_day),
                "channel": channel,
                "department": department,
            },
        )
        for line_no, (product_id, back, qty, amount, cost) in enumerate(returned, start=1):
            amount_back = -((amount * back + qty // 2) // qty)
            cost_back = -(cost // qty * back)
            rows.add(
                "order_lines",
                {
                    "id": world.next_id("order_lines"),
                    "order_id": oid,
                    "line_no": line_no,
                    "product_id": product_id,
                    "quantity": -back,
                    "amount": money(amount_back),
                    "cost": money(cost_back),
                    "returns_order_id": original,
                },
            )
            history.lines += 1
            history.revenue += amount_back
            history.profit += amount_back - cost_back
        history.orders += 1
        history.returns += 1
    history.order_days = tuple(days)
    history.last_order = max(days[-1], returns[-1][0]) if returns else days[-1]
    return history
