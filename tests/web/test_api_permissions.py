"""The permission matrix: every role × every endpoint × own and someone else's customer.

Each cell asserts the exact status, and where a customer is shown, which personal fields are
masked. The expected grants are written out here, not read from the role table, so a change to a
role's permissions shows up as a failing cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tierwise.tiering.policy import default_policy_text

from ..support.api_world import ROLES, World, rolled_back_client

API = "/api/v1"
EVERYONE = frozenset(ROLES)
PEOPLE_WORK = frozenset({"admin", "manager", "am"})
SERVICE = frozenset({"admin", "manager", "csr"})
REPORTS = frozenset({"admin", "manager", "analyst"})
# Which customer each role can open: its own (owned, in the team, or served) and, for the admin,
# anyone's; analysts open none (pseudonymised lists and aggregates only).
OPENS = {"admin": {"own", "other"}, "manager": {"own"}, "am": {"own"}, "csr": {"own"}}
# Personal fields each role reads unmasked on a customer's file.
READS = {
    "admin": {"phone", "email", "address", "profile"},
    "manager": {"phone", "email"},
    "am": {"phone", "email", "address", "profile"},
    "csr": {"phone"},
}


@dataclass(frozen=True)
class Endpoint:
    """One operation, the roles granted it, and what a granted call answers."""

    method: str
    path: str
    allowed: frozenset[str]
    ok: int = 200
    body: dict[str, Any] | None = None
    params: dict[str, str] = field(default_factory=dict)
    committed: bool = False  # reads the database in bulk (ADBC): must not run in an open write

    @property
    def about_a_customer(self) -> bool:
        return "{code}" in self.path or "{code}" in str(self.body) or "{code}" in str(self.params)


CUSTOMER_ENDPOINTS = [
    Endpoint("GET", "/customers/{code}", EVERYONE),
    Endpoint(
        "PATCH",
        "/customers/{code}",
        frozenset({"admin", "manager", "am"}),
        body={"industry": "机械"},
    ),
    Endpoint("GET", "/customers/{code}/interactions", EVERYONE),
    Endpoint(
        "POST",
        "/customers/{code}/interactions",
        frozenset({"admin", "manager", "am", "csr"}),
        201,
        {"occurred_at": "2026-11-02T10:00:00+08:00", "channel": "phone", "direction": "outbound"},
    ),
    Endpoint("GET", "/customers/{code}/consents", EVERYONE),
    Endpoint(
        "POST",
        "/customers/{code}/consents",
        PEOPLE_WORK,
        201,
        {"purpose": "marketing", "granted": True},
    ),
    Endpoint("GET", "/customers/{code}/personal-data", frozenset({"admin", "manager"})),
    Endpoint("POST", "/customers/{code}/erase", frozenset({"admin", "manager"})),
    Endpoint("GET", "/customers/{code}/tier", EVERYONE),
    Endpoint("GET", "/customers/{code}/tier-history", EVERYONE),
    Endpoint("GET", "/customers/{code}/indicators", EVERYONE),
    Endpoint(
        "PUT",
        "/customers/{code}/owner",
        frozenset({"admin", "manager"}),
        204,
        {"staff": "{am}", "reason": "matrix", "force": True},
    ),
    Endpoint("GET", "/customers/{code}/assignments", EVERYONE),
    Endpoint(
        "GET",
        "/surveys",
        frozenset({"admin", "manager", "am", "analyst"}),
        params={"customer": "{code}"},
    ),
    Endpoint("GET", "/orders", PEOPLE_WORK, params={"customer": "{code}"}),
    Endpoint("POST", "/orders", PEOPLE_WORK, 201, {"customer": "{code}", "amount": "100.00"}),
    Endpoint(
        "POST",
        "/tickets",
        frozenset({"admin", "manager", "am", "csr"}),
        201,
        {"customer": "{code}", "kind": "request", "subject": "matrix"},
    ),
]
GENERAL_ENDPOINTS = [
    Endpoint("GET", "/me", EVERYONE),
    Endpoint("GET", "/roles", EVERYONE),
    Endpoint("GET", "/tokens", EVERYONE),
    Endpoint("GET", "/customers", EVERYONE),
    Endpoint("GET", "/products", EVERYONE),
    Endpoint("GET", "/orders", PEOPLE_WORK),
    Endpoint("GET", "/surveys", frozenset({"admin", "manager", "am", "analyst"})),
    Endpoint("GET", "/tiers/policy", EVERYONE),
    Endpoint("GET", "/tiers/policies", EVERYONE),
    Endpoint(
        "POST", "/tiers/policies", frozenset({"admin", "manager"}), 201, {"source": "{policy}"}
    ),
    Endpoint("POST", "/tiers/simulate", REPORTS, body={"source": "{policy}"}, committed=True),
    Endpoint("GET", "/tiers/distribution", REPORTS, committed=True),
    Endpoint("GET", "/recompute-runs", REPORTS),
    Endpoint("POST", "/service/queue", SERVICE, 201, {"caller": "13800000000"}),
    Endpoint("GET", "/service/callbacks", SERVICE),
    Endpoint("GET", "/service/report", REPORTS, params={"date": "2026-10-30"}),
    Endpoint("GET", "/tickets", frozenset({"admin", "manager", "am", "csr"})),
    Endpoint("GET", "/notifications", EVERYONE),
    Endpoint("POST", "/notifications/read", EVERYONE),
    Endpoint("GET", "/staff", PEOPLE_WORK),
    Endpoint("GET", "/tasks", PEOPLE_WORK),
    Endpoint("GET", "/accountability-items", PEOPLE_WORK),
    Endpoint(
        "GET",
        "/scorecards",
        frozenset({"admin", "manager", "am", "analyst"}),
        params={"period": "2026-10"},
    ),
    Endpoint("GET", "/exports/customers", frozenset({"admin", "manager"})),
    Endpoint("GET", "/users", frozenset({"admin"})),
    Endpoint("GET", "/audit", frozenset({"admin"})),
]


def _fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key, text in values.items():
            value = value.replace("{" + key + "}", text)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    return value


def call(client: TestClient, world: World, role: str, endpoint: Endpoint, code: str) -> Any:
    """Make the endpoint's request as `role` about customer `code`."""
    auth = {"Authorization": f"Bearer {world.tokens[role]}"}
    admin = {"Authorization": f"Bearer {world.tokens['admin']}"}
    values = {"code": code, "am": world.am_staff, "policy": default_policy_text()}
    headers = dict(auth)
    if endpoint.method == "PATCH":
        headers["If-Match"] = client.get(f"{API}/customers/{code}", headers=admin).headers["etag"]
    return client.request(
        endpoint.method,
        API + _fill(endpoint.path, values),
        headers=headers,
        json=_fill(endpoint.body, values),
        params=_fill(endpoint.params, values),
    )


def expected(role: str, endpoint: Endpoint, target: str) -> int:
    """The status the matrix demands."""
    if role not in endpoint.allowed:
        return 403
    if endpoint.about_a_customer:
        if role == "analyst":
            return 403
        if target not in OPENS[role]:
            return 404
    return endpoint.ok


CELLS = [
    pytest.param(role, endpoint, target, id=f"{role}-{endpoint.method} {endpoint.path}-{target}")
    for endpoint in CUSTOMER_ENDPOINTS
    for role in ROLES
    for target in ("own", "other")
] + [
    pytest.param(role, endpoint, "own", id=f"{role}-{endpoint.method} {endpoint.path}")
    for endpoint in GENERAL_ENDPOINTS
    for role in ROLES
]


@pytest.mark.parametrize(("role", "endpoint", "target"), CELLS)
def test_matrix(world: World, role: str, endpoint: Endpoint, target: str) -> None:
    code = world.own if target == "own" else world.other
    if endpoint.committed:
        response = call(TestClient(world.api), world, role, endpoint, code)
    else:
        with rolled_back_client(world) as client:
            response = call(client, world, role, endpoint, code)
    assert response.status_code == expected(role, endpoint, target), response.text
    if response.status_code == 200 and endpoint.path == "/customers/{code}" and target == "own":
        body = response.json()
        reads = READS[role]
        customer = world.customer_file
        for name in ("phone", "email", "address"):
            if name in reads:
                assert body[name] == customer[name], name
            else:
                assert body[name] != customer[name] and ("*" in body[name]), name
        personal = {"basic", "family", "lifestyle", "personality"} & set(body["sections"])
        assert personal, "the fixture customer has personal sections"
        for section in personal:
            masked = body["sections"][section] == {"masked": True}
            assert masked != ("profile" in reads), section


@pytest.mark.parametrize("role", ROLES)
def test_lists_and_exports_never_show_what_a_role_may_not_read(world: World, role: str) -> None:
    with rolled_back_client(world) as client:
        auth = {"Authorization": f"Bearer {world.tokens[role]}"}
        rows = client.get(f"{API}/customers", params={"limit": 500}, headers=auth).json()["items"]
        codes = {row["code"] for row in rows}
        assert (world.other in codes) == (role == "admin")
        if role == "analyst":
            assert world.own not in codes and all(r["code"].startswith("P-") for r in rows)
            assert all(r["phone"] is None and r["email"] is None for r in rows)
            assert (
                client.get(f"{API}/customers", params={"q": "C0"}, headers=auth).status_code == 403
            )
            return
        assert world.own in codes
        mine = next(r for r in rows if r["code"] == world.own)
        for name in ("phone", "email", "address"):
            shown = mine[name] == world.customer_file[name]
            assert shown == (name in READS[role]), name
        export = client.get(f"{API}/exports/customers", headers=auth)
        if export.status_code == 200:
            text = export.text
            assert (world.other in text) == (role == "admin")
            assert (world.customer_file["address"] in text) == ("address" in READS[role])
