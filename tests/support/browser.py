"""The console in a real browser: a server on the demo world and Debian's Chromium driven by
Playwright, with screenshots kept as artifacts."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from tierwise.server import create_app

from .api_world import World, build_world, password_for
from .postgres import IN_CI

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# Chromium's own background traffic is refused by this machine's closed network; keep it quiet.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


EXPECTED_STATUSES = (401, 409, 422)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def console_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """The API tests' demo world on an embedded database of its own."""
    folder = tmp_path_factory.mktemp("console")
    return build_world(f"sqlite:///{folder}/console.db", customers=200)


@pytest.fixture(scope="session")
def base_url(console_world: World) -> Iterator[str]:
    """Uvicorn serving the console on a free port for the whole session."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(console_world.app), port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium (Playwright's own browser download is not reachable here)."""
    if not CHROMIUM.exists():
        reason = (
            "Debian's chromium is not installed (apt-get install chromium); .ci/run installs it"
        )
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, base_url: str, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """A fresh browser context at 1366×768 that fails the test on any console error."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1366, "height": 768})
    page = context.new_page()
    errors: list[str] = []

    def console(msg) -> None:  # type: ignore[no-untyped-def]
        # A form answered 401/422 re-renders with its message: the browser logs the status.
        expected = any(f"status of {s}" in msg.text for s in EXPECTED_STATUSES)
        if msg.type == "error" and not expected:
            errors.append(msg.text)

    page.on("console", console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"console errors: {errors}"


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Save a full-page screenshot as a test artifact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page, user: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the form as a demo user."""
    page.goto("/sign-in")
    page.get_by_label(re.compile("User name|用户名")).fill(user)
    page.get_by_label(re.compile("Password|密码")).fill(password_for(user))
    page.get_by_role("button", name=re.compile("Sign in|登录")).click()
    page.wait_for_load_state()
