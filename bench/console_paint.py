"""How soon the first dashboard paints in a real browser, with its assets compressed and without.

    .venv/bin/python bench/console_paint.py [--customers 2000] [--repeat 5]

Builds the demo world (the `tierwise demo` data, two months at work, the demo users) once in
bench/data/paint-<customers>.db, serves it with Uvicorn on a free local port (the server's
start-up compresses Plotly.js, as `tierwise serve` does), and opens the dashboard as the demo
manager in Debian's Chromium with its cache disabled, so every visit is a first visit. Each run
is measured twice: as a browser sends it (Accept-Encoding: gzip, deflate, br, zstd) and with
Accept-Encoding: identity, which is what every client received before compression, and both on
localhost and on a network like a branch office's line (20 Mbit/s, 20 ms round trip, emulated
by Chromium). Reports the
bytes the dashboard's scripts and stylesheet took on the wire, the first contentful paint
(performance.getEntriesByType('paint')) and when the first chart had drawn, medians of
`--repeat`, and writes bench/results/console-paint.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import socket
import statistics
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn
from sqlalchemy import func, select

import harness
from tierwise.bootstrap import bootstrap
from tierwise.config import Settings
from tierwise.customers.models import Customer
from tierwise.db import migrate
from tierwise.demo.scenario import play
from tierwise.demo.users import DEMO_PASSWORD, create_demo_users
from tierwise.server import create_app

DATA = Path(__file__).parent / "data"
AS_OF = dt.date(2026, 11, 1)
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
USER = "manager"
# Where the browser sits: on the server's machine, and behind a modest line (Chromium's emulation:
# bytes per second both ways and the added round-trip latency).
NETWORKS: dict[str, tuple[float, float] | None] = {
    "localhost": None,
    "20 Mbit/s, 20 ms": (20e6 / 8, 20),
}
# The first chart of the dashboard; the page has painted its charts once it has an SVG.
FIRST_CHART = "#tiers .main-svg"
RESOURCES = """() => performance.getEntriesByType('resource')
    .filter(r => r.name.includes('/static/'))
    .map(r => ({name: r.name.split('/').pop().split('?')[0], wire: r.transferSize,
                body: r.decodedBodySize}))"""
PAINT = """() => Object.fromEntries(performance.getEntriesByType('paint')
    .map(p => [p.name, p.startTime]))"""


def demo_database(customers: int) -> str:
    """The demo world's SQLite database, built on first use and reused after."""
    DATA.mkdir(exist_ok=True)
    url = f"sqlite:///{DATA / f'paint-{customers}.db'}"
    migrate.upgrade(url)
    app = bootstrap(Settings(database_url=url, demo=True))
    with app.uow() as uow:
        if uow.session.scalar(select(func.count()).select_from(Customer)):
            return url
        from tierwise.demo.generator import generate

        harness.log(f"building the demo world of {customers:,} customers")
        generate(uow.connection, customers=customers, seed=42, as_of=AS_OF)
        uow.commit()
    play(app, AS_OF, 42, lambda _stage: None)
    create_demo_users(app)
    return url


def serve(url: str) -> tuple[uvicorn.Server, str]:
    """Uvicorn serving the console in a thread, started (and Plotly.js compressed) on return."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    app = create_app(bootstrap(Settings(database_url=url, demo=True, failed_sign_in_delay=0)))
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port}"


def visit(
    browser: Any, base: str, encoding: str | None, line: tuple[float, float] | None
) -> dict[str, Any]:
    """Sign in, then open the dashboard once with the cache disabled over `line`; what it cost."""
    context = browser.new_context(base_url=base, viewport={"width": 1366, "height": 768})
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    if encoding:
        cdp.send("Network.setExtraHTTPHeaders", {"headers": {"Accept-Encoding": encoding}})
    page.goto("/sign-in")
    page.fill("input[name=username]", USER)
    page.fill("input[name=password]", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.goto("/lang/en")
    if line is not None:
        rate, latency = line
        conditions = {"offline": False, "latency": latency}
        cdp.send(
            "Network.emulateNetworkConditions",
            conditions | {"downloadThroughput": rate, "uploadThroughput": rate},
        )
    page.goto("/")
    page.wait_for_selector(FIRST_CHART)
    drawn = page.evaluate("() => performance.now()")
    paint, resources = page.evaluate(PAINT), page.evaluate(RESOURCES)
    context.close()
    return {
        "first contentful paint ms": paint.get("first-contentful-paint", float("nan")),
        "first chart drawn ms": drawn,
        "wire bytes": sum(r["wire"] for r in resources),
        "plotly wire bytes": sum(r["wire"] for r in resources if r["name"] == "plotly.min.js"),
        "plotly bytes": sum(r["body"] for r in resources if r["name"] == "plotly.min.js"),
    }


def main() -> None:
    """Measure both ways `--repeat` times and write bench/results/console-paint.md."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    url = demo_database(args.customers)
    server, base = serve(url)
    harness.log(f"waited {harness.settle(None):.0f} s for a quiet machine")
    from playwright.sync_api import sync_playwright

    ways = {"compressed (gzip)": None, "uncompressed (identity)": "identity"}
    cases = [(network, way) for network in NETWORKS for way in ways]
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {case: [] for case in cases}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        visit(browser, base, None, None)  # the server's first dashboard query, not measured
        for _ in range(args.repeat):
            for network, way in cases:
                runs[network, way].append(visit(browser, base, ways[way], NETWORKS[network]))
        browser.close()
    server.should_exit = True
    measures = list(runs[cases[0]][0])
    headings = ["network", "assets", *measures]
    rows = [
        [*case, *(round(statistics.median(r[key] for r in found)) for key in measures)]
        for case, found in runs.items()
    ]
    title = (
        f"Dashboard first visit, demo world of {args.customers:,} customers, SQLite, Uvicorn, "
        f"Chromium headless with cache disabled; medians of {args.repeat}"
    )
    table = harness.markdown_table(headings, rows, left=2)
    harness.save_text("console-paint.md", f"{title}\n\n{table}\n")
    print(title, table, sep="\n\n")


if __name__ == "__main__":
    main()
