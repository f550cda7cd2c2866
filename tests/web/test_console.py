"""The console in a real browser: the flows of a manager, an account manager and an agent."""

from __future__ import annotations

import re

from tierwise.desk.workflow import TicketStatus

from ..support.api_world import World
from ..support.browser import shot, sign_in


def test_sign_in_and_the_dashboard_in_both_languages(page, console_world: World) -> None:  # type: ignore[no-untyped-def]
    page.goto("/")
    assert "/sign-in" in page.url
    shot(page, "sign-in")
    page.get_by_label(re.compile("User name|用户名")).fill("manager")
    page.get_by_label(re.compile("Password|密码")).fill("wrong password!")
    page.get_by_role("button", name=re.compile("Sign in|登录")).click()
    assert page.get_by_role("alert").is_visible()
    sign_in(page, "manager")
    page.click("text=中文")
    page.wait_for_selector("#tiers .main-svg")
    assert page.get_by_role("heading", level=1).inner_text().startswith("仪表盘")
    assert page.locator(".plot .main-svg").count() >= 7  # every chart drew
    verdict = page.get_by_role("region", name="何时值得客户分级")
    assert verdict.locator("li").count() == 3  # the three conditions, each with its figures
    assert "客户重复购买" in verdict.inner_text()
    shot(page, "dashboard-zh")
    page.click("text=English")
    page.wait_for_selector("#whale .main-svg")
    assert page.get_by_role("heading", level=1).inner_text().startswith("Dashboard")
    page.locator("#tiers-title").locator("xpath=..").get_by_text("Numbers").click()
    assert page.locator('table[data-export="tiers"] tbody tr').count() >= 4
    shot(page, "dashboard-en")


def test_find_a_customer_read_its_tier_and_log_a_contact(page, console_world: World) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "am")
    page.goto("/lang/en")
    page.goto("/customers")
    page.get_by_label("Find: name, code, phone or contact").fill(console_world.own)
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=console_world.own).click()
    assert page.get_by_role("heading", name="Why this tier").is_visible()
    assert page.locator("#tier-title ~ h3").count() >= 1  # the tier's checks and the next one up
    shot(page, "customer-360")
    page.get_by_label("Memo").fill("Called about the renewal; sending a quote.")
    page.get_by_role("button", name="Log contact").click()
    assert page.get_by_role("status").inner_text() == "Contact logged."
    assert page.get_by_text("Called about the renewal; sending a quote.").is_visible()


def test_two_people_editing_one_customer_lose_nothing(page, console_world: World, browser) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "am")
    page.goto("/lang/en")
    page.goto(f"/customers/{console_world.own}")
    other = page.context.new_page()
    other.goto(f"/customers/{console_world.own}")
    page.get_by_label("industry").fill("机械制造")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_role("status").inner_text() == "Saved."
    other.get_by_label("industry").fill("化工")
    other.get_by_role("button", name="Save").click()
    assert "nothing was saved" in other.get_by_role("alert").inner_text()
    assert other.get_by_label("industry").input_value() == "机械制造"
    shot(other, "customer-conflict")
    other.close()


def test_an_agent_takes_the_next_queued_contact(page, console_world: World) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "csr")
    page.goto("/lang/en")
    page.goto("/service")
    page.get_by_label("Queue a call: customer code or phone").fill(console_world.own)
    page.get_by_role("button", name="Queue", exact=True).click()
    assert "queued" in page.get_by_role("status").inner_text()
    shot(page, "service-desk")
    page.get_by_role("button", name="Take next").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text() == "Call answered."
    card = page.locator(".caller")
    assert console_world.own in card.inner_text()  # the caller's card, on the desk
    page.get_by_label("Memo").fill("asked about the delivery date")
    page.get_by_role("button", name="Wrap up").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").inner_text().startswith("Call wrapped up.")
    assert page.get_by_role("heading", name="No call in hand").is_visible()


def _move_on_ticket_page(
    page, ticket: str, status: TicketStatus, note: str = "", department: str = ""
) -> None:  # type: ignore[no-untyped-def]
    """Make one move with the ticket page's buttons."""
    page.goto(f"/service/tickets/{ticket}")
    page.get_by_label("note").fill(note)
    if department:
        page.get_by_label("department").select_option(department)
    page.get_by_role("button", name=status.label("en"), exact=True).click()
    page.wait_for_load_state()
    assert "is now" in page.get_by_role("status").inner_text()


def test_a_complaint_goes_through_its_workflow(page, console_world: World) -> None:  # type: ignore[no-untyped-def]
    ticket = _open_complaint(page, console_world, "Late delivery, third time")
    steps = [
        (TicketStatus.JUDGED, "valid: logistics", ""),
        (TicketStatus.ASSIGNED, "", "售后部"),
        (TicketStatus.HANDLED, "", ""),
        (TicketStatus.ANSWERED, "", ""),
        (TicketStatus.EVALUATED, "", ""),
    ]
    for status, note, department in steps:
        _move_on_ticket_page(page, ticket, status, note, department)
    shot(page, "complaint-evaluated")
    _move_on_ticket_page(page, ticket, TicketStatus.CLOSED)
    page.goto(f"/service/tickets/{ticket}")
    assert page.locator(".status").first.inner_text() == TicketStatus.CLOSED.label("en")
    page.goto("/service")
    assert page.locator(f"a[href='/service/tickets/{ticket}']").count() == 0  # off the desk


def test_simulate_and_activate_a_policy(page, console_world: World) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "admin")
    page.goto("/lang/en")
    page.goto("/policy")
    source = page.get_by_label(re.compile("Policy")).input_value()
    page.get_by_label(re.compile("Policy")).fill(
        source.replace("Tierwise default", "Stricter draft", 1)
    )
    page.get_by_role("button", name="Simulate").click()
    assert page.locator("#simulation").is_visible()
    shot(page, "policy-simulation")
    page.get_by_role("button", name="Activate").click()  # not confirmed yet
    assert "confirmation" in page.get_by_role("alert").inner_text()
    page.get_by_label(re.compile("I have simulated")).check()
    page.get_by_role("button", name="Activate").click()
    assert re.search(r"Policy version \d+ is active", page.get_by_role("status").inner_text())


def test_a_bad_import_is_reported_row_by_row_and_writes_nothing(
    page, console_world: World, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "customers.csv"
    bad.write_text(
        "code,name,kind\nX1,好客户,enterprise\nX2,,enterprise\nX3,坏类型,alien\n", encoding="utf-8"
    )
    sign_in(page, "admin")
    page.goto("/lang/en")
    page.goto("/imports")
    page.get_by_label("The file holds").select_option("customers")
    page.get_by_label(re.compile("CSV")).set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    report = page.locator("#report tbody tr")
    assert report.count() == 2
    assert "3" in report.nth(0).inner_text() or "3" in report.nth(1).inner_text()
    shot(page, "import-report")
    page.goto("/customers?q=X1")
    assert page.get_by_text("No customer matches.").is_visible()  # nothing was written


def test_a_manager_moves_customers_in_bulk(page, console_world: World) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "manager")
    page.goto("/lang/en")
    page.goto("/customers")
    boxes = page.locator("input[name=codes]")
    assert boxes.count() >= 2
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_label("Move the picked customers to").select_option(console_world.am_staff)
    page.get_by_label("Reason").fill("rebalancing the team")
    page.get_by_role("button", name="Move", exact=True).click()
    status = page.get_by_role("status").inner_text()
    assert "moved to" in status
    shot(page, "customers-bulk-move")


def test_a_one_time_password_leads_to_choosing_ones_own(page, console_world: World) -> None:  # type: ignore[no-untyped-def]
    from tierwise.identity import accounts

    with console_world.app.uow() as uow:
        accounts.add_user(uow.session, "newcomer", "新人", "csr", "one-time-pass-123")
        uow.commit()
    page.goto("/sign-in?next=//evil.example/")
    page.get_by_label(re.compile("User name|用户名")).fill("newcomer")
    page.get_by_label(re.compile("Password|密码")).fill("one-time-pass-123")
    page.get_by_role("button", name=re.compile("Sign in|登录")).click()
    page.wait_for_load_state()
    assert page.url.endswith("/password")  # not evil.example, and nothing else before a new one
    page.goto("/customers")
    assert page.url.endswith("/password")
    page.get_by_label(re.compile("Current password|当前密码")).fill("one-time-pass-123")
    page.get_by_label(re.compile("New password|新密码")).fill("my-very-own-password")
    page.get_by_role("button", name=re.compile("Change password|修改密码")).click()
    page.wait_for_load_state()
    assert "/sign-in" in page.url
    page.get_by_label(re.compile("User name|用户名")).fill("newcomer")
    page.get_by_label(re.compile("Password|密码")).fill("my-very-own-password")
    page.get_by_role("button", name=re.compile("Sign in|登录")).click()
    page.wait_for_load_state()
    assert page.url.endswith("/my-day")  # a CSR lands on their day


def test_a_user_makes_and_revokes_an_api_token(page, console_world: World) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "am")
    page.goto("/lang/en")
    page.goto("/tokens")
    page.get_by_label("Name").fill("my script")
    page.get_by_role("button", name="Create token").click()
    token = page.locator("#new-token").inner_text()
    assert token.startswith("tw_")
    api = page.context.request
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}", "Cookie": ""})
    assert me.status == 200 and me.json()["username"] == "am"
    page.get_by_role("button", name="Revoke").first.click()
    assert page.get_by_role("status").inner_text() == "Token revoked."
    again = api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}", "Cookie": ""})
    assert again.status == 401
    shot(page, "tokens")


def test_consent_and_erasure_from_the_360(page, console_world: World) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "admin")
    page.goto("/lang/en")
    page.goto(f"/customers/{console_world.other}")
    page.get_by_label("Purpose").select_option("marketing")
    page.get_by_label("Decision").select_option("no")
    page.get_by_role("button", name="Record consent").click()
    assert page.get_by_role("status").inner_text() == "Consent recorded."
    assert "marketing: no" in page.locator("#file-title ~ table").inner_text()
    page.get_by_role("button", name="Erase personal data").click()  # not confirmed
    assert "nothing was erased" in page.get_by_role("alert").inner_text()
    page.get_by_label(re.compile("type the customer code")).fill(console_world.other)
    page.get_by_role("button", name="Erase personal data").click()
    assert page.get_by_role("status").inner_text() == "Personal data erased."
    assert page.get_by_role("heading", level=1).inner_text().startswith("P-")
    shot(page, "customer-erased")


def test_a_recompute_runs_in_the_background_with_its_progress(page, console_world: World) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "manager")
    page.goto("/lang/en")
    page.goto("/recompute")
    page.get_by_role("textbox", name="As of").fill("2026-11-01")
    page.get_by_role("button", name="Start").click()
    assert "started" in page.get_by_role("status").inner_text()
    page.wait_for_selector("#finished", timeout=120_000)  # the page refreshes itself
    assert page.locator("#progress li.pass").count() == 6
    shot(page, "recompute")


def test_an_account_manager_answers_for_a_missed_obligation(page, console_world: World) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "am")
    page.goto("/lang/en")
    page.goto("/portfolio")
    assert page.get_by_role("heading", name="Obligations and tasks").is_visible()
    answers = page.get_by_role("button", name="Answer")
    assert answers.count() >= 1  # two months of demo work leave the busiest owner items to answer
    page.get_by_label("Reason").first.select_option("workload")
    page.get_by_label("Explanation").first.fill("Three key accounts renewed the same week.")
    shot(page, "portfolio")
    answers.first.click()
    assert page.get_by_role("status").inner_text() == "Answer sent for review."


def test_pages_fit_a_tablet_without_sideways_scrolling(
    browser, base_url: str, console_world: World
) -> None:  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=base_url, viewport={"width": 768, "height": 1024})
    page = context.new_page()
    sign_in(page, "manager")
    for path in (
        "/",
        "/customers",
        f"/customers/{console_world.own}",
        "/service",
        "/portfolio",
        "/policy",
    ):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} is {overflow}px wider than a tablet"
    shot(page, "tablet-policy")
    context.close()


def test_the_api_docs_render_from_local_files_under_the_content_policy(page) -> None:  # type: ignore[no-untyped-def]
    page.goto("/docs")
    page.wait_for_selector(".opblock-summary-path")
    assert page.locator(".opblock").count() > 50  # every operation listed
    page.locator(".opblock-summary").first.click()
    page.wait_for_selector(".opblock-body")
    shot(page, "api-docs")


def test_a_manager_reads_the_customer_composition(page, console_world: World) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "manager")
    page.goto("/lang/en")
    page.get_by_role("link", name="Composition").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("Customer composition")
    assert page.get_by_role("heading", name=re.compile("^Biggest customers by sales")).is_visible()
    assert page.get_by_role("heading", name=re.compile("^Product mix per tier")).is_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as XLSX").click()
    assert download.value.suggested_filename.startswith("composition-")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0  # wide tables scroll inside their card, not the page
    shot(page, "composition")


def test_an_agent_works_a_complaint_on_its_ticket_page(page, console_world: World) -> None:  # type: ignore[no-untyped-def]
    ticket = _open_complaint(page, console_world, "Invoice charged twice")
    page.goto(f"/service/tickets/{ticket}")
    assert "business hours" in page.locator("#clocks").inner_text()
    page.get_by_label("note").fill("valid: billed twice")
    page.get_by_role("button", name="Judged valid").click()
    page.wait_for_load_state()
    assert "is now" in page.get_by_role("status").inner_text()
    page.get_by_label("note").fill("sent to billing")
    page.get_by_role("button", name="Assigned to a department").click()  # no department chosen
    page.wait_for_load_state()
    assert "needs the responsible department" in page.locator("#move-error").inner_text()
    assert page.get_by_label("note").input_value() == "sent to billing"
    assert "valid: billed twice" in page.locator("#steps").inner_text()
    shot(page, "ticket-refused-move")


def _open_complaint(page, world: World, subject: str) -> str:  # type: ignore[no-untyped-def]
    """Sign in as the manager, open a complaint on the manager's own customer from the service
    desk, and return the new ticket's id."""
    sign_in(page, "manager")
    page.goto("/lang/en")
    page.goto("/service")
    page.get_by_label(re.compile(r"^Customer code")).fill(world.own)
    page.get_by_label("Kind").select_option("complaint")
    page.get_by_label(re.compile(r"^Subject")).fill(subject)
    page.get_by_role("button", name="Open ticket").click()
    ticket = re.search(r"Ticket (\d+) opened", page.get_by_role("status").inner_text())
    assert ticket
    return ticket.group(1)


def test_an_account_manager_adds_a_prospect_and_a_phone_taken_is_named(
    page, console_world: World
) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "am")
    page.goto("/lang/en")
    page.goto("/customers")
    page.get_by_role("link", name="New customer or prospect").click()
    page.get_by_label("Name", exact=True).fill("远东贸易有限公司")
    page.get_by_label("Phone", exact=True).fill("021 6666 0000")
    page.get_by_label("Marketing type").select_option(label="Personalised")
    page.get_by_label("Management class").select_option(label="Potential")
    shot(page, "customer-new")
    page.get_by_role("button", name="Add").click()
    added = re.search(r"Customer (\S+) added\.", page.get_by_role("status").inner_text())
    assert added
    file = page.locator("#file-title").locator("xpath=..").inner_text()
    assert "Personalised" in file and "Potential" in file and "Prospect" in file
    page.goto("/customers/new")
    page.get_by_label("Name", exact=True).fill("另一家公司")
    page.get_by_label("Phone", exact=True).fill("+86 21 6666 0000")
    page.get_by_role("button", name="Add").click()
    assert f"customer {added.group(1)} already has the phone number" in (
        page.get_by_role("alert").inner_text()
    )
    assert page.get_by_label("Name", exact=True).input_value() == "另一家公司"
    shot(page, "customer-new-refused")
