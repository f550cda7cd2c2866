"""Importing the customer file, contacts, staff and products, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Connection, select
from sqlalchemy.orm import aliased

from tierwise.accountability.importing import StaffImport
from tierwise.customers.importing import ContactsImport, CustomersImport
from tierwise.customers.models import Referral
from tierwise.ingest.columns import read_mapping
from tierwise.ingest.errors import ImportFileError, ImportRejected, RowError
from tierwise.ingest.pipeline import WriteCounts
from tierwise.sales.importing import ProductsImport

from ..support.import_support import (
    CONTACTS,
    CUSTOMERS,
    PRODUCTS,
    STAFF,
    codes,
    customer,
    day,
    load,
    snapshot,
)

STAFF_CSV = "code,name,role\nS1,王芳,account_manager\nS2,张伟,csr\n"
FULL_HEADER = (
    "code,name,kind,status,industry,region,marketing_type,management_class,channel,"
    "credit_rating,credit_limit,acquisition_source,referred_by,owner,csr,acquired_on,"
    "enterprise_nature,asset_scale,annual_revenue,growth_rate,potential_demand,phone,email,address"
)
FULL_ROWS = (
    "C2,Li Lei,individual,prospect,,,,,,,,referral,C1,S1,,2024-05-06,,,,,,13800000000,,\n"
    "C1,华东精密制造有限公司,enterprise,active,制造业,华东,economic,key,agent,AA,"
    '"500,000",exhibition,,S1,S2,2023-01-15,private,12000000.5,8000000,12.5%,300000,'
    '021-5555,buy@hd.example,"上海市, 浦东新区"\n'
)


@pytest.fixture
def staff(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    """Two staff members customers can name as owner and CSR."""
    load(connection, StaffImport(), write_csv("staff.csv", STAFF_CSV))


def test_customers_with_english_headers_write_every_column(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    staff: None,
) -> None:
    path = write_csv("customers.csv", FULL_HEADER + "\n" + FULL_ROWS)
    result = load(connection, CustomersImport(), path)

    assert result.counts == WriteCounts(inserted=2, updated=0, unchanged=0)
    assert (result.rows, result.rejected, result.errors, result.ignored_columns) == (2, 0, [], [])
    c1 = customer(connection, "C1")
    assert {k: c1[k] for k in FULL_HEADER.split(",")} == {
        "code": "C1",
        "name": "华东精密制造有限公司",
        "kind": "enterprise",
        "status": "active",
        "industry": "制造业",
        "region": "华东",
        "marketing_type": "economic",
        "management_class": "key",
        "channel": "agent",
        "credit_rating": "AA",
        "credit_limit": Decimal("500000.00"),
        "acquisition_source": "exhibition",
        "referred_by": None,
        "owner": "S1",
        "csr": "S2",
        "acquired_on": day("2023-01-15"),
        "enterprise_nature": "private",
        "asset_scale": Decimal("12000000.50"),
        "annual_revenue": Decimal("8000000.00"),
        "growth_rate": Decimal("0.1250"),
        "potential_demand": Decimal("300000.00"),
        "phone": "021-5555",
        "email": "buy@hd.example",
        "address": "上海市, 浦东新区",
    }
    assert c1["version"] == 1
    c2 = customer(connection, "C2")
    assert (c2["name"], c2["kind"], c2["status"], c2["referred_by"], c2["owner"]) == (
        "Li Lei",
        "individual",
        "prospect",
        "C1",  # named by a row further down the same file
        "S1",
    )
    assert (c2["channel"], c2["industry"], c2["credit_limit"], c2["phone"]) == (
        "direct",
        None,
        None,
        "13800000000",
    )


def test_chinese_headers_and_chinese_labels(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(
        "客户.csv",
        "客户编码,客户名称,客户类型,客户状态,行业,地区,信用额度,获客日期,发展速度,渠道\n"
        "K-001,北京远望科技有限公司,企业,休眠,软件,华北,¥1,2024年3月5日,8%,代理\n"
        "K-002,王小明,个人,潜在客户,,,,2024/12/1,0.2,直销\n",
    )
    result = load(connection, CustomersImport(), path)

    assert result.counts.inserted == 2
    rows = [customer(connection, code) for code in ("K-001", "K-002")]
    got = [
        (
            r["name"],
            r["kind"],
            r["status"],
            r["industry"],
            r["region"],
            r["credit_limit"],
            r["acquired_on"],
            r["growth_rate"],
            r["channel"],
        )
        for r in rows
    ]
    assert got == [
        (
            "北京远望科技有限公司",
            "enterprise",
            "dormant",
            "软件",
            "华北",
            Decimal("1.00"),
            day("2024-03-05"),
            Decimal("0.0800"),
            "agent",
        ),
        (
            "王小明",
            "individual",
            "prospect",
            None,
            None,
            None,
            day("2024-12-01"),
            Decimal("0.2000"),
            "direct",
        ),
    ]


def test_absent_optional_columns_take_defaults(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    load(connection, CustomersImport(), write_csv("c.csv", "code,name\nC1,Acme\n"))

    c1 = customer(connection, "C1")
    assert (c1["kind"], c1["status"], c1["channel"], c1["version"]) == (
        "enterprise",
        "active",
        "direct",
        1,
    )
    assert c1["created_at"] is not None and c1["created_at"] == c1["updated_at"]


def test_mapping_option_renames_headers_and_unknown_headers_are_ignored(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    path = write_csv("kunden.csv", "Kundennr,Firma,Notiz,region\nD1,Müller GmbH,VIP,Bayern\n")
    result = load(
        connection, CustomersImport(), path, mapping={"Kundennr": "code", "firma": "name"}
    )

    assert result.ignored_columns == ["Notiz"]
    c = customer(connection, "D1")
    assert (c["name"], c["region"]) == ("Müller GmbH", "Bayern")


def test_mapping_from_a_toml_file(connection: Connection, write_csv, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    toml = tmp_path / "mapping.toml"
    toml.write_text('[columns]\n"Kundennr" = "code"\n"Firma" = "name"\n', encoding="utf-8")
    mapping = read_mapping(["Ort=region"], toml)
    assert mapping == {"Kundennr": "code", "Firma": "name", "Ort": "region"}

    path = write_csv("kunden.csv", "Kundennr,Firma,Ort\nD1,Müller GmbH,München\n")
    load(connection, CustomersImport(), path, mapping=mapping)

    c = customer(connection, "D1")
    assert (c["name"], c["region"]) == ("Müller GmbH", "München")


def test_mapping_to_an_unknown_column_is_refused(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv("kunden.csv", "Kundennr,name\nD1,X\n")
    with pytest.raises(ImportFileError, match="unknown column 'kode'"):
        load(connection, CustomersImport(), path, mapping={"Kundennr": "kode"})
    assert codes(connection, CUSTOMERS) == []


def test_reimporting_the_same_file_changes_nothing(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    staff: None,
) -> None:
    path = write_csv("customers.csv", FULL_HEADER + "\n" + FULL_ROWS)
    load(connection, CustomersImport(), path)
    before = snapshot(connection)

    again = load(connection, CustomersImport(), path)

    assert again.counts == WriteCounts(inserted=0, updated=0, unchanged=2)
    assert snapshot(connection) == before


def test_a_changed_row_is_updated_and_bumps_only_its_version(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    header = "code,name,credit_limit,acquired_on\n"
    load(
        connection,
        CustomersImport(),
        write_csv("a.csv", header + "C1,Acme,100,2024-01-01\nC2,Beta,200,2024-01-02\n"),
    )
    c1_before = customer(connection, "C1")

    result = load(
        connection,
        CustomersImport(),
        write_csv(
            "b.csv",
            header + "C1,Acme,100,2024-01-01\nC2,Beta,250.10,2024-01-02\nC3,Gamma,,\n",
        ),
    )

    assert result.counts == WriteCounts(inserted=1, updated=1, unchanged=1)
    c1, c2, c3 = (customer(connection, c) for c in ("C1", "C2", "C3"))
    assert c1 == c1_before
    assert (c2["credit_limit"], c2["version"]) == (Decimal("250.10"), 2)
    assert c2["updated_at"] >= c2["created_at"]
    assert (c3["name"], c3["version"]) == ("Gamma", 1)


def test_columns_absent_from_a_file_keep_their_stored_values(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    staff: None,
) -> None:
    load(connection, CustomersImport(), write_csv("full.csv", FULL_HEADER + "\n" + FULL_ROWS))
    full = customer(connection, "C1")

    result = load(
        connection,
        CustomersImport(),
        write_csv("names.csv", "code,name\nC1,华东精密\nC2,Li Lei\n"),
    )

    assert result.counts == WriteCounts(inserted=0, updated=1, unchanged=1)
    renamed = customer(connection, "C1")
    assert renamed["name"] == "华东精密"
    assert renamed["version"] == full["version"] + 1
    kept = {k: v for k, v in renamed.items() if k not in ("name", "version", "updated_at")}
    assert kept == {k: v for k, v in full.items() if k not in ("name", "version", "updated_at")}
    assert customer(connection, "C2")["version"] == 1


def test_an_emptied_cell_clears_the_stored_value(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    load(connection, CustomersImport(), write_csv("a.csv", "code,name,industry\nC1,Acme,IT\n"))
    result = load(
        connection, CustomersImport(), write_csv("b.csv", "code,name,industry\nC1,Acme,\n")
    )

    assert result.counts == WriteCounts(inserted=0, updated=1, unchanged=0)
    assert customer(connection, "C1")["industry"] is None


def test_duplicate_code_names_the_earlier_row(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    load(connection, CustomersImport(), write_csv("seed.csv", "code,name\nC0,Seed\n"))
    before = snapshot(connection)
    path = write_csv("dup.csv", "code,name\nC1,Acme\nC2,Beta\nC1,Acme again\n")

    with pytest.raises(ImportRejected) as caught:
        load(connection, CustomersImport(), path)

    assert caught.value.log.errors == [
        RowError("dup.csv", 4, "code", "C1", "a value not used before in this file (row 2 has it)")
    ]
    assert "dup.csv, row 4, column code: 'C1'" in str(caught.value.log.errors[0])
    assert snapshot(connection) == before


def test_bad_values_are_each_reported_and_nothing_is_written(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
    staff: None,
) -> None:
    before = snapshot(connection)
    path = write_csv(
        "bad.csv",
        "code,name,kind,acquired_on,credit_limit,owner,referred_by\n"
        "C1,Acme,enterprise,2024-02-30,100,S1,\n"
        'C2,Beta,enterprise,yesterday,"12,x",S1,\n'
        "C3,Gamma,个人,2024-02-29,-5,S1,\n"
        "C4,Delta,,,,S9,C404\n"
        "C5,Epsilon,,,,,,extra\n"  # one field too many
        ",Zeta,,,,,\n",
    )

    with pytest.raises(ImportRejected) as caught:
        load(connection, CustomersImport(), path)

    assert sorted(caught.value.log.errors, key=lambda e: (e.row, e.column)) == [
        RowError("bad.csv", 2, "acquired_on", "2024-02-30", "a date such as 2024-03-31"),
        RowError("bad.csv", 3, "acquired_on", "yesterday", "a date such as 2024-03-31"),
        RowError("bad.csv", 3, "credit_limit", "12,x", "a number ≥ 0 such as 1234.50"),
        RowError("bad.csv", 4, "credit_limit", "-5", "a number ≥ 0 such as 1234.50"),
        RowError("bad.csv", 5, "owner", "S9", "the code of a staff member (import staff first)"),
        RowError(
            "bad.csv",
            5,
            "referred_by",
            "C404",
            "the code of a customer in the database or this file",
        ),
        RowError("bad.csv", 6, "*", None, "7 fields (found 8)"),
        RowError("bad.csv", 7, "code", None, "a value (the column is required)"),
    ]
    assert caught.value.log.count == 8
    assert snapshot(connection) == before


def test_bad_choice_lists_what_is_accepted(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv("bad.csv", "code,name,kind\nC1,Acme,robot\n")
    with pytest.raises(ImportRejected) as caught:
        load(connection, CustomersImport(), path)
    assert caught.value.log.errors == [
        RowError(
            "bad.csv",
            2,
            "kind",
            "robot",
            "one of enterprise (企业), individual (个人)",
        )
    ]


def test_missing_required_column_is_named(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv("nameless.csv", "code,industry\nC1,IT\n")
    with pytest.raises(ImportFileError) as caught:
        load(connection, CustomersImport(), path)
    assert caught.value.path == str(path)
    assert "missing required column(s) name (客户名称)" in caught.value.message
    assert "the file has code, industry" in caught.value.message
    assert codes(connection, CUSTOMERS) == []


# --- contacts -------------------------------------------------------------------------------


def test_contacts_with_chinese_headers_are_keyed_by_customer_and_name(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    load(connection, CustomersImport(), write_csv("c.csv", "code,name\nC1,Acme\nC2,Beta\n"))
    path = write_csv(
        "联系人.csv",
        "客户编码,联系人,部门,职务,电话,邮箱,主要联系人\n"
        "C1,李雷,采购部,经理,139,li@acme.example,是\n"
        "C1,韩梅梅,财务部,,,,否\n"
        "C2,Tom,,,,,\n",
    )

    result = load(connection, ContactsImport(), path)

    assert result.counts == WriteCounts(inserted=3, updated=0, unchanged=0)
    query = (
        select(
            CONTACTS.c.code,
            CUSTOMERS.c.code,
            CONTACTS.c.name,
            CONTACTS.c.department,
            CONTACTS.c.title,
            CONTACTS.c.phone,
            CONTACTS.c.email,
            CONTACTS.c.is_primary,
        )
        .join(CUSTOMERS, CUSTOMERS.c.id == CONTACTS.c.customer_id)
        .order_by(CONTACTS.c.code)
    )
    assert [tuple(r) for r in connection.execute(query)] == [
        ("C1-李雷", "C1", "李雷", "采购部", "经理", "139", "li@acme.example", True),
        ("C1-韩梅梅", "C1", "韩梅梅", "财务部", None, None, None, False),
        ("C2-Tom", "C2", "Tom", None, None, None, None, False),
    ]

    before = snapshot(connection)
    again = load(connection, ContactsImport(), path)
    assert again.counts == WriteCounts(inserted=0, updated=0, unchanged=3)
    assert snapshot(connection) == before


def test_contacts_with_their_own_code_and_an_unknown_customer(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    load(connection, CustomersImport(), write_csv("c.csv", "code,name\nC1,Acme\n"))
    ok = write_csv("ok.csv", "code,customer_code,name,title\nP-1,C1,Li Lei,Buyer\n")
    load(connection, ContactsImport(), ok)
    renamed = write_csv("renamed.csv", "code,customer_code,name,title\nP-1,C1,Lei Li,Buyer\n")
    result = load(connection, ContactsImport(), renamed)
    assert result.counts == WriteCounts(inserted=0, updated=1, unchanged=0)
    stored = connection.execute(select(CONTACTS.c.code, CONTACTS.c.name)).all()
    assert [tuple(r) for r in stored] == [("P-1", "Lei Li")]

    before = snapshot(connection)
    bad = write_csv("bad.csv", "customer_code,name\nC1,Ann\nC404,Bob\n")
    with pytest.raises(ImportRejected) as caught:
        load(connection, ContactsImport(), bad)
    assert caught.value.log.errors == [
        RowError(
            "bad.csv",
            3,
            "customer_code",
            "C404",
            "the code of a customer (import customers first)",
        )
    ]
    assert snapshot(connection) == before


# --- staff ----------------------------------------------------------------------------------


def test_staff_with_chinese_headers_and_a_manager_later_in_the_file(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    path = write_csv(
        "员工.csv",
        "员工编号,姓名,岗位,级别,团队,上级编号,客户容量,邮箱,在职\n"
        "S2,张伟,客服代表,,客服一组,S1,80,zw@example.cn,否\n"
        "S1,王芳,客户经理,高级,华东,,40,,是\n",
    )

    result = load(connection, StaffImport(), path)

    assert result.counts == WriteCounts(inserted=2, updated=0, unchanged=0)
    manager = STAFF.alias("manager")
    query = (
        select(
            STAFF.c.code,
            STAFF.c.name,
            STAFF.c.role,
            STAFF.c.level,
            STAFF.c.team,
            manager.c.code,
            STAFF.c.capacity,
            STAFF.c.email,
            STAFF.c.active,
        )
        .outerjoin(manager, manager.c.id == STAFF.c.manager_id)
        .order_by(STAFF.c.code)
    )
    assert [tuple(r) for r in connection.execute(query)] == [
        ("S1", "王芳", "account_manager", "senior", "华东", None, 40, None, True),
        ("S2", "张伟", "csr", "junior", "客服一组", "S1", 80, "zw@example.cn", False),
    ]
    before = snapshot(connection)
    assert load(connection, StaffImport(), path).counts == WriteCounts(0, 0, 2)
    assert snapshot(connection) == before


def test_staff_capacity_must_be_a_whole_number(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(
        "staff.csv",
        "code,name,role,capacity\nS1,A,csr,many\nS2,B,csr,1.5\nS3,C,csr,-1\nS4,D,csr,7\n",
    )
    with pytest.raises(ImportRejected) as caught:
        load(connection, StaffImport(), path)
    expected = "a whole number ≥ 0"
    assert caught.value.log.errors == [
        RowError("staff.csv", 2, "capacity", "many", expected),
        RowError("staff.csv", 3, "capacity", "1.5", expected),
        RowError("staff.csv", 4, "capacity", "-1", expected),
    ]
    assert codes(connection, STAFF) == []


def test_staff_with_an_unknown_manager_or_role(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv("staff.csv", "code,name,role,manager\nS1,A,csr,S9\nS2,B,boss,\n")
    with pytest.raises(ImportRejected) as caught:
        load(connection, StaffImport(), path)
    errors = caught.value.log.errors
    assert [(e.row, e.column, e.value) for e in errors] == [
        (3, "role", "boss"),
        (2, "manager", "S9"),
    ]
    assert errors[1].expected == "the code of a staff member in the database or this file"
    assert codes(connection, STAFF) == []


# --- products -------------------------------------------------------------------------------


def test_products_import_update_and_reimport(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(
        "产品.csv",
        "产品编码,产品名称,产品类别,标准价格,标准成本,在售\n"
        'P1,精密轴承,零件,"¥1,299.00",800.5,是\n'
        "P2,服务包,服务,99,,否\n"
        "P3,Gear,,,,\n",
    )
    result = load(connection, ProductsImport(), path)
    assert result.counts == WriteCounts(inserted=3, updated=0, unchanged=0)

    def products() -> list[tuple[object, ...]]:
        query = select(
            PRODUCTS.c.code,
            PRODUCTS.c.name,
            PRODUCTS.c.category,
            PRODUCTS.c.list_price,
            PRODUCTS.c.standard_cost,
            PRODUCTS.c.active,
        ).order_by(PRODUCTS.c.code)
        return [tuple(r) for r in connection.execute(query)]

    assert products() == [
        ("P1", "精密轴承", "零件", Decimal("1299.00"), Decimal("800.50"), True),
        ("P2", "服务包", "服务", Decimal("99.00"), None, False),
        ("P3", "Gear", None, None, None, True),
    ]
    assert load(connection, ProductsImport(), path).counts == WriteCounts(0, 0, 3)

    price = write_csv("price.csv", "code,name,list_price\nP2,服务包,109.9\n")
    assert load(connection, ProductsImport(), price).counts == WriteCounts(0, 1, 0)
    assert products()[1] == ("P2", "服务包", "服务", Decimal("109.90"), None, False)


def _referrals(conn: Connection) -> list[tuple[str, str, str, str]]:
    referrer, referred = aliased(CUSTOMERS), aliased(CUSTOMERS)
    r = Referral.__table__
    rows = conn.execute(
        select(referrer.c.code, referred.c.code, r.c.referred_name, r.c.referred_on)
        .join(referrer, referrer.c.id == r.c.referrer_id)
        .join(referred, referred.c.id == r.c.referred_id)
        .order_by(referred.c.code)
    )
    return [(a, b, name, str(on)) for a, b, name, on in rows]


def test_referred_by_records_the_referral_once_and_follows_a_corrected_referrer(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    first = write_csv(
        "referred.csv",
        "code,name,referred_by,acquired_on\n"
        "C1,Acme,,2024-01-01\n"
        "C2,Beta,C1,2024-03-05\n"
        "C3,Gamma,C1,\n",
    )
    load(connection, CustomersImport(), first, today=day("2025-06-01"))
    assert _referrals(connection) == [
        ("C1", "C2", "Beta", "2024-03-05"),
        ("C1", "C3", "Gamma", "2025-06-01"),  # no acquisition date: the day it was imported
    ]
    load(connection, CustomersImport(), first, today=day("2025-07-01"))
    assert len(_referrals(connection)) == 2  # the same file again records nothing new
    corrected = write_csv("corrected.csv", "code,name,referred_by\nC3,Gamma,C2\n")
    load(connection, CustomersImport(), corrected, today=day("2025-08-01"))
    assert _referrals(connection) == [
        ("C1", "C2", "Beta", "2024-03-05"),
        ("C2", "C3", "Gamma", "2025-08-01"),
    ]


def test_a_cleared_referrer_removes_the_referral_and_nobody_refers_itself(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    first = write_csv("referred.csv", "code,name,referred_by\nC1,Acme,\nC2,Beta,C1\n")
    load(connection, CustomersImport(), first, today=day("2025-06-01"))
    assert [(a, b) for a, b, _name, _on in _referrals(connection)] == [("C1", "C2")]
    cleared = write_csv("cleared.csv", "code,name,referred_by\nC2,Beta,\n")
    load(connection, CustomersImport(), cleared, today=day("2025-07-01"))
    assert _referrals(connection) == []
    before = snapshot(connection)
    itself = write_csv("itself.csv", "code,name,referred_by\nC3,Gamma,C3\n")
    with pytest.raises(ImportRejected) as caught:
        load(connection, CustomersImport(), itself, today=day("2025-07-01"))
    assert caught.value.log.errors == [
        RowError(
            "itself.csv",
            2,
            "referred_by",
            "C3",
            "another customer's code (a customer cannot refer itself)",
        )
    ]
    assert snapshot(connection) == before
