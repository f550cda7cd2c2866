"""The files bench/import_orders.py imports: 50,000 customers, 60 products, and N order lines.

Generated once into bench/data/ and reused (seeded: the same `rows` always give the same file).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from harness import DATA

CUSTOMERS = 50_000
PRODUCTS = 60
ORDER_HEADER = [
    "order_code",
    "customer_code",
    "order_date",
    "product_code",
    "quantity",
    "amount",
    "cost",
    "channel",
    "department",
]


def write_reference_files() -> tuple[Path, Path]:
    """50,000 customers and 60 products, the same on every run."""
    DATA.mkdir(exist_ok=True)
    customers, products = DATA / "customers.csv", DATA / "products.csv"
    if not customers.exists():
        regions = ("华东", "华南", "华北", "西南", "东北")
        with customers.open("w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(["code", "name", "kind", "region"])
            for i in range(1, CUSTOMERS + 1):
                kind = "个人" if i % 3 == 0 else "企业"
                out.writerow([f"C{i:07d}", f"客户{i}", kind, regions[i % len(regions)]])
    if not products.exists():
        with products.open("w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(["code", "name", "category", "list_price", "standard_cost"])
            for i in range(1, PRODUCTS + 1):
                out.writerow(
                    [f"P{i:03d}", f"产品{i}", f"类别{i % 8}", f"{10 + i}.00", f"{6 + i}.00"]
                )
    return customers, products


def write_orders(rows: int) -> Path:
    """`rows` order lines, 1–5 lines an order, deterministic for a given `rows` (seeded)."""
    DATA.mkdir(exist_ok=True)
    path = DATA / f"orders_{rows}.csv"
    if path.exists():
        return path
    rng = random.Random(20261123)
    start = dt.date(2022, 1, 1).toordinal()
    channels = ("线上", "门店", "电话", "代理")
    departments = ("采购部", "行政部", "工程部", "", "")
    partial = path.with_suffix(".partial")
    with partial.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(ORDER_HEADER)
        written = order = 0
        while written < rows:
            order += 1
            customer = f"C{rng.randint(1, CUSTOMERS):07d}"
            day = dt.date.fromordinal(start + rng.randrange(1400)).isoformat()
            channel, department = rng.choice(channels), rng.choice(departments)
            for _ in range(min(rng.randint(1, 5), rows - written)):
                product = rng.randint(1, PRODUCTS)
                quantity = rng.randint(1, 20)
                amount = quantity * (10 + product) * rng.randint(80, 100) / 100
                out.writerow(
                    [
                        f"SO{order:09d}",
                        customer,
                        day,
                        f"P{product:03d}",
                        quantity,
                        f"{amount:.2f}",
                        f"{quantity * (6 + product):.2f}",
                        channel,
                        department,
                    ]
                )
                written += 1
    partial.rename(path)
    return path
