"""The console's policy draft: hostile documents and policy warnings shown on the page."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient

from tierwise.tiering.policy import default_policy_text

from ..support.api_world import World, password_for, rolled_back_client


@pytest.fixture
def admin(world: World) -> Iterator[tuple[TestClient, str]]:
    """A console client signed in as the admin, with the session's CSRF token."""
    with rolled_back_client(world) as client:
        r = client.post(
            "/api/v1/session", json={"username": "admin", "password": password_for("admin")}
        )
        assert r.status_code == 200, r.text
        yield client, r.json()["csrf_token"]


def test_a_deeply_nested_draft_is_refused_on_the_page_naming_the_limit(
    admin: tuple[TestClient, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = "x = " + "[" * 5_000 + "]" * 5_000
    stored_policies = tomllib.loads

    def parsed(source: str) -> object:  # the page still reads the active policy
        assert source != draft, "the draft reached tomllib"
        return stored_policies(source)

    monkeypatch.setattr(tomllib, "loads", parsed)
    client, csrf = admin
    for action in ("/policy/simulate", "/policy/activate"):
        form = {"source": draft, "csrf_token": csrf, "confirm": "yes"}
        r = client.post(action, data=form)
        assert r.status_code == 422, r.text[:500]
        assert "line 1: arrays or tables nest 5,000 levels deep; the limit is 32" in unescape(
            r.text
        )


def test_a_draft_whose_condition_always_holds_is_simulated_with_a_warning(
    admin: tuple[TestClient, str],
) -> None:
    client, csrf = admin
    always = re.sub(
        r"^when = .*$", 'when = "1 == 1"', default_policy_text(), count=1, flags=re.MULTILINE
    )
    r = client.post("/policy/simulate", data={"source": always, "csrf_token": csrf})
    assert r.status_code == 200
    warning = "tiers[A]: the condition always holds, so it asks nothing of a customer"
    assert f'<p class="notice" role="status">{warning}</p>' in unescape(r.text)
