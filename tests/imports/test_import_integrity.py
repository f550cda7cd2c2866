"""Imports refuse what a file cannot mean: manager cycles, a second primary contact per customer."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, select

from tierwise.accountability.importing import StaffImport
from tierwise.customers.importing import ContactsImport, CustomersImport
from tierwise.ingest.errors import ImportRejected, RowError
from tierwise.ingest.pipeline import WriteCounts

from ..support.import_support import CONTACTS, STAFF, load, snapshot

ITSELF = "a manager other than the staff member themself"
CHAINED = "a manager whose own chain of managers does not lead back to this staff member"


def _managers(connection: Connection) -> list[tuple[str, str | None]]:
    manager = STAFF.alias("manager")
    query = (
        select(STAFF.c.code, manager.c.code)
        .outerjoin(manager, manager.c.id == STAFF.c.manager_id)
        .order_by(STAFF.c.code)
    )
    return [(r[0], r[1]) for r in connection.execute(query)]


def test_a_staff_member_cannot_be_their_own_manager(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv("staff.csv", "code,name,role,manager\nS1,A,manager,\nS2,B,csr,S2\n")
    with pytest.raises(ImportRejected) as caught:
        load(connection, StaffImport(), path)
    assert caught.value.log.errors == [RowError("staff.csv", 3, "manager", "S2", ITSELF)]
    assert _managers(connection) == []


def test_a_manager_cycle_within_the_file_is_refused(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(
        "staff.csv",
        "code,name,role,manager\nS1,A,manager,S3\nS2,B,manager,S1\nS3,C,manager,S2\nS4,D,csr,S1\n",
    )
    with pytest.raises(ImportRejected) as caught:
        load(connection, StaffImport(), path)
    assert caught.value.log.errors == [
        RowError("staff.csv", 2, "manager", "S3", CHAINED),
        RowError("staff.csv", 3, "manager", "S1", CHAINED),
        RowError("staff.csv", 4, "manager", "S2", CHAINED),
    ]
    assert _managers(connection) == []


def test_a_cycle_through_staff_already_stored_is_refused(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    first = write_csv("first.csv", "code,name,role,manager\nS1,A,manager,\nS2,B,csr,S1\n")
    load(connection, StaffImport(), first)
    before = snapshot(connection)
    # S2 (stored) reports to S1; making S1 report to S2 closes the loop.
    turned = write_csv("turned.csv", "code,name,role,manager\nS1,A,manager,S2\n")
    with pytest.raises(ImportRejected) as caught:
        load(connection, StaffImport(), turned)
    assert caught.value.log.errors == [RowError("turned.csv", 2, "manager", "S2", CHAINED)]
    assert snapshot(connection) == before
    # Turning the whole line round in one file is fine: the file's links replace the stored ones.
    swapped = write_csv("swapped.csv", "code,name,role,manager\nS1,A,manager,S2\nS2,B,csr,\n")
    load(connection, StaffImport(), swapped)
    assert _managers(connection) == [("S1", "S2"), ("S2", None)]


def test_skipping_invalid_rows_leaves_the_cycle_out(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(
        "staff.csv", "code,name,role,manager\nS1,A,manager,\nS2,B,csr,S3\nS3,C,csr,S2\n"
    )
    result = load(connection, StaffImport(), path, skip_invalid=True)
    assert (result.counts.inserted, result.rejected) == (1, 2)
    assert _managers(connection) == [("S1", None)]


def _customers(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    load(connection, CustomersImport(), write_csv("c.csv", "code,name\nC1,Acme\nC2,Globex\n"))


def _primaries(connection: Connection) -> list[str]:
    query = select(CONTACTS.c.code).where(CONTACTS.c.is_primary).order_by(CONTACTS.c.code)
    return list(connection.execute(query).scalars())


def test_two_primary_contacts_for_one_customer_in_a_file(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    _customers(connection, write_csv)
    path = write_csv(
        "contacts.csv",
        "customer_code,name,is_primary\nC1,Ann,yes\nC2,Bob,yes\nC1,Cai,no\nC1,Dan,是\n",
    )
    with pytest.raises(ImportRejected) as caught:
        load(connection, ContactsImport(), path)
    expected = "at most one primary contact per customer: C1-Ann is primary for C1"
    assert caught.value.log.errors == [RowError("contacts.csv", 5, "is_primary", "yes", expected)]
    assert _primaries(connection) == []


def test_a_second_primary_beside_a_stored_one_is_refused(connection: Connection, write_csv) -> None:  # type: ignore[no-untyped-def]
    _customers(connection, write_csv)
    first = write_csv("first.csv", "customer_code,name,is_primary\nC1,Ann,yes\nC1,Bob,no\n")
    load(connection, ContactsImport(), first)
    before = snapshot(connection)
    second = write_csv("second.csv", "customer_code,name,is_primary\nC1,Cai,yes\n")
    with pytest.raises(ImportRejected) as caught:
        load(connection, ContactsImport(), second)
    expected = "at most one primary contact per customer: C1-Ann is primary for C1"
    assert caught.value.log.errors == [RowError("second.csv", 2, "is_primary", "yes", expected)]
    assert snapshot(connection) == before
    # Handing the role over in one file is fine, and so is importing the same file again.
    over = write_csv("over.csv", "customer_code,name,is_primary\nC1,Ann,no\nC1,Bob,yes\n")
    load(connection, ContactsImport(), over)
    assert _primaries(connection) == ["C1-Bob"]
    assert load(connection, ContactsImport(), over).counts == WriteCounts(0, 0, 2)
