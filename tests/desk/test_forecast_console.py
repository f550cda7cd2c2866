"""The forecast and SLA compliance in a real browser: the staffing page draws the forecast as a
heat map beside the plan, and a manager downloads the compliance figures as CSV."""

from __future__ import annotations

import csv
import io

from ..support.api_world import World
from ..support.browser import shot, sign_in


def test_the_staffing_page_draws_the_forecast_heat_map(page, console_world: World) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "manager")
    page.goto("/service/staffing?date=2026-10-30&hours=2&weeks=52")
    page.locator("#forecast .main-svg").first.wait_for()
    assert page.locator("#forecast .heatmaplayer").count() == 1
    assert "weeks with calls" in page.locator("#forecast-source").inner_text()
    assert "Planned from the calls" in page.locator("#plan-source").inner_text()
    shot(page, "staffing-forecast")


def test_a_manager_downloads_the_teams_compliance(page, console_world: World) -> None:  # type: ignore[no-untyped-def]
    sign_in(page, "manager")
    page.goto("/service/compliance")
    page.get_by_label("From").fill("2026-10-01")
    page.get_by_label("To").fill("2026-10-31")
    page.get_by_label("Per").select_option("team")
    page.get_by_role("button", name="Show").click()
    page.wait_for_load_state()
    rows = page.locator("#compliance tbody tr")
    assert rows.count() == 1
    shot(page, "sla-compliance")
    with page.expect_download() as download:
        page.locator("#download").click()
    text = download.value.path().read_text("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:2] == ["Team", "Agents"] and len(table) == 2
    assert table[1][0] == rows.first.locator("td").first.inner_text()
