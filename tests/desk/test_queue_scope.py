"""A CSR's served scope comes from calls the system routed, never from queue entries they make.

On SQLite and PostgreSQL: queueing and taking a call by hand opens no customer file and logs
nothing on someone else's customer; the answer to a hand-queued call tells no more than the
caller's own scope; calls routed by the telephony side (and callbacks due on them) do serve the
customer; the callback list holds only customers the reader may see; the console does the same.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tierwise.db.base import utcnow
from tierwise.desk import queue
from tierwise.identity import accounts
from tierwise.identity.access import SYSTEM
from tierwise.organisation.service import active_rules

from ..support.api_world import World, password_for, rolled_back_client

API = "/api/v1"
NOBODYS_NUMBER = "19900000000"


def bearer(world: World, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[role]}"}


def without_id(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "id"}


def switchboard(client: TestClient) -> dict[str, str]:
    """A token of the telephony side, the only kind of caller whose queued calls are routed."""
    app = client.app.state.tierwise  # type: ignore[attr-defined]
    with app.uow() as uow:
        user = accounts.add_user(uow.session, "pbx", "电话平台", "telephony", "pbx-password-2026")
        token = accounts.issue_token(uow.session, user, "pbx", [], 30, utcnow())[1]
        uow.commit()
    return {"Authorization": f"Bearer {token}"}


def opens(client: TestClient, world: World, role: str, code: str) -> bool:
    """Whether `role` may open the customer's file."""
    status = client.get(f"{API}/customers/{code}", headers=bearer(world, role)).status_code
    assert status in (200, 404), status
    return status == 200


@pytest.mark.parametrize("caller_by", ["code", "phone"])
def test_queueing_and_taking_a_call_by_hand_opens_no_file(world: World, caller_by: str) -> None:
    with rolled_back_client(world) as client:
        admin, csr = bearer(world, "admin"), bearer(world, "csr")
        target = client.get(f"{API}/customers/{world.other}", headers=admin).json()
        assert target["phone"]
        caller = world.other if caller_by == "code" else target["phone"]
        logged = f"{API}/customers/{world.other}/interactions"
        before = client.get(logged, headers=admin).json()["items"]
        queued = client.post(f"{API}/service/queue", json={"caller": caller}, headers=csr)
        assert queued.status_code == 201, queued.text
        taken = client.post(f"{API}/service/queue/take", headers=csr).json()
        assert taken["id"] == queued.json()["id"]
        assert (taken["customer"], taken["tier"]) == (None, None)
        assert not opens(client, world, "csr", world.other)
        assert client.get(logged, headers=admin).json()["items"] == before


def test_a_hand_queued_caller_outside_ones_scope_is_answered_as_an_unknown_number(
    world: World,
) -> None:
    with rolled_back_client(world) as client:
        csr = bearer(world, "csr")
        unknown = client.post(
            f"{API}/service/queue", json={"caller": NOBODYS_NUMBER}, headers=csr
        ).json()
        outside = [
            code
            for code in (f"C{n:06d}" for n in range(1, 41))
            if not opens(client, world, "csr", code)
        ]
        assert len(outside) > 20
        for code in outside:
            answer = client.post(f"{API}/service/queue", json={"caller": code}, headers=csr)
            assert answer.status_code == 201
            assert without_id(answer.json()) == without_id(unknown), code
        own = client.post(f"{API}/service/queue", json={"caller": world.own}, headers=csr).json()
        tier = client.get(f"{API}/customers/{world.own}", headers=csr).json()["tier"]
        assert (own["customer"], own["tier"]) == (world.own, tier)  # one's own callers: in full


def test_calls_routed_by_the_telephony_side_serve_the_customer(world: World) -> None:
    with rolled_back_client(world) as client:
        pbx, csr = switchboard(client), bearer(world, "csr")
        target = client.get(f"{API}/customers/{world.other}", headers=bearer(world, "admin"))
        routed = client.post(f"{API}/service/queue", json={"caller": world.other}, headers=pbx)
        assert routed.status_code == 201, routed.text
        assert (routed.json()["customer"], routed.json()["tier"]) == (
            world.other,
            target.json()["tier"],
        )
        assert client.post(f"{API}/service/queue/take", headers=pbx).status_code == 403
        assert client.get(f"{API}/service/callbacks", headers=pbx).status_code == 403
        assert client.get(f"{API}/customers/{world.other}", headers=pbx).status_code == 403
        taken = client.post(f"{API}/service/queue/take", headers=csr).json()
        assert (taken["id"], taken["customer"]) == (routed.json()["id"], world.other)
        served = client.get(f"{API}/customers/{world.other}", headers=csr)
        assert served.status_code == 200 and served.json()["phone"] == target.json()["phone"]


def callback_customers(client: TestClient, world: World) -> tuple[str, str]:
    """A customer of the manager's team and one outside it, neither served by the CSR, both in
    tiers whose abandoned callers are called back."""
    admin = bearer(world, "admin")
    candidates = [
        row["code"]
        for tier in ("A", "B")
        for row in client.get(
            f"{API}/customers", params={"tier": tier, "limit": 500}, headers=admin
        ).json()["items"]
        if not opens(client, world, "csr", row["code"])
    ]
    team = [c for c in candidates if opens(client, world, "manager", c)]
    outside = [c for c in candidates if c not in team]
    assert team and outside
    return team[0], outside[0]


def test_callbacks_list_only_customers_the_reader_may_see(world: World) -> None:
    with rolled_back_client(world) as client:
        in_team, outside_team = callback_customers(client, world)
        by_hand = client.post(
            f"{API}/service/queue", json={"caller": in_team}, headers=bearer(world, "manager")
        ).json()
        app = client.app.state.tierwise  # type: ignore[attr-defined]
        with app.uow() as uow:
            rules = active_rules(uow.connection)
            routed, _who = queue.enqueue(uow.connection, rules, outside_team, utcnow(), by=SYSTEM)
            for contact in (by_hand["id"], routed):
                assert queue.abandon(uow.connection, rules, contact, utcnow()) is not None
            uow.commit()

        def listed(role: str) -> set[str]:
            rows = client.get(f"{API}/service/callbacks", headers=bearer(world, role)).json()
            return {row["code"] for row in rows} & {in_team, outside_team}

        assert listed("admin") == {in_team, outside_team}
        assert listed("manager") == {in_team}
        # The routed callback is the desk's work; the manager's hand entry widens no CSR's scope.
        assert listed("csr") == {outside_team}
        assert opens(client, world, "csr", outside_team)
        assert not opens(client, world, "csr", in_team)


def test_the_console_queue_gives_a_csr_nothing_outside_their_scope(world: World) -> None:
    with rolled_back_client(world) as client:
        signed_in = client.post(
            f"{API}/session", json={"username": "csr", "password": password_for("csr")}
        )
        csrf = signed_in.json()["csrf_token"]
        client.get("/lang/en")
        queued = client.post("/service/queue", data={"caller": world.other, "csrf_token": csrf})
        assert queued.status_code == 200
        assert "queued: tier unknown" in queued.text
        taken = client.post("/service/take", data={"csrf_token": csrf}, follow_redirects=False)
        assert taken.status_code == 303 and taken.headers["location"] == "/service"
        assert client.get(f"/customers/{world.other}").status_code == 404
