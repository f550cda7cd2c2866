"""Sign-in, sessions, CSRF, tokens, lockout, optimistic updates, audit and personal-data rights."""

from __future__ import annotations

import datetime as dt
import io
import re
import tomllib
import zipfile

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text, update

from tierwise.config import DEMO_SECRET_KEY, Settings
from tierwise.documents import MAX_KEY_PARTS, MAX_NESTING
from tierwise.identity.models import ApiToken
from tierwise.tiering.policy import default_policy_text

from ..support.api_world import ADMIN_PASSWORD, World, password_for, rolled_back_client

API = "/api/v1"
HOST = "testserver.local"


@pytest.fixture
def client(world: World):  # type: ignore[no-untyped-def]
    with rolled_back_client(world) as c:
        yield c


def sign_in(client: TestClient, username: str, password: str | None = None) -> str:
    """Sign in with the cookie; returns the CSRF token."""
    r = client.post(
        f"{API}/session",
        json={"username": username, "password": password or password_for(username)},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["csrf_token"])


def bearer(world: World, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[user]}"}


def test_nothing_without_signing_in(client: TestClient, world: World) -> None:
    r = client.get(f"{API}/customers")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 401 and r.json()["instance"] == f"{API}/customers"
    assert client.get(f"{API}/health").status_code == 200


def test_session_cookie_is_http_only_and_strict(client: TestClient) -> None:
    r = client.post(f"{API}/session", json={"username": "am", "password": password_for("am")})
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    assert client.get(f"{API}/me").json()["username"] == "am"


def test_cookie_writes_need_the_csrf_token_but_bearer_writes_do_not(
    client: TestClient, world: World
) -> None:
    csrf = sign_in(client, "am")
    body = {"purpose": "marketing", "granted": True}
    url = f"{API}/customers/{world.own}/consents"
    refused = client.post(url, json=body)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert client.post(url, json=body, headers={"X-CSRF-Token": "forged"}).status_code == 403
    assert client.post(url, json=body, headers={"X-CSRF-Token": csrf}).status_code == 201
    client.cookies.clear()
    assert client.post(url, json=body, headers=bearer(world, "am")).status_code == 201


def test_a_session_id_planted_before_sign_in_is_worthless(client: TestClient) -> None:
    client.cookies.set("tierwise_session", "planted-by-an-attacker", domain=HOST)
    assert client.get(f"{API}/me").status_code == 401
    sign_in(client, "am")
    new_cookie = client.cookies.get("tierwise_session")
    assert new_cookie and "planted-by-an-attacker" not in new_cookie
    assert client.get(f"{API}/me").status_code == 200
    # each sign-in makes a fresh id; the previous one still names only its own session
    first = new_cookie
    sign_in(client, "am")
    assert client.cookies.get("tierwise_session") != first


def test_a_tampered_cookie_is_refused(client: TestClient) -> None:
    sign_in(client, "am")
    cookie = client.cookies.get("tierwise_session")
    assert cookie
    forged = cookie[:-2] + ("AA" if not cookie.endswith("AA") else "BB")
    client.cookies.clear()
    client.cookies.set("tierwise_session", forged, domain=HOST)
    assert client.get(f"{API}/me").status_code == 401


def test_sign_out_ends_the_session(client: TestClient) -> None:
    csrf = sign_in(client, "am")
    cookie = client.cookies.get("tierwise_session")
    assert client.delete(f"{API}/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    client.cookies.clear()
    client.cookies.set("tierwise_session", cookie, domain=HOST)  # type: ignore[arg-type]
    assert client.get(f"{API}/me").status_code == 401


def test_repeated_failures_lock_the_user_out_even_with_the_right_password(
    client: TestClient, world: World
) -> None:
    attempts = world.app.settings.lockout_attempts
    for _ in range(attempts):
        r = client.post(f"{API}/session", json={"username": "csr", "password": "wrong-password"})
        assert r.status_code == 401
    r = client.post(f"{API}/session", json={"username": "csr", "password": password_for("csr")})
    assert r.status_code == 401  # locked: the right password does not help
    # an unknown name answers exactly like a wrong password
    unknown = client.post(f"{API}/session", json={"username": "nobody", "password": "x"})
    wrong = client.post(f"{API}/session", json={"username": "am", "password": "x"})
    assert unknown.json()["detail"] == wrong.json()["detail"]


def test_a_lockout_ends_when_its_time_is_up(client: TestClient, world: World) -> None:
    for _ in range(world.app.settings.lockout_attempts):
        client.post(f"{API}/session", json={"username": "csr", "password": "wrong-password"})
    # the lockout lives in the client's transaction; move its end into the past there
    app = client.app.state.tierwise  # type: ignore[attr-defined]
    with app.uow() as uow:
        uow.session.execute(
            text("UPDATE users SET locked_until = :t WHERE username = 'csr'"),
            {"t": dt.datetime(2020, 1, 1, tzinfo=dt.UTC)},
        )
        uow.commit()
    assert (
        client.post(
            f"{API}/session", json={"username": "csr", "password": password_for("csr")}
        ).status_code
        == 200
    )


def test_tokens_expire_and_can_be_revoked(client: TestClient, world: World) -> None:
    csrf = sign_in(client, "am")
    made = client.post(
        f"{API}/tokens", json={"name": "script", "days": 1}, headers={"X-CSRF-Token": csrf}
    )
    assert made.status_code == 201
    token, token_id = made.json()["token"], made.json()["id"]
    client.cookies.clear()
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{API}/me", headers=auth).status_code == 200
    app = client.app.state.tierwise  # type: ignore[attr-defined]
    with app.uow() as uow:
        uow.session.execute(
            update(ApiToken)
            .where(ApiToken.id == token_id)
            .values(expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        )
        uow.commit()
    assert client.get(f"{API}/me", headers=auth).status_code == 401
    with app.uow() as uow:
        uow.session.execute(
            update(ApiToken)
            .where(ApiToken.id == token_id)
            .values(expires_at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC))
        )
        uow.commit()
    assert client.get(f"{API}/me", headers=auth).status_code == 200
    assert client.delete(f"{API}/tokens/{token_id}", headers=auth).status_code == 204
    assert client.get(f"{API}/me", headers=auth).status_code == 401


def test_a_token_can_do_only_what_its_scopes_say(client: TestClient) -> None:
    csrf = sign_in(client, "am")
    made = client.post(
        f"{API}/tokens",
        json={"name": "read only", "scopes": ["customers.read"]},
        headers={"X-CSRF-Token": csrf},
    )
    auth = {"Authorization": f"Bearer {made.json()['token']}"}
    client.cookies.clear()
    assert client.get(f"{API}/customers", headers=auth).status_code == 200
    assert client.get(f"{API}/tasks", headers=auth).status_code == 403
    # a scope the role lacks cannot be granted
    csrf = sign_in(client, "am")
    r = client.post(
        f"{API}/tokens",
        json={"name": "x", "scopes": ["users.manage"]},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 422


def test_a_disabled_user_loses_sessions_and_tokens(client: TestClient, world: World) -> None:
    csrf = sign_in(client, "admin")
    r = client.post(f"{API}/users/csr/disable", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and r.json()["active"] is False
    client.cookies.clear()
    assert client.get(f"{API}/me", headers=bearer(world, "csr")).status_code == 401
    r = client.post(f"{API}/session", json={"username": "csr", "password": password_for("csr")})
    assert r.status_code == 401


def test_serving_refuses_the_demo_secret_outside_demo_mode() -> None:
    assert Settings(secret_key=DEMO_SECRET_KEY, demo=False).insecure
    assert not Settings(secret_key=DEMO_SECRET_KEY, demo=True).insecure
    assert not Settings(secret_key="a-real-secret-of-this-company", demo=False).insecure


def test_stale_if_match_gets_412_and_overwrites_nothing(client: TestClient, world: World) -> None:
    auth = bearer(world, "admin")
    url = f"{API}/customers/{world.own}"
    read = client.get(url, headers=auth)
    version = read.headers["etag"]
    assert client.patch(url, json={"industry": "机械"}, headers=auth).status_code == 428
    first = client.patch(url, json={"industry": "机械"}, headers={**auth, "If-Match": version})
    assert first.status_code == 200 and first.headers["etag"] != version
    second = client.patch(url, json={"industry": "化工"}, headers={**auth, "If-Match": version})
    assert second.status_code == 412
    assert client.get(url, headers=auth).json()["industry"] == "机械"


def test_changes_and_personal_reads_are_audited_and_the_log_is_append_only(
    client: TestClient, world: World
) -> None:
    auth = bearer(world, "admin")
    url = f"{API}/customers/{world.own}"
    version = client.get(url, headers=auth).headers["etag"]
    client.patch(
        url,
        json={"region": "测试大区", "phone": "13900000000"},
        headers={**auth, "If-Match": version},
    )
    log = client.get(f"{API}/audit", params={"resource_id": world.own}, headers=auth).json()[
        "items"
    ]
    update_entry = next(e for e in log if e["action"] == "update")
    assert update_entry["actor"] == "admin" and update_entry["actor_kind"] == "token"
    assert update_entry["changes"]["region"][1] == "测试大区"
    assert update_entry["changes"]["phone"] == [
        "(personal)",
        "(personal)",
    ]  # no personal value copied
    read_entry = next(e for e in log if e["action"] == "read")
    assert "phone" in read_entry["fields"]
    app = client.app.state.tierwise  # type: ignore[attr-defined]
    for statement in ("UPDATE audit_log SET actor = 'nobody'", "DELETE FROM audit_log"):
        with app.uow() as uow, pytest.raises(Exception, match="append-only"):
            uow.session.execute(text(statement))
    # every role, including the admin, has no way through the API either
    assert client.delete(f"{API}/audit", headers=auth).status_code == 405


def test_system_jobs_are_told_apart_from_people(world: World) -> None:
    with rolled_back_client(world) as client:
        auth = {"Authorization": f"Bearer {world.tokens['admin']}"}
        before = client.get(f"{API}/audit", params={"actor_kind": "system"}, headers=auth).json()[
            "items"
        ]
        assert all(e["actor_kind"] == "system" for e in before)
        people = client.get(f"{API}/audit", params={"actor_kind": "human"}, headers=auth).json()[
            "items"
        ]
        assert all(e["actor_kind"] == "human" for e in people)


def test_export_and_erase_a_person(client: TestClient, world: World) -> None:
    auth = bearer(world, "admin")
    bundle = client.get(f"{API}/customers/{world.own}/personal-data", headers=auth)
    assert bundle.status_code == 200
    data = bundle.json()
    assert data["customers"][0]["code"] == world.own
    assert "orders" in data and "consents" in data
    zipped = client.get(
        f"{API}/customers/{world.own}/personal-data", params={"format": "zip"}, headers=auth
    )
    names = zipfile.ZipFile(io.BytesIO(zipped.content)).namelist()
    assert "customers.csv" in names and "orders.csv" in names
    before = client.get(
        f"{API}/orders", params={"customer": world.own, "limit": 500}, headers=auth
    ).json()["items"]
    erased = client.post(f"{API}/customers/{world.own}/erase", headers=auth)
    assert erased.status_code == 200
    body = erased.json()
    assert body["phone"] is None and body["email"] is None and body["address"] is None
    assert body["name"].startswith("P-")
    assert all(c["phone"] is None and c["name"] == "(erased)" for c in body["contacts"])
    assert not {"basic", "family", "lifestyle", "personality"} & set(body["sections"])
    assert body["consents"] == {"service": False, "marketing": False, "analytics": False}
    after = client.get(
        f"{API}/orders", params={"customer": world.own, "limit": 500}, headers=auth
    ).json()["items"]
    assert after == before  # orders and their amounts stay
    actions = {
        e["action"]
        for e in client.get(f"{API}/audit", params={"resource_id": world.own}, headers=auth).json()[
            "items"
        ]
    }
    assert {"export_personal_data", "erase"} <= actions


def test_marketing_exports_leave_out_customers_without_consent(
    client: TestClient, world: World
) -> None:
    auth = bearer(world, "admin")
    url = f"{API}/customers/{world.own}/consents"
    client.post(url, json={"purpose": "marketing", "granted": True}, headers=auth)
    assert (
        world.own
        in client.get(
            f"{API}/exports/customers", params={"purpose": "marketing"}, headers=auth
        ).text
    )
    client.post(url, json={"purpose": "marketing", "granted": False}, headers=auth)
    marketing = client.get(
        f"{API}/exports/customers", params={"purpose": "marketing"}, headers=auth
    ).text
    assert world.own not in marketing
    assert world.own in client.get(f"{API}/exports/customers", headers=auth).text


def test_errors_come_in_the_language_asked_for(client: TestClient, world: World) -> None:
    auth = bearer(world, "admin")
    zh = client.get(f"{API}/customers/NOPE", headers={**auth, "Accept-Language": "zh-CN,zh;q=0.9"})
    en = client.get(f"{API}/customers/NOPE", headers={**auth, "Accept-Language": "en"})
    assert zh.status_code == en.status_code == 404
    assert en.json()["detail"] == "no customer with code 'NOPE'"
    assert zh.json()["detail"] != en.json()["detail"] and "NOPE" in zh.json()["detail"]


def test_cursor_pages_cover_every_row_once(client: TestClient, world: World) -> None:
    auth = bearer(world, "admin")
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 37, "sort": "-name", **({"cursor": cursor} if cursor else {})}
        r = client.get(f"{API}/customers", params=params, headers=auth).json()
        seen += [c["code"] for c in r["items"]]
        cursor = r["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 300
    assert (
        client.get(f"{API}/customers", params={"cursor": "garbage"}, headers=auth).status_code
        == 422
    )


def test_a_one_time_password_must_be_changed_before_anything_else(client: TestClient) -> None:
    admin_csrf = sign_in(client, "admin")
    made = client.post(
        f"{API}/users",
        json={"username": "new.user", "display_name": "新同事", "role": "analyst"},
        headers={"X-CSRF-Token": admin_csrf},
    )
    assert made.status_code == 201
    one_time = made.json()["one_time_password"]
    client.cookies.clear()
    csrf = sign_in(client, "new.user", one_time)
    assert client.get(f"{API}/me").json()["must_change_password"] is True
    assert client.get(f"{API}/customers").status_code == 403
    change = {"current_password": one_time, "new_password": "my-own-password-2026"}
    wrong = {**change, "current_password": "not-it-at-all"}
    headers = {"X-CSRF-Token": csrf}
    assert client.post(f"{API}/me/password", json=wrong, headers=headers).status_code == 422
    assert client.post(f"{API}/me/password", json=change, headers=headers).status_code == 204
    assert client.get(f"{API}/me").status_code == 401  # every session ends with the change
    sign_in(client, "new.user", "my-own-password-2026")
    assert client.get(f"{API}/customers").status_code == 200


def test_a_recompute_is_logged_as_system_activity_with_who_asked(world: World) -> None:
    client = TestClient(world.api)  # a recompute reads committed data in bulk: no open write
    refused = client.post(
        f"{API}/recompute-runs", json={"as_of": "2026-11-01"}, headers=bearer(world, "am")
    )
    assert refused.status_code == 403
    run = client.post(
        f"{API}/recompute-runs", json={"as_of": "2026-11-01"}, headers=bearer(world, "manager")
    )
    assert run.status_code == 201 and run.json()["as_of"] == "2026-11-01"
    jobs = client.get(
        f"{API}/audit",
        params={"actor_kind": "system", "action": "recompute"},
        headers=bearer(world, "admin"),
    ).json()["items"]
    assert jobs[0]["resource_id"] == "2026-11-01" and "requested by manager" in jobs[0]["note"]
    people = client.get(
        f"{API}/audit", params={"actor_kind": "token"}, headers=bearer(world, "admin")
    )
    assert all(e["action"] != "recompute" for e in people.json()["items"])
    earlier = client.post(
        f"{API}/recompute-runs", json={"as_of": "2026-10-01"}, headers=bearer(world, "admin")
    )
    assert earlier.status_code == 409  # tiers only move forward in time


HOSTILE_POLICIES = {
    "dotted key": (".".join(["a"] * 40_000) + " = 1\n", "key_parts", 40_000, MAX_KEY_PARTS),
    "deep arrays": ("x = " + "[" * 5_000 + "]" * 5_000 + "\n", "nesting", 5_000, MAX_NESTING),
    "deep tables": ("x = " + "{ y = " * 5_000 + "1" + " }" * 5_000, "nesting", 5_000, MAX_NESTING),
}


@pytest.mark.parametrize(
    ("source", "limit", "found", "allowed"), HOSTILE_POLICIES.values(), ids=HOSTILE_POLICIES.keys()
)
def test_a_hostile_policy_is_refused_with_422_naming_the_limit(
    client: TestClient,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    source: str,
    limit: str,
    found: int,
    allowed: int,
) -> None:
    def parsed(*args: object) -> object:
        raise AssertionError("the document reached tomllib")

    monkeypatch.setattr(tomllib, "loads", parsed)
    for user, path in (("analyst", "/tiers/simulate"), ("admin", "/tiers/policies")):
        r = client.post(
            f"{API}{path}", json={"source": source, "name": "hostile"}, headers=bearer(world, user)
        )
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        problem = r.json()
        assert problem["errors"] == [
            {"limit": limit, "found": found, "allowed": allowed, "msg": problem["errors"][0]["msg"]}
        ]
        assert problem["detail"].startswith("hostile: line 1: ")
        assert problem["detail"].endswith(f"; the limit is {allowed}")
    versions = client.get(f"{API}/tiers/policies", headers=bearer(world, "admin")).json()
    assert "hostile" not in [v["name"] for v in versions]


def test_a_simulated_condition_that_always_holds_comes_with_a_warning(
    client: TestClient, world: World
) -> None:
    source = default_policy_text()
    always = re.sub(r"^when = .*$", 'when = "1 == 1"', source, count=1, flags=re.MULTILINE)
    r = client.post(
        f"{API}/tiers/simulate", json={"source": always}, headers=bearer(world, "analyst")
    )
    assert r.status_code == 200, r.text
    assert r.json()["warnings"] == [
        "tiers[A]: the condition always holds, so it asks nothing of a customer"
    ]
    r = client.post(
        f"{API}/tiers/simulate", json={"source": source}, headers=bearer(world, "analyst")
    )
    assert r.json()["warnings"] == []


def test_a_new_password_equal_to_the_current_one_is_refused(client: TestClient) -> None:
    csrf = sign_in(client, "admin")
    same = {"current_password": ADMIN_PASSWORD, "new_password": ADMIN_PASSWORD}
    r = client.post(f"{API}/me/password", json=same, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 422
    assert r.json()["detail"] == "the new password must differ from the current one"
    assert client.get(f"{API}/me").status_code == 200  # refused: the session goes on
