"""Every failure of the API is problem+json: a busy database a 503 to retry, the rest a 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tierwise.bootstrap import App, bootstrap
from tierwise.config import Settings
from tierwise.identity import accounts
from tierwise.server import create_app

from ..support.cli_world import demo_database, impatient, url_of, write_locked

PASSWORD = "a-long-password-1"


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """Committed demo data and one user who signs in."""
    app = demo_database(request.param, "api_failures", tmp_path_factory.mktemp("a"), False)
    with app.uow() as uow:
        clerk = accounts.add_user(uow.session, "clerk", "Clerk", "csr", PASSWORD)
        clerk.must_change_password = False
        uow.commit()
    yield app
    app.engine.dispose()


def server(url: str) -> TestClient:
    """The API on `url`; server errors come back as responses, as a client would see them."""
    settings = Settings(database_url=url, failed_sign_in_delay=0)
    return TestClient(create_app(bootstrap(settings)), raise_server_exceptions=False)


def test_a_busy_database_is_a_503_problem_with_retry_after(demo: App) -> None:
    client = server(impatient(url_of(demo)))
    with write_locked(url_of(demo), tables="users, user_sessions"):
        r = client.post("/api/v1/session", json={"username": "clerk", "password": PASSWORD})
    assert r.status_code == 503, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert int(r.headers["retry-after"]) > 0
    assert r.json()["status"] == 503 and "busy" in r.json()["detail"]
    signed_in = client.post("/api/v1/session", json={"username": "clerk", "password": PASSWORD})
    assert signed_in.status_code == 200, signed_in.text  # once the lock is gone it works


def test_an_unexpected_failure_is_a_500_problem_without_internals(demo: App) -> None:
    client = server(url_of(demo))

    def fault() -> None:
        raise RuntimeError("secret internals at /srv/tierwise")

    client.app.get("/api/v1/fault")(fault)  # type: ignore[attr-defined]
    r = client.get("/api/v1/fault")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 500 and r.json()["instance"] == "/api/v1/fault"
    assert "secret" not in r.text and "RuntimeError" not in r.text


def test_a_query_parameter_given_twice_is_refused_naming_it(demo: App) -> None:
    client = server(url_of(demo))
    r = client.get("/api/v1/customers", params=[("limit", "5"), ("limit", "500")])
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["loc"] == ["query", "limit"]
    assert client.get("/api/v1/health", params=[("probe", "1"), ("probe", "2")]).status_code == 422
    assert client.get("/api/v1/health", params={"probe": "1"}).status_code == 200
