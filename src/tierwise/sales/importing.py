"""Import products and orders; orders from other systems may hold only customer, date, amount."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from sqlalchemy import Column as SAColumn
from sqlalchemy import Connection, String, Table, and_, case, delete, func, literal, or_, select
from sqlalchemy.engine import Row

from tierwise.customers.choices import CustomerKind, CustomerStatus, SalesChannel
from tierwise.customers.models import Customer
from tierwise.db.base import utcnow
from tierwise.i18n import _
from tierwise.ingest.columns import Column, Kind
from tierwise.ingest.errors import RowError
from tierwise.ingest.parse import default_key
from tierwise.ingest.pipeline import (
    Check,
    Import,
    ImportOptions,
    WriteCounts,
    duplicate_rows,
    unknown_references,
)
from tierwise.ingest.upsert import (
    Written,
    split_counts,
    staged_rows,
    upsert_from_select,
    upsert_staged,
)
from tierwise.sales.models import Order, OrderLine, Product
from tierwise.sales.service import EARLIEST_ORDER_DATE, order_dates_expected

PRODUCT_COLUMNS = (
    Column(
        "code",
        "产品编码",
        required=True,
        code=True,
        max_length=64,
        aliases=("产品代码", "商品编码"),
    ),
    Column("name", "产品名称", required=True, aliases=("商品名称",)),
    Column("category", "产品类别", max_length=100, aliases=("类别", "品类")),
    Column("list_price", "标准价格", Kind.DECIMAL, non_negative=True, aliases=("单价", "价格")),
    Column("standard_cost", "标准成本", Kind.DECIMAL, non_negative=True, aliases=("成本",)),
    Column("active", "在售", Kind.BOOL),
)

ORDER_COLUMNS = (
    Column(
        "customer_code", "客户编码", required=True, code=True, max_length=64, aliases=("客户代码",)
    ),
    Column("order_date", "订单日期", Kind.DATE, required=True, aliases=("日期", "下单日期")),
    Column("amount", "金额", Kind.DECIMAL, required=True, aliases=("销售额", "订单金额")),
    Column("order_code", "订单编号", code=True, max_length=130, aliases=("订单号",)),
    Column("product_code", "产品编码", code=True, max_length=64, aliases=("商品编码",)),
    Column("quantity", "数量", Kind.DECIMAL, scale=3),
    Column("cost", "成本", Kind.DECIMAL),
    Column("channel", "渠道", max_length=50, aliases=("销售渠道",)),
    Column("department", "部门", max_length=100, aliases=("采购部门",)),
    Column("returns_order_code", "退货原订单", code=True, max_length=130, aliases=("原订单编号",)),
)


@dataclass(frozen=True)
class ProductsImport(Import):
    """Products upserted on code."""

    name: str = "products"
    columns: Sequence[Column] = PRODUCT_COLUMNS

    def checks(self, stage: Table, file: str, options: ImportOptions) -> Iterable[Check]:
        yield duplicate_rows(stage, "code", file)

    def write(self, conn: Connection, stage: Table, options: ImportOptions) -> WriteCounts:
        return upsert_staged(conn, stage, Product.__table__, "code", defaults={"active": True})


@dataclass(frozen=True)
class OrdersImport(Import):
    """Order lines; lines sharing an order code form one order, and a file's orders replace theirs.

    Without an order code, a customer's lines of one day form one order keyed `CODE@DATE`, so
    re-importing the same file changes nothing.
    """

    new_customer_kind: CustomerKind = CustomerKind.ENTERPRISE
    name: str = "orders"
    columns: Sequence[Column] = ORDER_COLUMNS
    extra_stage_columns: Sequence[SAColumn[Any]] = (SAColumn("order_code", String(130)),)
    cascade_column: str | None = "order_code"

    def derive(self, rows: pa.Table) -> pa.Table:
        return default_key(rows, "order_code", ("customer_code", "order_date"), "@")

    def checks(self, stage: Table, file: str, options: ImportOptions) -> Iterable[Check]:
        if not options.create_customers:
            yield unknown_references(
                stage,
                "customer_code",
                Customer.code,
                file,
                _("the code of a customer (import customers first, or use --create-customers)"),
            )
        if "product_code" in stage.c:
            yield unknown_references(
                stage,
                "product_code",
                Product.code,
                file,
                _("the code of a product (import products first)"),
            )
        yield self._dates_in_range(stage, file, options.latest_order_date)
        yield from self._return_checks(stage, file)
        yield self._one_customer_per_order(stage, file)

    @staticmethod
    def _dates_in_range(stage: Table, file: str, latest: dt.date) -> Check:
        """Lines dated before 1900 or after the latest order date the settings allow."""
        day = stage.c.order_date
        query = (
            select(stage.c.row_no, day)
            .where(or_(day < EARLIEST_ORDER_DATE, day > latest))
            .order_by(stage.c.row_no)
        )
        expected = order_dates_expected(latest)
        return Check(
            query, lambda r: RowError(file, r.row_no, "order_date", str(r.order_date), expected)
        )

    @staticmethod
    def _return_checks(stage: Table, file: str) -> Iterable[Check]:
        returns = stage.c.returns_order_code if "returns_order_code" in stage.c else None
        for name in ("quantity", "amount"):
            if name not in stage.c:
                continue
            column = stage.c[name]
            if returns is None:
                negative_sale = column < 0
            else:
                negative_sale = or_(
                    and_(column < 0, returns.is_(None)), and_(column > 0, returns.is_not(None))
                )
            query = (
                select(stage.c.row_no, column, returns if returns is not None else literal(None))
                .where(negative_sale)
                .order_by(stage.c.row_no)
            )

            def wrong_sign(r: Row[*tuple[Any, ...]], name: str = name) -> RowError:
                return RowError(
                    file,
                    r[0],
                    name,
                    str(r[1]),
                    _("a positive value; a return is negative and names returns_order_code")
                    if r[2] is None
                    else _("a negative value on a return line"),
                )

            yield Check(query, wrong_sign)
        if returns is not None:
            yield unknown_references(
                stage,
                "returns_order_code",
                Order.code,
                file,
                _("the code of an order in the database or this file"),
                also=select(stage.c.order_code),
            )

    @staticmethod
    def _one_customer_per_order(stage: Table, file: str) -> Check:
        """Lines naming another customer than the first line of their order."""
        mixed = (
            select(stage.c.order_code)
            .group_by(stage.c.order_code)
            .having(func.min(stage.c.customer_code) != func.max(stage.c.customer_code))
        )
        first = (
            select(stage.c.order_code, func.min(stage.c.row_no).label("first"))
            .where(stage.c.order_code.in_(mixed))
            .group_by(stage.c.order_code)
            .subquery()
        )
        head = stage.alias("head")
        query = (
            select(stage.c.row_no, stage.c.customer_code, stage.c.order_code)
            .join(first, first.c.order_code == stage.c.order_code)
            .join(head, head.c.row_no == first.c.first)
            .where(stage.c.customer_code != head.c.customer_code)
            .order_by(stage.c.row_no)
        )
        return Check(
            query,
            lambda r: RowError(
                file,
                r[0],
                "customer_code",
                r[1],
                _("the same customer as the first line of order {order}").format(order=r[2]),
            ),
        )

    def write(self, conn: Connection, stage: Table, options: ImportOptions) -> WriteCounts:
        created = self._create_customers(conn, stage) if options.create_customers else 0
        self._write_orders(conn, stage)
        written = self._write_lines(conn, stage)
        total = staged_rows(conn, stage)
        # Lines are numbered from 1 in each order: if every staged line was new, none of these
        # orders had lines before, so none can have lines the file no longer has.
        if written.inserted < total:
            lines_per_order = (
                select(stage.c.order_code, func.count().label("n"))
                .group_by(stage.c.order_code)
                .subquery()
            )
            orders, lines = Order.__table__, OrderLine.__table__
            stale = (
                select(lines.c.id)
                .join(orders, orders.c.id == lines.c.order_id)
                .join(lines_per_order, lines_per_order.c.order_code == orders.c.code)
                .where(lines.c.line_no > lines_per_order.c.n)
            )
            conn.execute(delete(lines).where(lines.c.id.in_(stale)))
        counts = split_counts(total, written)
        return WriteCounts(counts.inserted, counts.updated, counts.unchanged, created)

    def _create_customers(self, conn: Connection, stage: Table) -> int:
        """Customers the orders name but the customer file lacks, named by their code for now."""
        customers = Customer.__table__
        now = literal(utcnow(), customers.c.created_at.type)
        missing = (
            select(
                stage.c.customer_code,
                stage.c.customer_code,
                literal(self.new_customer_kind.value),
                literal(CustomerStatus.ACTIVE.value),
                literal(SalesChannel.DIRECT.value),
                func.min(stage.c.order_date),
                literal(1),
                now,
                now,
            )
            .where(
                ~select(customers.c.id).where(customers.c.code == stage.c.customer_code).exists()
            )
            .group_by(stage.c.customer_code)
        )
        names = [
            "code",
            "name",
            "kind",
            "status",
            "channel",
            "acquired_on",
            "version",
            "created_at",
            "updated_at",
        ]
        statement = customers.insert().from_select(names, missing)
        return int(conn.execute(statement, execution_options={"preserve_rowcount": True}).rowcount)

    @staticmethod
    def _write_orders(conn: Connection, stage: Table) -> None:
        """One header per order code, taken from its first line in the file."""
        customers, orders = Customer.__table__, Order.__table__
        first_lines = select(func.min(stage.c.row_no)).group_by(stage.c.order_code)
        optional = [n for n in ("channel", "department") if n in stage.c]
        query = (
            select(
                stage.c.order_code,
                customers.c.id,
                stage.c.order_date,
                *(stage.c[n] for n in optional),
            )
            .join(customers, customers.c.code == stage.c.customer_code)
            .where(stage.c.row_no.in_(first_lines))
        )
        upsert_from_select(
            conn, orders, query, ["code", "customer_id", "order_date", *optional], keys=["code"]
        )

    @staticmethod
    def _write_lines(conn: Connection, stage: Table) -> Written:
        orders, products, lines = Order.__table__, Product.__table__, OrderLine.__table__
        line_no = func.row_number().over(partition_by=stage.c.order_code, order_by=stage.c.row_no)
        unit = case((stage.c.amount < 0, -1), else_=1)  # a return without a quantity takes back one
        values: dict[str, Any] = {
            "order_id": orders.c.id,
            "line_no": line_no,
            "amount": stage.c.amount,
            "quantity": func.coalesce(stage.c.quantity, unit) if "quantity" in stage.c else unit,
        }
        if "cost" in stage.c:
            values["cost"] = stage.c.cost
        query = select(stage).join(orders, orders.c.code == stage.c.order_code)
        if "product_code" in stage.c:
            query = query.outerjoin(products, products.c.code == stage.c.product_code)
            values["product_id"] = products.c.id
        if "returns_order_code" in stage.c:
            original = orders.alias("original")
            query = query.outerjoin(original, original.c.code == stage.c.returns_order_code)
            values["returns_order_id"] = original.c.id
        return upsert_from_select(
            conn,
            lines,
            query.with_only_columns(*values.values()),
            list(values),
            keys=["order_id", "line_no"],
        )
