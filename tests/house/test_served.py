"""The served database keeps every write it acknowledged and answers colleagues working at once.

The server and the CLI run as real processes on one database, the way `make demo` is used.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlalchemy import create_engine, text

from ..support.load import lost_writes, run_clients, signed_in
from ..support.postgres import database_for
from ..support.served import Served, run_cli, serve, sqlite_url


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


def test_colleagues_at_once_get_answers_and_keep_every_acknowledged_write(served: Served) -> None:
    tally = run_clients(served.base_url, clients=8, seconds=12, users=("manager",))
    assert served.process.poll() is None, served.log.read_text()[-2000:]
    assert tally.failures == [], tally.failures[:10]
    assert tally.memos and tally.names, tally.statuses
    served.kill()
    assert lost_writes(served.url, tally) == []


def test_of_twelve_changes_sent_with_one_version_one_wins_and_the_rest_are_told_it_is_stale(
    served: Served,
) -> None:
    clients = [signed_in(served.base_url, "manager") for _ in range(12)]
    code = clients[0].get("/api/v1/customers", params={"limit": 1}).json()["items"][0]["code"]
    version = clients[0].get(f"/api/v1/customers/{code}").headers["ETag"]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def change(number: int, client: httpx.Client) -> None:
        start.wait()
        answer = client.patch(
            f"/api/v1/customers/{code}",
            json={"name": f"Racer {number}"},
            headers={"If-Match": version},
        )
        statuses.append(answer.status_code)

    threads = [threading.Thread(target=change, args=pair) for pair in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] + [412] * 11
