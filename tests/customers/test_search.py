"""One search box: a code from its start, a name anywhere in it, a number however written
(customers' and their contacts'), and a contact person's name — each only as far as the reader's
role may read, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from tierwise.customers.models import Contact, Customer

from ..support.api_world import World, rolled_back_client

API = "/api/v1"


def _found(client, world: World, role: str, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    answer = client.get(
        f"{API}/customers",
        params={"q": text, "limit": 200},
        headers={"Authorization": f"Bearer {world.tokens[role]}"},
    )
    assert answer.status_code == 200, answer.text
    return [c["code"] for c in answer.json()["items"]]


def test_a_name_is_found_anywhere_in_it_and_a_code_from_its_start(world: World) -> None:
    with rolled_back_client(world) as client:
        app = client.app.state.tierwise  # type: ignore[attr-defined]
        with app.uow() as uow:
            name = uow.session.scalar(select(Customer.name).where(Customer.code == world.own))
        assert name and len(name) >= 4
        middle = name[1:-1]  # neither its start nor its end
        assert world.own in _found(client, world, "admin", middle)
        assert world.own in _found(client, world, "admin", world.own[:4])
        assert world.own not in _found(
            client, world, "admin", world.own[1:]
        )  # codes: from the start


def test_a_number_however_written_and_a_contacts_name_find_the_customer(world: World) -> None:
    with rolled_back_client(world) as client:
        app = client.app.state.tierwise  # type: ignore[attr-defined]
        with app.uow() as uow:
            customer_id = uow.session.scalar(select(Customer.id).where(Customer.code == world.own))
            uow.session.add(
                Contact(
                    code=f"{world.own}-赵采购",
                    customer_id=customer_id,
                    name="赵采购",
                    phone="021-6543 2100",
                    is_primary=False,
                )
            )
            uow.commit()
        phone = world.customer_file["phone"]  # 13912345678 on the customer itself
        written = f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"
        assert world.own in _found(client, world, "admin", written)
        assert world.own in _found(client, world, "admin", "(021) 65432100")  # the contact's
        assert world.own in _found(client, world, "admin", "采购")  # the contact's name
