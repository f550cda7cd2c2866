"""Import files of customers, their contacts, and staff into the customer file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import pyarrow as pa
from sqlalchemy import Column as SAColumn
from sqlalchemy import (
    Connection,
    Date,
    String,
    Table,
    bindparam,
    delete,
    exists,
    false,
    func,
    insert,
    literal,
    select,
    update,
)

from tierwise.customers.choices import (
    AcquisitionSource,
    ChurnType,
    CustomerKind,
    CustomerStatus,
    EnterpriseNature,
    ManagementClass,
    MarketingType,
    SalesChannel,
)
from tierwise.customers.models import GROWTH_RATE_LARGEST, Contact, Customer, Referral
from tierwise.customers.phones import phone_key
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
from tierwise.ingest.upsert import Reference, link_by_code, upsert_staged
from tierwise.organisation.models import Staff

CUSTOMER_COLUMNS = (
    Column(
        "code", "客户编码", required=True, code=True, max_length=64, aliases=("客户代码", "客户号")
    ),
    Column("name", "客户名称", required=True, aliases=("客户名", "名称")),
    Column("kind", "客户类型", Kind.CHOICE, choice=CustomerKind),
    Column("status", "客户状态", Kind.CHOICE, choice=CustomerStatus, aliases=("状态",)),
    Column("industry", "行业", max_length=100),
    Column("region", "地区", max_length=100, aliases=("区域",)),
    Column("marketing_type", "营销类型", Kind.CHOICE, choice=MarketingType),
    Column("management_class", "管理类别", Kind.CHOICE, choice=ManagementClass),
    Column("channel", "渠道", Kind.CHOICE, choice=SalesChannel, aliases=("服务渠道",)),
    Column("credit_rating", "信用等级", max_length=8),
    Column("credit_limit", "信用额度", Kind.DECIMAL, non_negative=True),
    Column("acquisition_source", "获客来源", Kind.CHOICE, choice=AcquisitionSource),
    Column("referred_by", "推荐人编码", code=True, max_length=64, aliases=("推荐客户",)),
    Column("owner", "客户经理", code=True, max_length=64, aliases=("负责人",)),
    Column("csr", "客服代表", code=True, max_length=64, aliases=("专属客服",)),
    Column("acquired_on", "获客日期", Kind.DATE, aliases=("开户日期",)),
    Column("churn_type", "流失类型", Kind.CHOICE, choice=ChurnType, aliases=("流失原因",)),
    Column("enterprise_nature", "企业性质", Kind.CHOICE, choice=EnterpriseNature),
    Column("asset_scale", "资产规模", Kind.DECIMAL, non_negative=True),
    Column("annual_revenue", "营业额", Kind.DECIMAL, non_negative=True, aliases=("年营业额",)),
    Column(
        "growth_rate",
        "发展速度",
        Kind.DECIMAL,
        scale=4,
        percent=True,
        largest=GROWTH_RATE_LARGEST,
        aliases=("增长率",),
    ),
    Column("potential_demand", "潜在需求", Kind.DECIMAL, non_negative=True),
    Column(
        "wallet_estimate",
        "品类年支出估计",
        Kind.DECIMAL,
        non_negative=True,
        aliases=("年支出估计", "客户总支出"),
    ),
    Column("phone", "电话", max_length=50, aliases=("手机", "联系电话")),
    Column("email", "邮箱", max_length=200, aliases=("电子邮件",)),
    Column("address", "地址", max_length=500),
)
CUSTOMER_DEFAULTS = {
    "kind": CustomerKind.ENTERPRISE.value,
    "status": CustomerStatus.ACTIVE.value,
    "channel": SalesChannel.DIRECT.value,
}
STAFF_REFERENCES = (
    Reference("owner", "owner_id", Staff.__table__.c.code),
    Reference("csr", "csr_id", Staff.__table__.c.code),
)


@dataclass(frozen=True)
class CustomersImport(Import):
    """Customers upserted on `code`; columns missing from the file keep their stored values."""

    name: str = "customers"
    columns: Sequence[Column] = CUSTOMER_COLUMNS

    def checks(self, stage: Table, file: str, options: ImportOptions) -> Iterable[Check]:
        yield duplicate_rows(stage, "code", file)
        for ref in STAFF_REFERENCES:
            if ref.column in stage.c:
                yield unknown_references(
                    stage,
                    ref.column,
                    Staff.code,
                    file,
                    _("the code of a staff member (import staff first)"),
                )
        if "referred_by" in stage.c:
            yield unknown_references(
                stage,
                "referred_by",
                Customer.code,
                file,
                _("the code of a customer in the database or this file"),
                also=select(stage.c.code),
            )
            own = select(stage.c.row_no, stage.c.referred_by).where(
                stage.c.referred_by == stage.c.code
            )
            expected = _("another customer's code (a customer cannot refer itself)")
            yield Check(
                own.order_by(stage.c.row_no),
                lambda r: RowError(file, r[0], "referred_by", r[1], expected),
            )

    def write(self, conn: Connection, stage: Table, options: ImportOptions) -> WriteCounts:
        table = Customer.__table__
        counts = upsert_staged(conn, stage, table, "code", STAFF_REFERENCES, CUSTOMER_DEFAULTS)
        refresh_phone_keys(conn, stage, table)
        if "referred_by" in stage.c:
            link_by_code(conn, stage, table, "referred_by", "referred_by_id")
            record_referrals(conn, stage, options.today)
        return counts


def refresh_phone_keys(conn: Connection, stage: Table, table: Table) -> None:
    """The staged rows' phone keys follow the phones the file wrote (the upsert is set-based, the
    key is computed here); only keys that change are written."""
    if "phone" not in stage.c:
        return
    rows = conn.execute(
        select(table.c.id, table.c.phone, table.c.phone_key).where(
            table.c.code.in_(select(stage.c.code))
        )
    )
    changed = [
        {"row_id": row_id, "key": key}
        for row_id, phone, stored in rows
        if (key := phone_key(phone)) != stored
    ]
    if changed:
        conn.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(phone_key=bindparam("key")),
            changed,
        )


def record_referrals(conn: Connection, stage: Table, today: dt.date) -> None:
    """A customer the file says was referred is a referral of its referrer (推荐数量), dated when it
    was acquired (else today); a corrected referrer replaces the referral, a cleared one removes
    it, a re-import adds none."""
    c, r = Customer.__table__, Referral.__table__
    staged = select(c.c.id).where(c.c.code.in_(select(stage.c.code)))
    referrer_now = select(c.c.referred_by_id).where(c.c.id == r.c.referred_id).scalar_subquery()
    # A referrer corrected or cleared in the file no longer holds the referral.
    conn.execute(
        delete(r).where(r.c.referred_id.in_(staged), r.c.referrer_id.is_distinct_from(referrer_now))
    )
    referred = staged.where(c.c.referred_by_id.is_not(None))
    already = select(r.c.id).where(r.c.referred_id == c.c.id, r.c.referrer_id == c.c.referred_by_id)
    conn.execute(
        insert(r).from_select(
            ["referrer_id", "referred_id", "referred_name", "referred_on"],
            select(
                c.c.referred_by_id,
                c.c.id,
                c.c.name,
                func.coalesce(c.c.acquired_on, literal(today, Date)),
            ).where(c.c.id.in_(referred), ~exists(already)),
        )
    )


CONTACT_COLUMNS = (
    Column("customer_code", "客户编码", required=True, code=True, max_length=64),
    Column("name", "联系人", required=True, aliases=("姓名", "联系人姓名")),
    Column("code", "联系人编码", code=True, max_length=130),
    Column("department", "部门", max_length=100),
    Column("title", "职务", max_length=100, aliases=("职位",)),
    Column("phone", "电话", max_length=50, aliases=("手机", "联系电话")),
    Column("email", "邮箱", max_length=200, aliases=("电子邮件",)),
    Column("is_primary", "主要联系人", Kind.BOOL),
)


@dataclass(frozen=True)
class CustomerRecordsImport(Import):
    """Rows that belong to a customer named by code, keyed by their own code or a derived one."""

    extra_stage_columns: Sequence[SAColumn[Any]] = (SAColumn("code", String(130)),)
    table: ClassVar[Table]
    key_from: ClassVar[str]
    separator: ClassVar[str]
    defaults: ClassVar[dict[str, Any]] = {}

    def derive(self, rows: pa.Table) -> pa.Table:
        return default_key(rows, "code", ("customer_code", self.key_from), self.separator)

    def checks(self, stage: Table, file: str, options: ImportOptions) -> Iterable[Check]:
        yield duplicate_rows(stage, "code", file)
        yield unknown_references(
            stage,
            "customer_code",
            Customer.code,
            file,
            _("the code of a customer (import customers first)"),
        )

    def write(self, conn: Connection, stage: Table, options: ImportOptions) -> WriteCounts:
        customer = Reference("customer_code", "customer_id", Customer.__table__.c.code)
        counts = upsert_staged(conn, stage, self.table, "code", [customer], self.defaults)
        if "phone_key" in self.table.c:
            refresh_phone_keys(conn, stage, self.table)
        return counts


@dataclass(frozen=True)
class ContactsImport(CustomerRecordsImport):
    """People at customers, upserted on their code (default: customer code and name)."""

    name: str = "contacts"
    columns: Sequence[Column] = CONTACT_COLUMNS
    table: ClassVar[Table] = Contact.__table__
    key_from: ClassVar[str] = "name"
    separator: ClassVar[str] = "-"
    defaults: ClassVar[dict[str, Any]] = {"is_primary": False}

    def checks(self, stage: Table, file: str, options: ImportOptions) -> Iterable[Check]:
        yield from super().checks(stage, file, options)
        yield second_primary_contacts(stage, file)


def second_primary_contacts(stage: Table, file: str) -> Check:
    """Rows that would give a customer a second primary contact once the file is written.

    The first primary of each customer stands: one already stored (and not in the file), or
    else the file's first; each later one is refused, naming the one that stands.
    """
    contacts, customers = Contact.__table__, Customer.__table__
    stored = contacts.alias("stored")
    written = stage.c.is_primary if "is_primary" in stage.c else stored.c.is_primary
    primaries = (
        select(stage.c.row_no, stage.c.customer_code, stage.c.code)
        .select_from(stage.outerjoin(stored, stored.c.code == stage.c.code))
        .where(func.coalesce(written, false()))
        .cte("primaries")
    )
    earlier = primaries.alias("earlier")
    kept = (
        select(func.min(contacts.c.code))
        .join(customers, customers.c.id == contacts.c.customer_id)
        .where(
            customers.c.code == primaries.c.customer_code,
            contacts.c.is_primary,
            contacts.c.code.not_in(select(stage.c.code)),
        )
        .scalar_subquery()
    )
    first_in_file = (
        select(earlier.c.code)
        .where(
            earlier.c.customer_code == primaries.c.customer_code,
            earlier.c.row_no < primaries.c.row_no,
        )
        .order_by(earlier.c.row_no)
        .limit(1)
        .scalar_subquery()
    )
    standing = func.coalesce(kept, first_in_file)
    query = (
        select(primaries.c.row_no, primaries.c.customer_code, standing.label("standing"))
        .where(standing.is_not(None))
        .order_by(primaries.c.row_no)
    )
    expected = _("at most one primary contact per customer: {other} is primary for {customer}")
    return Check(
        query,
        lambda r: RowError(
            file,
            r.row_no,
            "is_primary",
            _("yes"),
            expected.format(other=r.standing, customer=r.customer_code),
        ),
    )
