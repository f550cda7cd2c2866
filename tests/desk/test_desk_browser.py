"""A live call on the agent's desk in a real browser: a VIP calls while others wait, the CSR takes
the call with the keyboard, the caller's card shows the tier and what it is entitled to, a
complaint is opened from the call, the call is wrapped up, and the ticket page shows its steps."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from tierwise.customers.models import Customer
from tierwise.db.base import utcnow
from tierwise.desk import queue
from tierwise.desk.models import ContactStatus, QueueContact
from tierwise.identity.access import SYSTEM
from tierwise.organisation.service import active_rules
from tierwise.tiering.models import CustomerTier

from ..support.api_world import World
from ..support.browser import shot, sign_in


def _routed_calls(world: World, tiers: list[str]) -> list[str]:
    """Calls the telephony side queues, one from a customer of each tier in turn; their codes."""
    app = world.app
    codes = []
    with app.uow() as uow:
        conn = uow.connection
        for tier in tiers:
            customer = conn.execute(
                select(Customer.code)
                .join(CustomerTier, CustomerTier.customer_id == Customer.id)
                .where(CustomerTier.tier == tier)
                .order_by(Customer.code)
                .limit(1)
            ).scalar()
            assert customer is not None, f"the demo world has a tier {tier} customer"
            queue.enqueue(conn, active_rules(conn), customer, utcnow(), SYSTEM)
            codes.append(customer)
        uow.commit()
    return codes


def _hang_up_the_rest(world: World) -> None:
    """Leave the shared queue as other browser tests expect it: nobody waiting, no call left in
    anyone's hand (should this test stop half-way)."""
    with world.app.uow() as uow:
        q = QueueContact.__table__
        uow.connection.execute(
            update(q)
            .where(q.c.status == ContactStatus.WAITING)
            .values(status=ContactStatus.ABANDONED, abandoned_at=utcnow())
        )
        uow.connection.execute(
            update(q)
            .where(q.c.status == ContactStatus.TAKEN, q.c.wrapped_at.is_(None))
            .values(wrapped_at=utcnow())
        )
        uow.commit()


def test_a_vip_call_is_taken_carded_ticketed_and_wrapped_up_by_keyboard(  # type: ignore[no-untyped-def]
    page, console_world: World
) -> None:
    try:
        *_others, vip = _routed_calls(console_world, ["D", "C", "A"])
        sign_in(page, "csr")
        page.goto("/lang/en")
        page.goto("/service")
        assert "(3)" in page.locator("#queue-title").inner_text()
        assert page.locator(".waited").first.inner_text().count(":") == 1  # waited as mm:ss
        with page.expect_navigation():
            page.keyboard.press("n")  # take next: the VIP first, though they called last
        assert page.get_by_role("status").inner_text() == "Call answered."
        card = page.locator("#hand-title").locator("xpath=..")
        assert vip in card.locator(".caller").inner_text()
        assert card.locator(".tier.badge").inner_text().startswith("A")
        entitlements = card.locator(".entitlements").inner_text()
        assert re.search(r"On-site visits: \d+ of \d+ left until", entitlements)
        shot(page, "desk-vip-caller-card")

        page.keyboard.press("t")  # open a ticket from the call
        assert page.evaluate("document.activeElement.id") == "t-subject"
        page.get_by_label("Kind").select_option("complaint")
        page.keyboard.type("Engineer did not come")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        opened = re.search(r"Ticket (\d+) opened", page.get_by_role("status").inner_text())
        assert opened
        ticket = opened.group(1)
        assert "Engineer did not come" in page.locator(".open-tickets").inner_text()

        page.keyboard.press("w")  # wrap up
        assert page.evaluate("document.activeElement.id") == "wrap-memo"
        page.keyboard.type("Complaint opened, apologised")
        page.get_by_label("What came of it").select_option("complaint")
        with page.expect_navigation():
            page.get_by_role("button", name="Wrap up").click()
        assert page.get_by_role("status").inner_text().startswith("Call wrapped up.")
        assert "(2)" in page.locator("#queue-title").inner_text()

        page.goto(f"/service/tickets/{ticket}")
        steps = page.locator("#steps").inner_text()
        assert "Recorded" in steps and "Engineer did not come" in steps
        shot(page, "desk-ticket-steps")
        page.goto("/lang/zh_CN")
        page.goto("/service")
        shot(page, "desk-zh")
    finally:
        _hang_up_the_rest(console_world)
