"""Synthetic customers, products, orders and order lines for bench/recompute.py, made with NumPy.

Deterministic for a given (customers, lines, seed). The shape follows what the BTYD models and the
indicators care about:

- 92% of customers buy; the rest are prospects with no orders.
- Each buyer has a first purchase day uniform over four years (2022-01-01 … 2025-12-31), a
  lifetime drawn from a mix of exponentials (a third leave within months, a third stay for
  years), and a purchase rate with a heavy (log-normal, σ = 1.2) tail: the top 1% of customers
  place ~15% of the orders. Repeat orders fall uniformly in the customer's active span, so several
  orders can land on one day (the BTYD summary collapses them).
- 1 + Poisson(1.5) lines an order, then adjusted so the total is exactly `lines`.
- A catalogue of 5,000 products in 40 categories with Zipf-like popularity; list prices
  log-normal; standard cost 45–102% of list (so some lines lose money), unknown for 5% of products.
- Spend per line: quantity 1 + Poisson(q) with q log-normal per customer (heavy-tailed spend),
  times list price, times a 0–20% discount.
- 1.5% of the lines are returned: a return order (1–30 days later, never after the as-of date)
  with negative lines pointing at the original order through returns_order_id.
- Logged contacts for 40% of buyers (the first 0–90 days before the first order), referrals by
  3% and one or two satisfaction surveys by 6% of them, so every part of the snapshot has data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

START = dt.date(2022, 1, 1)
AS_OF = dt.date(2025, 12, 31)
DAYS = (AS_OF - START).days + 1  # 1461
EPOCH_START = (START - dt.date(1970, 1, 1)).days
PRODUCTS = 5_000
CATEGORIES = 40
RETURN_SHARE = 0.015
LINES_PER_ORDER = 2.5
STAMP = "2026-01-01 00:00:00+00"


TABLES = ("customers", "products", "orders", "order_lines", "interactions", "referrals", "surveys")
FACTORS = ("company", "product", "service", "interaction", "emotion", "environment")


@dataclass
class Data:
    """The tables, ready for COPY (column names as in the schema)."""

    customers: pa.Table
    products: pa.Table
    orders: pa.Table
    order_lines: pa.Table
    interactions: pa.Table
    referrals: pa.Table
    surveys: pa.Table


def _codes(prefix: str, ids: np.ndarray, width: int) -> pa.Array:
    """Zero-padded codes (C0000001 …) for ids."""
    digits = pc.utf8_lpad(pa.array(ids).cast(pa.string()), width, "0")
    return pc.binary_join_element_wise(pa.scalar(prefix), digits, "")


def _dates(days: np.ndarray) -> pa.Array:
    """Day numbers since START as an Arrow date column."""
    return pa.array((days + EPOCH_START).astype(np.int32), pa.int32()).cast(pa.date32())


def _pick(rng: np.random.Generator, values: list[str | None], n: int, p: list[float]) -> pa.Array:
    """n values drawn with the given probabilities, as an Arrow column."""
    index = rng.choice(len(values), n, p=p)
    return pa.array(values, pa.string()).take(pa.array(index))


def generate(customers: int, lines: int, seed: int = 20261124) -> Data:
    """All four tables; about 2 GB of memory at 1M customers / 20M lines."""
    rng = np.random.default_rng(seed)
    n = customers

    # --- customers and their purchase processes
    buyer = rng.random(n) < 0.92
    birth = rng.integers(0, DAYS, n)
    mean_life = rng.choice([120.0, 600.0, 3000.0], n, p=[0.3, 0.4, 0.3])
    end = np.minimum(birth + rng.exponential(mean_life), DAYS - 1)
    active = np.where(buyer, end - birth, 0.0)
    rate = rng.lognormal(-0.72, 1.2, n)  # mean 1, heavy tail
    returns_target = round(lines * RETURN_SHARE)
    sale_lines = lines - returns_target
    orders_target = max(int(buyer.sum()), round(sale_lines / LINES_PER_ORDER))
    exposure = float(np.sum(rate * active))
    scale = (orders_target - int(buyer.sum())) / exposure if exposure > 0 else 0.0
    repeats = np.where(buyer, rng.poisson(scale * rate * active), 0)
    per_customer = buyer.astype(np.int64) + repeats
    orders_n = int(per_customer.sum())
    if orders_n > sale_lines:  # tiny --lines: keep every order at least one line
        raise SystemExit(f"--lines {lines} is too few for {orders_n} orders; use more lines")
    cust = np.repeat(np.arange(n), per_customer)  # 0-based customer index per sale order
    first = np.zeros(orders_n, bool)
    starts = np.cumsum(per_customer) - per_customer
    first[starts[per_customer > 0]] = True
    offset = np.where(first, 0.0, rng.random(orders_n) * active[cust])
    day = np.minimum(birth[cust] + np.floor(offset).astype(np.int64), DAYS - 1)

    kind = np.where(rng.random(n) < 0.35, "enterprise", "individual")
    enterprise = kind == "enterprise"
    gone_long = buyer & (end < DAYS - 365)
    status_draw = rng.random(n)
    status = np.where(
        ~buyer,
        "prospect",
        np.where(
            gone_long & (status_draw < 0.5),
            "dormant",
            np.where(gone_long & (status_draw < 0.7), "churned", "active"),
        ),
    )
    acquired = np.maximum(birth - rng.integers(0, 60, n), 0)
    ids = np.arange(1, n + 1)
    customers_table = pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "code": _codes("C", ids, 8),
            "name": pc.binary_join_element_wise(
                pa.scalar("客户"), pa.array(ids).cast(pa.string()), ""
            ),
            "kind": pa.array(kind, pa.string()),
            "status": pa.array(status, pa.string()),
            "region": _pick(
                rng, ["华东", "华南", "华北", "西南", "东北"], n, [0.3, 0.25, 0.2, 0.15, 0.1]
            ),
            "management_class": _pick(
                rng,
                ["regular", "potential", "key", "temporary", None],
                n,
                [0.6, 0.2, 0.05, 0.05, 0.1],
            ),
            "channel": _pick(rng, ["direct", "agent"], n, [0.8, 0.2]),
            "credit_rating": _pick(rng, ["A", "B", "C", "D", None], n, [0.2, 0.35, 0.25, 0.1, 0.1]),
            "acquired_on": _dates(acquired),
            "version": pa.array(np.ones(n, np.int64)),
            "created_at": pa.array([STAMP] * n, pa.string()),
            "updated_at": pa.array([STAMP] * n, pa.string()),
        }
    )

    # --- products
    pid = np.arange(1, PRODUCTS + 1)
    list_price = np.maximum(np.round(rng.lognormal(3.5, 1.0, PRODUCTS), 2), 0.5)
    std_cost = np.round(list_price * rng.uniform(0.45, 1.02, PRODUCTS), 2)
    cost_known = rng.random(PRODUCTS) >= 0.05
    category = _codes("类别", rng.integers(1, CATEGORIES + 1, PRODUCTS), 2)
    category = pc.if_else(
        pa.array(rng.random(PRODUCTS) < 0.02), pa.scalar(None, pa.string()), category
    )
    products_table = pa.table(
        {
            "id": pa.array(pid, pa.int64()),
            "code": _codes("P", pid, 5),
            "name": pc.binary_join_element_wise(
                pa.scalar("产品"), pa.array(pid).cast(pa.string()), ""
            ),
            "category": category,
            "list_price": pa.array(list_price),
            "standard_cost": pa.array(std_cost, mask=~cost_known),
            "active": pa.array(np.ones(PRODUCTS, bool)),
            "created_at": pa.array([STAMP] * PRODUCTS, pa.string()),
            "updated_at": pa.array([STAMP] * PRODUCTS, pa.string()),
        }
    )

    # --- sale lines
    k = 1 + rng.poisson(LINES_PER_ORDER - 1, orders_n)
    missing = sale_lines - int(k.sum())
    if missing > 0:
        np.add.at(k, rng.integers(0, orders_n, missing), 1)
    while missing < 0:
        shrinkable = np.flatnonzero(k > 1)
        take = rng.choice(shrinkable, min(-missing, shrinkable.size), replace=False)
        k[take] -= 1
        missing += take.size
    order_of_line = np.repeat(np.arange(orders_n), k)
    line_start = np.cumsum(k) - k
    line_no = np.arange(sale_lines) - np.repeat(line_start, k) + 1
    popularity = 1.0 / (np.arange(PRODUCTS) + 5.0) ** 1.05
    product = rng.choice(PRODUCTS, sale_lines, p=popularity / popularity.sum())
    spend = rng.lognormal(0.3, 0.9, n)
    quantity = 1 + rng.poisson(spend[cust[order_of_line]])
    discount = rng.uniform(0.8, 1.0, sale_lines)
    amount = np.round(quantity * list_price[product] * discount, 2)
    cost = np.round(quantity * std_cost[product], 2)
    costed = cost_known[product]

    # --- returns: a sample of sale lines, one return order per original order
    returned = np.sort(rng.choice(sale_lines, returns_target, replace=False))
    original, return_of_line = np.unique(order_of_line[returned], return_inverse=True)
    returns_n = original.size
    return_day = np.minimum(day[original] + rng.integers(1, 31, returns_n), DAYS - 1)
    r_counts = np.bincount(return_of_line, minlength=returns_n)
    r_line_no = np.arange(returns_target) - np.repeat(np.cumsum(r_counts) - r_counts, r_counts) + 1
    r_qty = rng.integers(1, quantity[returned] + 1)
    r_share = r_qty / quantity[returned]
    r_amount = -np.round(amount[returned] * r_share, 2)
    r_cost = -np.round(cost[returned] * r_share, 2)

    # --- order ids in date order (sale and return orders together), lines in order-id order
    all_day = np.concatenate([day, return_day])
    all_cust = np.concatenate([cust, cust[original]])
    order_rank = np.lexsort((np.arange(all_day.size), all_cust, all_day))
    order_id = np.empty(all_day.size, np.int64)
    order_id[order_rank] = np.arange(1, all_day.size + 1)
    is_return_order = np.arange(all_day.size) >= orders_n
    channel_pick = rng.integers(0, 4, orders_n)
    dept_pick = np.where(enterprise[cust], rng.integers(0, 4, orders_n), 4)
    channel_all = np.concatenate([channel_pick, channel_pick[original]])
    dept_all = np.concatenate([dept_pick, dept_pick[original]])
    by_id = order_rank  # position of order with id i+1
    channels = pa.array(["线上", "门店", "电话", "代理"], pa.string())
    departments = pa.array(["采购部", "行政部", "工程部", "研发部", None], pa.string())
    prefix = pc.if_else(pa.array(is_return_order[by_id]), pa.scalar("RO"), pa.scalar("SO"))
    orders_table = pa.table(
        {
            "id": pa.array(np.arange(1, all_day.size + 1), pa.int64()),
            "code": pc.binary_join_element_wise(
                prefix,
                pc.utf8_lpad(pa.array(np.arange(1, all_day.size + 1)).cast(pa.string()), 9, "0"),
                "",
            ),
            "customer_id": pa.array(all_cust[by_id] + 1, pa.int64()),
            "order_date": _dates(all_day[by_id]),
            "channel": channels.take(pa.array(channel_all[by_id])),
            "department": departments.take(pa.array(dept_all[by_id])),
        }
    )

    line_order = np.concatenate([order_id[order_of_line], order_id[orders_n + return_of_line]])
    line_nos = np.concatenate([line_no, r_line_no])
    sequence = np.lexsort((line_nos, line_order))
    qty_all = np.concatenate([quantity, -r_qty]).astype(np.float64)
    amount_all = np.concatenate([amount, r_amount])
    cost_all = np.concatenate([cost, r_cost])
    costed_all = np.concatenate([costed, costed[returned]])
    product_all = np.concatenate([product, product[returned]]) + 1
    returns_id = np.concatenate(
        [np.zeros(sale_lines, np.int64), order_id[original[return_of_line]]]
    )
    total = sale_lines + returns_target
    lines_table = pa.table(
        {
            "id": pa.array(np.arange(1, total + 1), pa.int64()),
            "order_id": pa.array(line_order[sequence], pa.int64()),
            "line_no": pa.array(line_nos[sequence], pa.int64()),
            "product_id": pa.array(product_all[sequence], pa.int64()),
            "quantity": pa.array(qty_all[sequence]),
            "amount": pa.array(amount_all[sequence]),
            "cost": pa.array(cost_all[sequence], mask=~costed_all[sequence]),
            "returns_order_id": pa.array(
                returns_id[sequence], pa.int64(), mask=returns_id[sequence] == 0
            ),
        }
    )
    return Data(
        customers_table,
        products_table,
        orders_table,
        lines_table,
        *_relationship(rng, buyer, birth),
    )


def _relationship(
    rng: np.random.Generator, buyer: np.ndarray, birth: np.ndarray
) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Logged contacts (40% of buyers: the first 0–90 days before the first order), referrals
    (3% of buyers) and satisfaction surveys (6% of buyers, one or two each)."""
    buyers = np.flatnonzero(buyer)
    # interactions
    who = buyers[rng.random(buyers.size) < 0.4]
    count = rng.integers(1, 4, who.size)
    cust = np.repeat(who, count)
    first = np.zeros(cust.size, bool)
    first[np.cumsum(count) - count] = True
    day = np.where(
        first,
        np.maximum(birth[cust] - rng.integers(0, 91, cust.size), 0),
        np.minimum(birth[cust] + rng.integers(0, 400, cust.size), DAYS - 1),
    )
    seconds = rng.integers(8 * 3600, 18 * 3600, cust.size)
    stamp = pc.strftime(
        pa.array((day + EPOCH_START) * 86_400 + seconds, pa.int64()).cast(pa.timestamp("s")),
        "%Y-%m-%d %H:%M:%S+00",
    )
    interactions = pa.table(
        {
            "id": pa.array(np.arange(1, cust.size + 1), pa.int64()),
            "customer_id": pa.array(cust + 1, pa.int64()),
            "occurred_at": stamp,
            "channel": _pick(
                rng,
                ["phone", "visit", "email", "wechat", "meeting", "other"],
                cust.size,
                [0.3, 0.15, 0.15, 0.3, 0.05, 0.05],
            ),
            "direction": _pick(rng, ["inbound", "outbound"], cust.size, [0.4, 0.6]),
            "outcome": _pick(
                rng,
                ["informed", "resolved", "follow_up", "order", None],
                cust.size,
                [0.3, 0.2, 0.2, 0.2, 0.1],
            ),
        }
    )
    # referrals
    who = buyers[rng.random(buyers.size) < 0.03]
    count = rng.integers(1, 3, who.size)
    cust = np.repeat(who, count)
    ids = np.arange(1, cust.size + 1)
    referrals = pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "referrer_id": pa.array(cust + 1, pa.int64()),
            "referred_name": pc.binary_join_element_wise(
                pa.scalar("被推荐人"), pa.array(ids).cast(pa.string()), ""
            ),
            "referred_on": _dates(
                np.minimum(birth[cust] + rng.integers(0, 700, cust.size), DAYS - 1)
            ),
        }
    )
    # surveys
    who = buyers[rng.random(buyers.size) < 0.06]
    count = rng.integers(1, 3, who.size)
    cust = np.repeat(who, count)
    n = cust.size
    ids = np.arange(1, n + 1)
    columns: dict[str, pa.Array] = {
        "id": pa.array(ids, pa.int64()),
        "code": _codes("SV", ids, 9),
        "customer_id": pa.array(cust + 1, pa.int64()),
        "answered_on": _dates(np.minimum(birth[cust] + rng.integers(0, 700, n), DAYS - 1)),
        "nps": pa.array(rng.integers(0, 11, n), mask=rng.random(n) < 0.1),
        "csat": pa.array(rng.integers(1, 6, n), mask=rng.random(n) < 0.1),
    }
    for factor in FACTORS:
        for side in ("expected", "perceived"):
            columns[f"{factor}_{side}"] = pa.array(rng.integers(1, 8, n), mask=rng.random(n) < 0.2)
    return interactions, referrals, pa.table(columns)
