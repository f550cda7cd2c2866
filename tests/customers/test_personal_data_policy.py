"""A personal-data bundle shows a reader no more than their file view: the allow-list masks it.

On SQLite and PostgreSQL, as JSON and as zipped CSVs, by token and by the console's session.
"""

from __future__ import annotations

import io
import zipfile

from fastapi.testclient import TestClient

from ..support.api_world import World, password_for, rolled_back_client

API = "/api/v1"
OWN_PROFILE = "爽快"  # the own customer's personal profile section, {"character": "爽快"}


def bearer(world: World, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {world.tokens[role]}"}


def bundle_as(client: TestClient, world: World, headers: dict[str, str]) -> dict:  # type: ignore[type-arg]
    answer = client.get(f"{API}/customers/{world.own}/personal-data", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def personal_sections(bundle: dict) -> list:  # type: ignore[type-arg]
    return [e["data"] for e in bundle["profile_entries"] if e["section"] == "basic"]


def test_a_managers_bundle_is_masked_as_their_file_view_is(world: World) -> None:
    with rolled_back_client(world) as client:
        manager = bearer(world, "manager")
        seen = client.get(f"{API}/customers/{world.own}", headers=manager).json()
        bundle = bundle_as(client, world, manager)
        customer = bundle["customers"][0]
        stored = world.customer_file
        assert customer["address"] == seen["address"] != stored["address"]
        assert (customer["phone"], customer["email"]) == (stored["phone"], stored["email"])
        assert personal_sections(bundle) == [{"masked": True}]
        zipped = client.get(
            f"{API}/customers/{world.own}/personal-data",
            params={"format": "zip"},
            headers=manager,
        )
        archive = zipfile.ZipFile(io.BytesIO(zipped.content))
        text = "".join(archive.read(name).decode("utf-8-sig") for name in archive.namelist())
        assert stored["phone"] in text
        assert stored["address"] not in text and OWN_PROFILE not in text


def test_a_role_reading_every_personal_field_gets_the_whole_bundle(world: World) -> None:
    with rolled_back_client(world) as client:
        bundle = bundle_as(client, world, bearer(world, "admin"))
        customer = bundle["customers"][0]
        assert {k: customer[k] for k in world.customer_file} == world.customer_file
        assert personal_sections(bundle) == [{"character": OWN_PROFILE}]


def test_the_consoles_link_to_the_bundle_masks_it_the_same(world: World) -> None:
    with rolled_back_client(world) as client:
        signed_in = client.post(
            f"{API}/session", json={"username": "manager", "password": password_for("manager")}
        )
        assert signed_in.status_code == 200
        page = client.get(f"/customers/{world.own}")
        assert f"/api/v1/customers/{world.own}/personal-data" in page.text
        bundle = bundle_as(client, world, {})
        assert bundle["customers"][0]["address"] != world.customer_file["address"]
        assert personal_sections(bundle) == [{"masked": True}]
