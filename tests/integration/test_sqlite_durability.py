"""The embedded database keeps every write the server acknowledged, with the CLI working beside it.

The server and the CLI run as real processes on one SQLite file, the way `make demo` is used.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import create_engine, text

from ..postgres import database_for
from .served import Served, run_cli, serve, sqlite_url


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def demo_database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small demo database built by `tierwise demo` once per kind of database."""
    url = database_for(request.param, "tierwise_test_served", str(tmp_path_factory.mktemp("demo")))
    built = run_cli(url, "demo", "--customers", "300")
    assert built.returncode == 0, built.stderr
    return url


@pytest.fixture
def served(demo_database: str, tmp_path: Path) -> Iterator[Served]:
    """A server on the demo database (SQLite: on a copy of its own)."""
    url = demo_database
    if url.startswith("sqlite:///"):
        database = tmp_path / "tierwise.db"
        shutil.copy(url.removeprefix("sqlite:///"), database)
        url = sqlite_url(database)
    with serve(url, tmp_path / "server.log") as server:
        yield server


def _signed_in(server: Served, username: str) -> httpx.Client:
    client = httpx.Client(base_url=server.base_url, timeout=60)
    answer = client.post(
        "/api/v1/session", json={"username": username, "password": "tierwise-demo"}
    )
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return client


def _rows(url: str, sql: str, **parameters: object) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(text(sql), parameters)]
    finally:
        engine.dispose()


def test_a_contact_and_an_update_acknowledged_beside_the_cli_survive_kill_9(
    served: Served,
) -> None:
    memo = f"kept after the server stops ({served.url.rsplit('/', 1)[-1]})"
    client = _signed_in(served, "manager")
    assert client.get("/").status_code == 200  # the dashboard reads the snapshot in bulk
    assert client.get("/api/v1/tiers/distribution").status_code == 200
    code = client.get("/api/v1/customers", params={"limit": 1}).json()["items"][0]["code"]
    shown = run_cli(served.url, "customers", "show", code)
    assert shown.returncode == 0, shown.stderr

    logged = client.post(
        f"/api/v1/customers/{code}/interactions",
        json={
            "occurred_at": "2026-11-02T10:00:00+08:00",
            "channel": "phone",
            "direction": "outbound",
            "memo": memo,
        },
    )
    assert logged.status_code == 201, logged.text
    current = client.get(f"/api/v1/customers/{code}")
    changed = client.patch(
        f"/api/v1/customers/{code}",
        json={"name": "Durable Trading Co."},
        headers={"If-Match": current.headers["ETag"]},
    )
    assert changed.status_code == 200, changed.text
    assert run_cli(served.url, "customers", "show", code).returncode == 0
    client.close()
    served.kill()

    memos = _rows(served.url, "SELECT memo FROM interactions WHERE memo = :memo", memo=memo)
    assert memos == [(memo,)]
    names = _rows(served.url, "SELECT name FROM customers WHERE code = :code", code=code)
    assert names == [("Durable Trading Co.",)]
