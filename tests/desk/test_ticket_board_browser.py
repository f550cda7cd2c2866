"""The helpdesk pages in a real browser: a ticket opened at the desk, moved in bulk from the list,
moved again on the board, then answered with a canned reply and a comment on its page."""

from __future__ import annotations

import re

from ..support.api_world import World
from ..support.browser import shot, sign_in


def test_a_request_is_worked_from_the_list_the_board_and_its_page(  # type: ignore[no-untyped-def]
    page, console_world: World
) -> None:
    sign_in(page, "manager")
    page.goto("/lang/en")
    page.goto("/service")
    page.get_by_label(re.compile(r"^Customer code")).fill(console_world.own)
    page.get_by_label("Kind").select_option("request")
    page.get_by_label(re.compile(r"^Subject")).fill("Change the delivery address")
    page.get_by_role("button", name="Open ticket").click()
    opened = re.search(r"Ticket (\d+) opened", page.get_by_role("status").inner_text())
    assert opened
    ticket = opened.group(1)

    page.goto("/service/tickets?view=all")
    row = page.locator(f"#ticket-{ticket}")
    assert "Change the delivery address" in row.inner_text()
    page.locator(f"#tick-{ticket}").check()
    page.get_by_label("move to").select_option("in_progress")
    page.get_by_role("button", name="Move", exact=True).click()
    page.wait_for_load_state()
    assert f"Ticket {ticket}: now In progress" in page.locator("#outcomes").inner_text()
    shot(page, "ticket-list-bulk")

    page.goto("/service/board")
    card = page.locator(f"#column-in_progress #card-{ticket}")
    buttons = card.get_by_role("button").all_inner_texts()
    assert sorted(buttons) == ["Resolved", "Waiting on the customer"]
    shot(page, "ticket-board")
    card.get_by_role("button", name="Resolved").click()
    page.wait_for_load_state()
    assert page.url.endswith("/service/board")
    assert page.locator(f"#column-resolved #card-{ticket}").count() == 1

    page.goto(f"/service/tickets/{ticket}")
    page.get_by_label("reply").select_option(label="确认收到 / Acknowledge")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state()
    page.get_by_label("text").fill("Called the customer back")
    page.get_by_role("button", name="Add comment").click()
    page.wait_for_load_state()
    timeline = page.locator("#steps").inner_text()
    assert "我们已收到您的反馈" in timeline and "Called the customer back" in timeline
    shot(page, "ticket-page-worked")
