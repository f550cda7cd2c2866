"""One scope per page, said on the page: the dashboard's charts are the whole company's, its
at-risk list the reader's own scope, and an analyst is told the list is not for them rather than
shown "none at risk"."""

from __future__ import annotations

import html

import pytest

from ..support.api_world import World, password_for, rolled_back_client


@pytest.mark.parametrize(
    ("username", "scope"),
    [("admin", "the whole company"), ("manager", "your team's customers"), ("analyst", None)],
)
def test_the_dashboard_says_whose_figures_it_shows(
    world: World, username: str, scope: str | None
) -> None:
    with rolled_back_client(world) as client:
        signed = client.post(
            "/api/v1/session", json={"username": username, "password": password_for(username)}
        )
        assert signed.status_code == 200, signed.text
        page = client.get("/").text
        said = html.unescape(page[page.index('id="scope"') :].split("</p>")[0])
        assert "Charts and figures: the whole company." in said
        risk = page[page.index('id="risk-title"') :].split("</section>")[0]
        if scope is None:
            assert "Key accounts at risk:" not in said
            assert "not shown to you" in risk and "No key account is at risk" not in risk
        else:
            assert f"Key accounts at risk: {scope}." in said
            assert "not shown to you" not in risk
