"""The phases an import reports to a caller's wrapper, and that reporting them changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from tierwise.ingest.pipeline import ImportOptions, run_import
from tierwise.sales.importing import OrdersImport

from ..support.import_support import add_customers, add_products, order_lines

ORDERS_CSV = (
    "order_code,customer_code,order_date,product_code,quantity,amount\n"
    "O1,C1,2025-01-05,P1,2,200.00\n"
    "O1,C1,2025-01-05,P2,1,50.00\n"
    "O2,C2,2025-02-01,P1,1,99.99\n"
    "O3,C2,2025-02-02,P2,3,30.00\n"
)


def recorder(seen: list[tuple[str, str]]):  # type: ignore[no-untyped-def]
    """A phase wrapper noting when each phase starts and ends."""

    @contextmanager
    def phase(name: str) -> Iterator[None]:
        seen.append(("start", name))
        yield
        seen.append(("end", name))

    return phase


def test_every_phase_is_reported_in_order_read_to_load_per_batch(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    add_customers(connection, "C1", "C2")
    add_products(connection, "P1", "P2")
    seen: list[tuple[str, str]] = []
    path = write_csv("orders.csv", ORDERS_CSV)

    result = run_import(connection, OrdersImport(), path, ImportOptions(), phases=recorder(seen))

    names = [name for edge, name in seen if edge == "start"]
    batch = ["read", "parse", "derive", "load"]
    batches = (len(names) - 7) // len(batch)
    assert batches >= 1
    assert names == [
        "open",
        "stage",
        *batch * batches,
        "read",  # the read that finds the file's end
        "index",
        "checks",
        "write",
        "drop",
    ]
    assert [edge for edge, _ in seen] == ["start", "end"] * len(names)  # never nested
    assert result.counts.inserted == 4


def test_with_phases_the_import_writes_what_it_writes_without(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    add_customers(connection, "C1", "C2")
    add_products(connection, "P1", "P2")
    path = write_csv("orders.csv", ORDERS_CSV)
    plain = run_import(connection, OrdersImport(), path, ImportOptions())
    written = order_lines(connection)

    again = run_import(connection, OrdersImport(), path, ImportOptions(), phases=recorder([]))

    assert order_lines(connection) == written
    assert plain.counts.inserted == 4
    assert (again.counts.inserted, again.counts.unchanged) == (0, 4)


def test_rejected_rows_are_moved_out_inside_the_rejects_phase(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    add_customers(connection, "C1")
    add_products(connection, "P1", "P2")
    seen: list[tuple[str, str]] = []
    path = write_csv("orders.csv", ORDERS_CSV)

    result = run_import(
        connection,
        OrdersImport(),
        path,
        ImportOptions(skip_invalid=True),
        phases=recorder(seen),
    )

    assert ("start", "rejects") in seen
    assert result.rejected == 2  # both orders of the unknown customer C2
