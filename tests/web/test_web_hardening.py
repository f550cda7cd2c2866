"""Hostile requests to the server: forged secrets, framing, caching, open redirects, login CSRF,
sign-in timing, header injection through download names and codes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from tierwise.bootstrap import App
from tierwise.cli import build
from tierwise.customers.importing import CustomersImport
from tierwise.customers.models import Customer
from tierwise.db.base import utcnow
from tierwise.identity import accounts
from tierwise.ingest.errors import ImportRejected
from tierwise.sales.importing import OrdersImport
from tierwise.server import from_environment

from ..support.api_world import World, password_for, rolled_back_client
from ..support.import_support import load

API = "/api/v1"
TEXT_PLAIN = {"Content-Type": "text/plain"}
BAD_CODES = ("C9\r\nSet-Cookie: planted=1", "C9\u202egnp.exe", "C9\u200b")


@pytest.fixture
def client(world: World):  # type: ignore[no-untyped-def]
    with rolled_back_client(world) as c:
        yield c


def admin(world: World) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens['admin']}"}


def form_token(client: TestClient, url: str = "/sign-in") -> str:
    """The hidden csrf_token of the form on the page at `url`."""
    page = client.get(url)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def console_sign_in(client: TestClient, username: str) -> None:
    token = form_token(client)
    form = {"username": username, "password": password_for(username), "csrf_token": token}
    r = client.post("/sign-in", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text


# -- the demo key ------------------------------------------------------------------------------


def test_the_uvicorn_factory_refuses_the_demo_key_as_serve_does(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no tierwise.toml
    monkeypatch.setenv("TIERWISE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("TIERWISE_SECRET_KEY", raising=False)
    monkeypatch.delenv("TIERWISE_DEMO", raising=False)
    with pytest.raises(SystemExit, match="TIERWISE_SECRET_KEY is the built-in demo key"):
        from_environment()
    served = CliRunner().invoke(build(), ["serve"])
    assert served.exit_code == 2 and "TIERWISE_SECRET_KEY" in served.output
    monkeypatch.setenv("TIERWISE_SECRET_KEY", "a-secret-of-this-company-only")
    assert from_environment().state.tierwise.settings.secret_key.startswith("a-secret")
    monkeypatch.delenv("TIERWISE_SECRET_KEY")
    monkeypatch.setenv("TIERWISE_DEMO", "1")
    assert from_environment().state.tierwise.settings.demo


@pytest.mark.parametrize("key", ["", "   ", "a", "short-secret"])
def test_an_empty_or_short_key_is_refused_by_both_starts(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, key: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIERWISE_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("TIERWISE_SECRET_KEY", key)
    monkeypatch.delenv("TIERWISE_DEMO", raising=False)
    with pytest.raises(SystemExit, match="TIERWISE_SECRET_KEY is shorter than 16 characters"):
        from_environment()
    served = CliRunner().invoke(build(), ["serve"])
    assert served.exit_code == 2 and "shorter than 16 characters" in served.output


# -- headers -----------------------------------------------------------------------------------


def test_pages_and_personal_json_carry_the_browser_protections(
    client: TestClient, world: World
) -> None:
    page = client.get("/sign-in")
    personal = client.get(f"{API}/customers/{world.own}", headers=admin(world))
    refused = client.get(f"{API}/customers")
    for response in (page, personal, refused):
        csp = response.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "'unsafe-eval'" not in csp
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
        assert response.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in response.headers  # plain HTTP
    assert personal.json()["phone"] == world.customer_file["phone"]
    script = client.get("/static/app.js")
    assert script.headers["cache-control"] == "max-age=3600"  # static files may be kept
    assert script.headers["x-content-type-options"] == "nosniff"


def test_https_requests_get_strict_transport_security(world: World) -> None:
    secure = TestClient(world.api, base_url="https://testserver").get(f"{API}/health")
    assert secure.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    plain = TestClient(world.api).get(f"{API}/health")
    assert "strict-transport-security" not in plain.headers


def test_the_api_docs_run_from_local_files_without_inline_script(client: TestClient) -> None:
    docs = client.get("/docs")
    assert docs.status_code == 200
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", docs.text, re.S)
    assert scripts and all('src="/' in attrs and not body.strip() for attrs, body in scripts)
    assert "cdn" not in docs.text.lower()
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"):
        assert client.get(asset).status_code == 200
    assert "/openapi.json" in client.get("/static/api-docs.js").text
    assert client.get("/docs/assets/index.html").status_code == 404
    assert client.get("/redoc").status_code == 404  # it would load a CDN script


# -- redirects and sign-in ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("referer", "back"),
    [
        ("https://evil.example/phish?x=1", "/phish?x=1"),
        ("http://testserver/customers?tier=A", "/customers?tier=A"),
        ("http://testserver//evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        (None, "/"),
    ],
)
def test_the_language_switch_goes_back_only_to_this_site(
    client: TestClient, referer: str | None, back: str
) -> None:
    headers = {"Referer": referer} if referer else {}
    r = client.get("/lang/en", headers=headers, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == back


def test_the_sign_in_form_needs_the_token_it_was_given(client: TestClient) -> None:
    form = {"username": "am", "password": password_for("am")}
    forged = client.post("/sign-in", data=form, follow_redirects=False)
    assert forged.status_code == 403 and "another site" in forged.text
    assert "tierwise_session" not in client.cookies
    token = form_token(client)
    wrong = client.post("/sign-in", data={**form, "csrf_token": token[:-1] + "x"})
    assert wrong.status_code == 403 and "tierwise_session" not in client.cookies
    token = form_token(client)
    signed_in = client.post("/sign-in", data={**form, "csrf_token": token}, follow_redirects=False)
    assert signed_in.status_code == 303 and client.cookies.get("tierwise_session")
    assert client.get(f"{API}/me").json()["username"] == "am"
    client.cookies.clear()  # the API's sign-in takes JSON only, which no cross-site form can send
    as_form = client.post(
        f"{API}/session", content='{"username": "am", "password": "x"}', headers=TEXT_PLAIN
    )
    assert as_form.status_code == 422 and "tierwise_session" not in client.cookies


class CountingHasher(PasswordHasher):
    """The real argon2 hasher, counting its verifications."""

    verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        CountingHasher.verified += 1
        return super().verify(hash, password)


def test_a_refused_sign_in_costs_the_same_for_known_and_unknown_users(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(accounts, "HASHER", CountingHasher())
    with app.uow() as uow:
        accounts.add_user(uow.session, "li.na", "李娜", "analyst", "her-own-password-1")
        accounts.add_user(uow.session, "gone", "离职", "analyst", "his-own-password-1")
        accounts.disable_user(uow.session, "gone")
        costs: dict[str, list[tuple[int, float, str]]] = {}
        attempts = [
            ("nobody", "a-guess"),
            ("li.na", "a-guess"),
            ("li.na", "another-guess"),
            ("gone", "his-own-password-1"),
            ("nobody", "another-guess"),
        ]
        for username, password in attempts:
            CountingHasher.verified = 0
            with pytest.raises(accounts.SignInRefused) as refusal:
                accounts.sign_in(uow.session, app.settings, username, password, utcnow())
            cost = (CountingHasher.verified, refusal.value.delay, str(refusal.value))
            costs.setdefault(username, []).append(cost)
        every = {cost for cost_list in costs.values() for cost in cost_list}
        assert len(every) == 1, costs
        assert next(iter(every))[:2] == (1, app.settings.failed_sign_in_delay)


# -- download names and codes ------------------------------------------------------------------


def test_download_names_are_encoded_whatever_the_code(client: TestClient, world: World) -> None:
    code = '客户"甲;1'
    app = client.app.state.tierwise  # type: ignore[attr-defined]
    with app.uow() as uow:  # a code from before codes were checked, in the client's transaction
        uow.session.execute(update(Customer).where(Customer.code == world.own).values(code=code))
        uow.commit()
    url = f"{API}/customers/{code}/personal-data"
    zipped = client.get(url, params={"format": "zip"}, headers=admin(world))
    assert zipped.status_code == 200
    assert zipped.headers["content-disposition"] == (
        'attachment; filename="____;1.zip"; '
        "filename*=UTF-8''%E5%AE%A2%E6%88%B7%22%E7%94%B2%3B1.zip"
    )
    export = client.get(f"{API}/exports/customers", headers=admin(world))
    assert export.headers["content-disposition"] == (
        "attachment; filename=\"customers-service.csv\"; filename*=UTF-8''customers-service.csv"
    )


@pytest.mark.parametrize("code", BAD_CODES)
def test_the_api_upload_refuses_codes_with_control_or_direction_marks(
    client: TestClient, world: World, code: str
) -> None:
    quoted = '"' + code + '"'
    upload = {"file": ("bad.csv", f"code,name\nC8,好\n{quoted},坏\n".encode(), "text/csv")}
    r = client.post(f"{API}/imports/customers", files=upload, headers=admin(world))
    assert r.status_code == 422
    [error] = r.json()["errors"]
    assert (error["file"], error["row"], error["column"], error["value"]) == (
        "bad.csv",
        3,
        "code",
        code,
    )
    assert "control or text-direction" in error["msg"]
    found = client.get(f"{API}/customers", params={"q": "C8"}, headers=admin(world)).json()
    assert found["items"] == []  # nothing half written


def test_the_console_upload_refuses_a_code_with_cr_lf(client: TestClient) -> None:
    console_sign_in(client, "admin")
    token = form_token(client, "/imports")
    r = client.post(
        "/imports",
        data={"kind": "customers", "csrf_token": token},
        files={"file": ("bad.csv", 'code,name\n"C9\r\nX",坏\n'.encode(), "text/csv")},
    )
    assert r.status_code == 422
    assert "<td>2</td><td>code</td><td>C9\r\nX</td>" in r.text
    assert "control or text-direction" in r.text


@pytest.mark.parametrize("code", BAD_CODES)
def test_imports_refuse_such_codes_in_every_file_that_creates_customers(
    app: App, write_csv, code: str
) -> None:
    quoted = '"' + code + '"'
    customers = write_csv("customers.csv", f"code,name\n{quoted},坏\n")
    orders = write_csv("orders.csv", f"customer_code,order_date,amount\n{quoted},2026-01-02,5\n")
    with app.uow() as uow:
        for entity, path in ((CustomersImport(), customers), (OrdersImport(), orders)):
            with pytest.raises(ImportRejected) as rejected:
                load(uow.connection, entity, path, create_customers=True)
            [error] = rejected.value.log.errors
            assert (error.row, error.value) == (2, code)
        assert uow.session.scalar(select(Customer.id).where(Customer.code == code)) is None
