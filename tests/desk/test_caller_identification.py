"""A caller is found by the number however it was typed, on SQLite and PostgreSQL: the normal form
by hand cases, customers before contacts, the first recorded of several, every write path keeps the
key, and the migration keys the rows already stored."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, insert, select, text
from sqlalchemy.orm import Session

from tierwise.customers.importing import ContactsImport, CustomersImport
from tierwise.customers.models import Contact, Customer
from tierwise.customers.phones import phone_key
from tierwise.db import migrate
from tierwise.db.session import make_engine
from tierwise.desk import queue
from tierwise.organisation.rules import default_rules_text, load_rules

from ..support.import_support import load
from ..support.postgres import database_for

RULES = load_rules(default_rules_text(), "default")


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("013812345678", "13812345678"),
        ("0086 138 1234 5678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("+86-138.1234.5678", "13812345678"),
        ("１３８ １２３４ ５６７８", "13812345678"),  # full-width, as some input methods type it
        ("010-12345678", "01012345678"),
        ("(010) 1234 5678", "01012345678"),
        ("（010）1234-5678", "01012345678"),
        ("+86 10 1234 5678", "01012345678"),
        ("0755-8765 4321", "075587654321"),
        ("+86 755 8765 4321", "075587654321"),
        ("8765 4321", "87654321"),  # no area code: kept, the area cannot be guessed
        ("+852 2123 4567", "+85221234567"),
        ("400-800-1234 ext 5", "400-800-1234 ext 5"),  # not a number: as written
        ("  ", None),
        ("", None),
        (None, None),
    ],
)
def test_the_normal_form_of_a_number(written: str | None, key: str | None) -> None:
    assert phone_key(written) == key


def customer(conn: Connection, code: str, phone: str | None) -> int:
    """A customer with this phone, inserted as the imports and demo data do (Core)."""
    return int(
        conn.execute(
            insert(Customer.__table__)
            .values(code=code, name=code, kind="individual", status="active", phone=phone)
            .returning(Customer.id)
        ).scalar_one()
    )


def contact(conn: Connection, customer_id: int, code: str, phone: str) -> None:
    """A person at the customer with this phone."""
    conn.execute(
        insert(Contact.__table__).values(
            code=code, customer_id=customer_id, name=code, phone=phone, is_primary=False
        )
    )


def found(conn: Connection, caller: str) -> int | None:
    """Whose call it is, as the queue identifies it."""
    return queue.identify(conn, RULES, caller).customer_id


@pytest.mark.parametrize(
    "caller", ["13812345678", "+86 138 1234 5678", "138-1234-5678", "013812345678"]
)
def test_a_mobile_is_found_however_it_is_written(connection: Connection, caller: str) -> None:
    mobile = customer(connection, "M1", "+86 138-1234-5678")
    customer(connection, "OTHER", "13912345678")
    assert found(connection, caller) == mobile


def test_a_landline_with_its_area_code_in_brackets_or_dashes(connection: Connection) -> None:
    landline = customer(connection, "L1", "010-12345678")
    assert found(connection, "(010) 1234 5678") == landline
    assert found(connection, "01012345678") == landline
    assert found(connection, "12345678") is None  # without the area code it is another number


def test_a_contacts_number_identifies_its_customer(connection: Connection) -> None:
    firm = customer(connection, "FIRM", "021-55556666")
    contact(connection, firm, "FIRM-王经理", "139 8765 4321")
    assert found(connection, "+8613987654321") == firm
    assert found(connection, "13700000000") is None
    assert found(connection, "not a number") is None


def test_customers_come_before_contacts_and_the_first_recorded_wins(
    connection: Connection,
) -> None:
    firm = customer(connection, "FIRM", None)
    contact(connection, firm, "FIRM-李", "13612345678")
    first = customer(connection, "FIRST", "136-1234-5678")
    customer(connection, "SECOND", "+86 13612345678")
    assert found(connection, "13612345678") == first
    assert found(connection, "FIRM") == firm  # a code is still a code


def test_an_edited_or_erased_phone_carries_its_key(connection: Connection) -> None:
    cid = customer(connection, "E1", "13512345678")
    with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
        row = session.get_one(Customer, cid)
        row.phone = "0571-8888 9999"
        session.flush()
        row.name = "改名"  # an edit that leaves the phone keeps the key
        session.flush()
        session.commit()
    assert found(connection, "(0571) 88889999") == cid
    assert found(connection, "13512345678") is None


def test_imports_key_the_phones_they_write(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    load(
        connection,
        CustomersImport(),
        write_csv("c.csv", "code,name,phone\nI1,甲,+86 138 0000 1111\n"),
    )
    load(
        connection,
        ContactsImport(),
        write_csv("p.csv", "customer_code,name,phone\nI1,张,010-6666 7777\n"),
    )
    cid = found(connection, "13800001111")
    assert cid is not None
    assert found(connection, "(010) 66667777") == cid
    load(
        connection, CustomersImport(), write_csv("d.csv", "code,name,phone\nI1,甲,137-0000-2222\n")
    )
    assert found(connection, "13800001111") is None
    assert found(connection, "+8613700002222") == cid
    load(connection, CustomersImport(), write_csv("e.csv", "code,name\nI1,甲乙\n"))
    assert found(connection, "13700002222") == cid  # a file without phones leaves the key


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_the_migration_keys_the_phones_already_stored(kind: str, tmp_path: Path) -> None:
    url = database_for(kind, "tierwise_test_phone_keys", str(tmp_path))
    migrate.upgrade(url, "0016")
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO customers (code, name, kind, status, channel, phone, version,"
                " created_at, updated_at) VALUES (:code, :code, 'individual', 'active', 'direct',"
                " :phone, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ),
            [{"code": "A", "phone": "+86 138 1234 5678"}, {"code": "B", "phone": None}],
        )
        conn.execute(
            text(
                "INSERT INTO contacts (code, customer_id, name, phone, is_primary, created_at,"
                " updated_at) SELECT 'A-1', id, '赵', '(010) 1234 5678', false,"
                " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM customers WHERE code = 'A'"
            )
        )
    migrate.upgrade(url)
    with engine.connect() as conn:
        keys = conn.execute(select(Customer.code, Customer.phone_key).order_by(Customer.code))
        assert keys.all() == [("A", "13812345678"), ("B", None)]
        assert conn.execute(select(Contact.phone_key)).scalar_one() == "01012345678"
        assert found(conn, "013812345678") == found(conn, "010-12345678") is not None
    engine.dispose()
