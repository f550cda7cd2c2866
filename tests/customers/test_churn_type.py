"""Why a customer was lost: imported in either language, refused clearly when misspelt, and
recorded when a ticket closes, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, select

from tierwise.customers.choices import ChurnType, CustomerStatus
from tierwise.customers.importing import CustomersImport
from tierwise.customers.models import Customer
from tierwise.desk import usecases
from tierwise.desk.workflow import TicketKind, TicketStatus
from tierwise.identity.access import SYSTEM
from tierwise.identity.models import AuditEntry
from tierwise.ingest.errors import ImportRejected, RowError

from ..support.api_world import World
from ..support.entry_points import run_in
from ..support.import_support import customer, load, snapshot


def test_the_churn_type_imports_by_key_or_label_and_leaves_the_status(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    path = write_csv(
        "customers.csv",
        "code,name,status,churn_type\n"
        "C1,甲,churned,被竞争对手吸引\n"
        "C2,乙,active,bargain_hunter\n"
        "C3,丙,churned,Lost the condition to buy\n"
        "C4,丁,active,\n",
    )
    load(connection, CustomersImport(), path)
    assert [(customer(connection, c)["churn_type"], customer(connection, c)["status"]) for c in (
        "C1", "C2", "C3", "C4")] == [
        (ChurnType.COMPETITOR.value, CustomerStatus.CHURNED.value),
        (ChurnType.BARGAIN_HUNTER.value, CustomerStatus.ACTIVE.value),
        (ChurnType.NO_LONGER_ABLE.value, CustomerStatus.CHURNED.value),
        (None, CustomerStatus.ACTIVE.value),
    ]  # fmt: skip


def test_a_misspelt_churn_type_names_row_column_and_value_and_writes_nothing(
    connection: Connection,
    write_csv,  # type: ignore[no-untyped-def]
) -> None:
    path = write_csv("bad.csv", "客户编码,客户名称,流失类型\nC1,甲,主动放弃\nC2,乙,跑了\n")
    before = snapshot(connection)
    with pytest.raises(ImportRejected) as caught:
        load(connection, CustomersImport(), path)
    [error] = caught.value.log.errors
    assert (error.file, error.row, error.column, error.value) == (
        "bad.csv",
        3,
        "churn_type",
        "跑了",
    )
    assert error.expected == (
        "one of dropped_by_us (主动放弃), unintended (无意流失), competitor (被竞争对手吸引), "
        "bargain_hunter (贪图便宜), no_longer_able (失去购买条件)"
    )
    assert isinstance(error, RowError)
    assert snapshot(connection) == before


def test_closing_a_ticket_records_why_the_customer_left_in_the_file_and_the_audit(
    world: World,
) -> None:
    zone = world.app.settings.timezone
    with world.app.uow() as uow:  # never committed: the world stays as it was
        ticket = usecases.open_ticket(
            uow, SYSTEM, zone, world.own, TicketKind.COMPLAINT, "价格太高", "phone"
        )
        with pytest.raises(ValueError, match="recorded when the ticket is closed"):
            usecases.move_ticket(
                uow, SYSTEM, zone, ticket, TicketStatus.JUDGED, "属实", None, None,
                ChurnType.BARGAIN_HUNTER,
            )  # fmt: skip
        usecases.move_ticket(
            uow, SYSTEM, zone, ticket, TicketStatus.CLOSED, "客户转向低价供应商", None, None,
            ChurnType.BARGAIN_HUNTER,
        )  # fmt: skip
        found = uow.session.scalar(select(Customer).where(Customer.code == world.own))
        assert found is not None and found.churn_type is ChurnType.BARGAIN_HUNTER
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.resource == "customer").order_by(
                AuditEntry.id.desc())
        ).first()  # fmt: skip
        assert entry is not None
        assert (entry.action, entry.resource_id, entry.changes) == (
            "update",
            world.own,
            {"churn_type": [None, "bargain_hunter"]},
        )
        assert entry.note == f"found when ticket {ticket} was closed"


def test_the_ticket_page_closes_a_complaint_with_its_churn_type(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with run_in(world, monkeypatch) as run:
        zone = run.app.settings.timezone
        with run.app.uow() as uow:
            ticket = usecases.open_ticket(
                uow, SYSTEM, zone, world.own, TicketKind.COMPLAINT, "找到更便宜的", "phone"
            )
            uow.commit()
        page = run.client.get(f"/service/tickets/{ticket}")
        assert 'id="churn"' in page.text  # closing is a move it may make
        form = {"to": "closed", "note": "客户已转向竞争对手", "churn_type": "competitor"}
        run.console(f"/service/tickets/{ticket}/move", form)
        with run.app.uow() as uow:
            found = uow.session.scalar(select(Customer).where(Customer.code == world.own))
            assert found is not None and found.churn_type is ChurnType.COMPETITOR
