"""The tier card of the console's customer page says what the CLI's explanation says."""

from __future__ import annotations

import datetime as dt
from html import unescape

from sqlalchemy import exists, select, update

from tierwise.customers.models import Customer
from tierwise.sales.models import Order
from tierwise.tiering.models import CustomerTier
from tierwise.web.render import day

from ..support.api_world import World, password_for, rolled_back_client


def test_the_customer_page_shows_a_pending_downgrade_with_its_date(world: World) -> None:
    with rolled_back_client(world) as client:
        app = world.api.state.tierwise
        with app.uow() as uow:
            code, customer_id = uow.session.execute(
                select(Customer.code, Customer.id)
                .join(CustomerTier, CustomerTier.customer_id == Customer.id)
                .where(CustomerTier.tier == "B")
                .order_by(Customer.code)
                .limit(1)
            ).one()
            uow.connection.execute(
                update(CustomerTier)
                .where(CustomerTier.customer_id == customer_id)
                .values(below_since=dt.date(2026, 10, 1), below_count=2)
            )
            uow.commit()
        r = client.post(
            "/api/v1/session", json={"username": "admin", "password": password_for("admin")}
        )
        assert r.status_code == 200, r.text
        page = unescape(client.get(f"/customers/{code}").text)
    since = day(dt.date(2026, 10, 1))
    assert f"Below its tier since {since} (2 evaluations): a downgrade is pending." in page


def test_the_customer_page_shows_a_prospects_grade_apart_from_the_tiers(world: World) -> None:
    with rolled_back_client(world) as client:
        app = world.api.state.tierwise
        with app.uow() as uow:
            code = uow.session.scalar(
                select(Customer.code)
                .where(Customer.status == "prospect")
                .where(~exists().where(Order.customer_id == Customer.id))
                .order_by(Customer.code)
                .limit(1)
            )
        r = client.post(
            "/api/v1/session", json={"username": "admin", "password": password_for("admin")}
        )
        assert r.status_code == 200, r.text
        page = unescape(client.get(f"/customers/{code}").text)
    assert "A prospect, no order yet: graded " in page
    assert "on the prospect scorecard" in page
