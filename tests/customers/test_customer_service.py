"""The customer file's use cases, on both databases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.orm.exc import StaleDataError

from tierwise.bootstrap import App
from tierwise.customers import service, usecases
from tierwise.customers.choices import ConsentPurpose, CustomerKind, Direction
from tierwise.customers.models import Contact, Customer
from tierwise.customers.profile import ProfileSection
from tierwise.customers.reads import customer_file
from tierwise.organisation.choices import InteractionChannel
from tierwise.organisation.models import Staff, StaffLevel, StaffRole
from tierwise.sales.models import Order, OrderLine, Product

DAY = dt.date(2025, 3, 1)


def _seed(app: App) -> None:
    with app.uow() as uow:
        s = uow.session
        owner = Staff(
            code="S1", name="王芳", role=StaffRole.ACCOUNT_MANAGER, level=StaffLevel.SENIOR
        )
        widget = Product(code="P1", name="Widget", category="A", standard_cost=Decimal("6"))
        gadget = Product(code="P2", name="Gadget", category="B")
        s.add_all([owner, widget, gadget])
        s.flush()
        customer = Customer(
            code="C1", name="华东制造", kind=CustomerKind.ENTERPRISE, owner_id=owner.id
        )
        s.add(customer)
        s.flush()
        s.add(Contact(code="C1-1", customer_id=customer.id, name="李雷", department="采购部"))
        first = Order(code="O1", customer_id=customer.id, order_date=DAY, department="采购部")
        second = Order(
            code="O2",
            customer_id=customer.id,
            order_date=DAY + dt.timedelta(days=30),
            department="IT部",
        )
        refund = Order(code="R1", customer_id=customer.id, order_date=DAY + dt.timedelta(days=40))
        s.add_all([first, second, refund])
        s.flush()
        s.add_all(
            [
                OrderLine(
                    order_id=first.id,
                    line_no=1,
                    product_id=widget.id,
                    quantity=Decimal(10),
                    amount=Decimal("100.00"),
                    cost=Decimal("60.00"),
                ),
                OrderLine(
                    order_id=first.id,
                    line_no=2,
                    product_id=gadget.id,
                    quantity=Decimal(1),
                    amount=Decimal("50.50"),
                    cost=Decimal("70.00"),
                ),
                OrderLine(
                    order_id=second.id,
                    line_no=1,
                    product_id=widget.id,
                    quantity=Decimal(2),
                    amount=Decimal("20.00"),
                    cost=Decimal("12.00"),
                ),
                OrderLine(
                    order_id=refund.id,
                    line_no=1,
                    product_id=widget.id,
                    quantity=Decimal(-1),
                    amount=Decimal("-10.00"),
                    cost=Decimal("-6.00"),
                    returns_order_id=first.id,
                ),
            ]
        )
        uow.commit()


def test_summary_adds_up_orders_net_of_returns(app: App) -> None:
    _seed(app)
    with app.uow() as uow:
        summary = usecases.read_customer(uow, app.operator, "C1", DAY)
    totals = summary.totals
    assert totals.orders == 3
    assert totals.revenue == Decimal("160.50")
    assert totals.cost == Decimal("136.00")
    assert totals.gross_profit == Decimal("24.50")
    assert totals.returns == Decimal("10.00")
    assert totals.first_order == DAY
    assert totals.last_order == DAY + dt.timedelta(days=40)
    assert totals.product_categories == 2
    assert totals.departments == 2
    assert summary.owner is not None and summary.owner.name == "王芳"
    assert [c.name for c in summary.contacts] == ["李雷"]


def test_unknown_code_is_a_clear_error(app: App) -> None:
    with app.uow() as uow, pytest.raises(service.CustomerNotFound, match="NOPE"):
        service.customer_summary(uow, "NOPE")


def test_logging_a_contact_moves_last_contact_forward_only(app: App) -> None:
    _seed(app)
    later = dt.datetime(2025, 5, 1, 9, 30, tzinfo=dt.UTC)
    earlier = later - dt.timedelta(days=3)
    with app.uow() as uow:
        service.log_interaction(
            uow,
            "C1",
            later,
            InteractionChannel.PHONE,
            Direction.OUTBOUND,
            memo="回访",
            staff_code="S1",
        )
        service.log_interaction(uow, "C1", earlier, InteractionChannel.VISIT, Direction.OUTBOUND)
        uow.commit()
    with app.uow() as uow:
        assert service.get_customer(uow.session, "C1").last_contact_at == later


def test_logging_with_unknown_staff_writes_nothing(app: App) -> None:
    _seed(app)
    with app.uow() as uow, pytest.raises(LookupError, match="S404"):
        service.log_interaction(
            uow,
            "C1",
            dt.datetime(2025, 5, 1, tzinfo=dt.UTC),
            InteractionChannel.PHONE,
            Direction.INBOUND,
            staff_code="S404",
        )
    with app.uow() as uow:
        assert service.get_customer(uow.session, "C1").last_contact_at is None


def test_file_sections_are_validated(app: App) -> None:
    _seed(app)
    with app.uow() as uow:
        service.set_section(uow, "C1", ProfileSection.FAMILY, {"children": 2, "notes": "喜欢足球"})
        with pytest.raises(ValidationError):
            service.set_section(uow, "C1", ProfileSection.FAMILY, {"children": -1})
        with pytest.raises(ValidationError):
            service.set_section(uow, "C1", ProfileSection.FAMILY, {"shoe_size": 42})
        uow.commit()
    with app.uow() as uow:
        sections = service.customer_summary(uow, "C1").sections
    assert sections == {ProfileSection.FAMILY: {"children": 2, "notes": "喜欢足球"}}


def test_latest_consent_per_purpose_is_in_force(app: App) -> None:
    _seed(app)
    with app.uow() as uow:
        service.record_consent(uow, "C1", ConsentPurpose.MARKETING, True, "form")
        service.record_consent(uow, "C1", ConsentPurpose.MARKETING, False, "phone")
        service.record_consent(uow, "C1", ConsentPurpose.SERVICE, True, "form")
        uow.commit()
    with app.uow() as uow:
        consents = service.customer_summary(uow, "C1").consents
    assert consents == {ConsentPurpose.MARKETING: False, ConsentPurpose.SERVICE: True}


def test_concurrent_edits_do_not_overwrite_each_other(app: App) -> None:
    _seed(app)
    with app.uow() as uow:
        customer = service.get_customer(uow.session, "C1")
        assert customer.version == 1
        # Someone else saves the customer meanwhile.
        uow.session.execute(
            update(Customer).where(Customer.id == customer.id).values(region="华南", version=2),
            execution_options={"synchronize_session": False},
        )
        customer.region = "华北"
        with pytest.raises(StaleDataError):
            uow.session.flush()


def test_the_whole_file_of_a_customer_never_graded_has_no_tier_and_no_history(app: App) -> None:
    with app.uow() as uow:
        uow.session.add(Customer(code="NEW1", name="新客户", kind=CustomerKind.ENTERPRISE))
        uow.session.flush()
        _customer, file = customer_file(uow, app.operator, "NEW1", "s" * 32, DAY, whole=True)
    assert file["timeline"]["tier"] is None
    assert file["timeline"]["history"] == []
    assert file["totals"]["orders"] == 0
