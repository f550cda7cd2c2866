"""The agent's desk on both databases: take the next caller and see their card on the desk, wrap
the call up (the customer's log entry completed, a follow-up becomes a callback, the owner's task
done by it), say who an unknown caller is, and refusals that keep what the agent typed."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from tierwise.accountability.models import Task, TaskStatus
from tierwise.customers.models import Customer, Interaction
from tierwise.db.base import utcnow
from tierwise.desk import usecases
from tierwise.desk.models import ContactStatus, QueueContact
from tierwise.desk.workflow import TicketKind
from tierwise.identity.access import SYSTEM
from tierwise.organisation.models import TaskKind

from ..support.api_world import World, password_for, rolled_back_client

API = "/api/v1"
NOBODYS_NUMBER = "+86 199 0000 0001"


@contextmanager
def _desk(world: World, username: str = "csr") -> Iterator[TestClient]:
    """A signed-in console client on an empty queue, every write undone afterwards."""
    with rolled_back_client(world) as client:
        signed = client.post(
            f"{API}/session", json={"username": username, "password": password_for(username)}
        )
        assert signed.status_code == 200, signed.text
        client.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
        with client.app.state.tierwise.uow() as uow:  # type: ignore[attr-defined]
            q = QueueContact.__table__
            uow.connection.execute(
                update(q)
                .where(q.c.status == ContactStatus.WAITING)
                .values(status=ContactStatus.ABANDONED, abandoned_at=utcnow())
            )
            uow.commit()
        yield client


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def _take(client: TestClient, caller: str) -> tuple[int, str]:
    """Queue a call, take it on the desk page; the id of the call and the desk afterwards."""
    queued = client.post(f"{API}/service/queue", json={"caller": caller})
    assert queued.status_code == 201, queued.text
    desk = client.get("/service").text
    taken = client.post("/service/take", data={"csrf_token": _csrf(desk)}, follow_redirects=False)
    assert taken.status_code == 303 and taken.headers["location"].endswith("/service")
    return int(queued.json()["id"]), client.get("/service").text


def test_the_card_of_the_call_in_hand_and_its_wrap_up(world: World) -> None:
    with _desk(world) as client:
        app = client.app.state.tierwise  # type: ignore[attr-defined]
        with app.uow() as uow:
            own = uow.session.scalar(select(Customer).where(Customer.code == world.own))
            assert own is not None
            yesterday = utcnow().date() - dt.timedelta(days=1)
            task = Task(
                customer_id=own.id,
                staff_id=own.owner_id,
                kind=TaskKind.CALL,
                opened_on=yesterday,
                due_on=yesterday + dt.timedelta(days=7),
                source="cadence",
            )
            uow.session.add(task)
            uow.commit()
            task_id = task.id
        call, desk = _take(client, world.own)
        card = desk[desk.index('id="hand-title"') : desk.index('id="wrap-title"')]
        assert world.own in card and "Call in hand" in card
        assert re.search(r"repeat buyer: \d+ orders|first-time buyer|has not bought yet", card)
        assert 'class="tier badge"' in card  # the tier, as a badge
        assert "Last contacts" in card and "Open tickets" in card
        entitled = card[card.index('class="entitlements"') :]
        assert re.search(r"left until|entitled to no services", entitled.split("</ul>")[0])
        assert f'action="/service/calls/{call}/wrap-up"' in desk

        follow_up = (utcnow() + dt.timedelta(days=2)).astimezone(dt.timezone(dt.timedelta(hours=8)))
        wrapped = client.post(
            f"/service/calls/{call}/wrap-up",
            data={
                "outcome": "follow_up",
                "memo": "要报价单",
                "follow_up": follow_up.strftime("%Y-%m-%dT%H:%M"),
                "csrf_token": _csrf(desk),
            },
            follow_redirects=False,
        )
        assert wrapped.status_code == 303, wrapped.text[:2000]
        with app.uow() as uow:
            contact = uow.session.get(QueueContact, call)
            assert contact is not None and contact.wrapped_at is not None
            assert contact.callback_due is not None  # the follow-up is a callback owed
            assert contact.callback_due.strftime("%H:%M") == follow_up.astimezone(dt.UTC).strftime(
                "%H:%M"
            )
            entry = uow.session.get(Interaction, contact.interaction_id)
            assert entry is not None
            assert (entry.outcome.value, entry.memo) == ("follow_up", "要报价单")  # type: ignore[union-attr]
            assert entry.minutes is not None and entry.minutes >= 0
            done = uow.session.get(Task, task_id)
            assert done is not None and done.status is TaskStatus.DONE  # one job, one place
        after = client.get("/service").text
        assert "No call in hand" in after
        again = client.post(
            f"/service/calls/{call}/wrap-up",
            data={"outcome": "informed", "csrf_token": _csrf(after)},
        )
        assert again.status_code == 409 and "already wrapped up" in again.text


def test_a_wrap_up_refused_keeps_the_memo(world: World) -> None:
    with _desk(world) as client:
        call, desk = _take(client, world.own)
        refused = client.post(
            f"/service/calls/{call}/wrap-up",
            data={
                "outcome": "resolved",
                "memo": "已解释发票",
                "follow_up": "2020-01-01T09:00",
                "csrf_token": _csrf(desk),
            },
        )
        assert refused.status_code == 400
        assert "has passed" in refused.text and "已解释发票</textarea>" in refused.text
        api = client.post(f"{API}/service/calls/{call}/wrap-up", json={"outcome": "nonsense"})
        assert api.status_code == 422
        done = client.post(
            f"{API}/service/calls/{call}/wrap-up", json={"outcome": "resolved", "memo": "ok"}
        )
        assert done.status_code == 200, done.text
        assert done.json()["id"] == call


def test_an_unknown_caller_is_found_and_said_to_be_the_customer(world: World) -> None:
    with _desk(world) as client:
        call, desk = _take(client, NOBODYS_NUMBER)
        assert "The caller is not known" in desk
        found = client.get("/service", params={"find": world.own}).text
        assert "This is the caller" in found and world.own in found
        outside = client.post(
            f"/service/calls/{call}/caller",
            data={"customer": world.other, "csrf_token": _csrf(found)},
        )
        assert outside.status_code == 409  # out of the agent's scope: as if absent
        assert "The caller is not known" in outside.text  # still unknown, the reason beside it
        assert 'role="alert"' in outside.text
        said = client.post(
            f"/service/calls/{call}/caller",
            data={"customer": world.own, "csrf_token": _csrf(found)},
            follow_redirects=False,
        )
        assert said.status_code == 303
        desk = client.get("/service").text
        card = desk[desk.index('id="hand-title"') : desk.index('id="wrap-title"')]
        assert world.own in card
        app = client.app.state.tierwise  # type: ignore[attr-defined]
        with app.uow() as uow:
            contact = uow.session.get(QueueContact, call)
            assert contact is not None and contact.interaction_id is not None
        twice = client.post(f"{API}/service/calls/{call}/caller", json={"customer": world.own})
        assert twice.status_code == 409


def test_only_the_agent_who_answered_wraps_the_call_up(world: World) -> None:
    with _desk(world) as client:
        call, _desk_page = _take(client, world.own)
        app = client.app.state.tierwise  # type: ignore[attr-defined]
        with app.uow() as uow:
            q = QueueContact.__table__
            other = uow.connection.execute(
                select(q.c.taken_by).where(q.c.taken_by.is_not(None), q.c.id != call).limit(1)
            ).scalar()
            uow.connection.execute(update(q).where(q.c.id == call).values(taken_by=other))
            uow.commit()
        refused = client.post(f"{API}/service/calls/{call}/wrap-up", json={"outcome": "resolved"})
        assert refused.status_code == 404 and "not in your hand" in refused.text


def test_an_unknown_caller_is_added_as_a_prospect_in_place(world: World) -> None:
    with _desk(world) as client:
        call, desk = _take(client, NOBODYS_NUMBER)
        assert 'id="prospect-form"' in desk
        empty = client.post(
            f"/service/calls/{call}/prospect", data={"name": " ", "csrf_token": _csrf(desk)}
        )
        assert empty.status_code == 400 and 'role="alert"' in empty.text
        added = client.post(
            f"/service/calls/{call}/prospect",
            data={"name": "王先生", "csrf_token": _csrf(desk)},
            follow_redirects=False,
        )
        assert added.status_code == 303, added.text[:2000]
        app = client.app.state.tierwise  # type: ignore[attr-defined]
        with app.uow() as uow:
            contact = uow.session.get(QueueContact, call)
            assert contact is not None and contact.customer_id is not None
            prospect = uow.session.get(Customer, contact.customer_id)
            assert prospect is not None and prospect.name == "王先生"
            assert prospect.status.value == "prospect" and prospect.phone == NOBODYS_NUMBER
            assert prospect.csr_id == contact.taken_by  # the agent who answered serves them
        card = client.get("/service").text
        assert prospect.code in card.split('id="wrap-title"')[0]


def test_a_prospect_is_refused_for_a_number_another_customer_has(world: World) -> None:
    with _desk(world) as client:
        app = client.app.state.tierwise  # type: ignore[attr-defined]
        with app.uow() as uow:
            phone = uow.session.scalar(select(Customer.phone).where(Customer.code == world.other))
        assert phone
        call, _page = _take(client, phone)  # someone else's customer: unknown to this agent
        refused = client.post(f"{API}/service/calls/{call}/prospect", json={"name": "冒名者"})
        assert refused.status_code == 409, refused.text
        assert world.other not in refused.text  # the number does not tell whose it is


def test_odd_follow_ups_and_a_second_wrap_up_are_refused_in_place(world: World) -> None:
    with _desk(world) as client:
        call, desk = _take(client, world.own)
        for typed in ("0001-01-01T00:00", "9999-12-31T23:59", "soon"):
            refused = client.post(
                f"/service/calls/{call}/wrap-up",
                data={
                    "outcome": "resolved",
                    "memo": "备注",
                    "follow_up": typed,
                    "csrf_token": _csrf(desk),
                },
            )
            assert refused.status_code == 400 and "备注</textarea>" in refused.text, typed
        api = client.post(
            f"{API}/service/calls/{call}/wrap-up",
            json={"outcome": "resolved", "follow_up": "0001-01-01T00:00:00+08:00"},
        )
        assert api.status_code == 422
        assert (
            client.post(
                f"{API}/service/calls/{call}/wrap-up", json={"outcome": "resolved"}
            ).status_code
            == 200
        )
        again = client.post(
            f"/service/calls/{call}/prospect", data={"name": "某人", "csrf_token": _csrf(desk)}
        )
        assert again.status_code == 409 and "already wrapped up" in again.text  # said in place


def test_a_colleagues_hand_queued_caller_stays_unknown_and_nothing_goes_on_their_file(
    world: World,
) -> None:
    with _desk(world) as client:
        app = client.app.state.tierwise  # type: ignore[attr-defined]
        with app.uow() as uow:
            other_id = uow.session.scalar(select(Customer.id).where(Customer.code == world.other))
            q = QueueContact.__table__
            call = uow.connection.execute(
                q.insert()
                .values(
                    caller=world.other,
                    customer_id=other_id,
                    tier=None,
                    lane=1,
                    priority=0,
                    queue_key=0.0,
                    answer_seconds=20,
                    status=ContactStatus.WAITING,
                    arrived_at=utcnow(),
                    routed=False,
                    entered_by="manager",
                )
                .returning(q.c.id)
            ).scalar_one()
            uow.commit()
        desk = client.get("/service").text
        client.post("/service/take", data={"csrf_token": _csrf(desk)})
        desk = client.get("/service").text
        hand = desk[desk.index('id="hand-title"') : desk.index('id="wrap-title"')]
        assert world.other not in hand  # the typed code does not tell whose call it is
        with app.uow() as uow:
            before = uow.session.scalar(
                select(func.count())
                .select_from(Interaction)
                .where(Interaction.customer_id == other_id)
            )
        done = client.post(
            f"{API}/service/calls/{call}/wrap-up", json={"outcome": "resolved", "memo": "盲写"}
        )
        assert done.status_code == 200, done.text
        with app.uow() as uow:
            after = uow.session.scalar(
                select(func.count())
                .select_from(Interaction)
                .where(Interaction.customer_id == other_id)
            )
            memos = uow.session.scalars(
                select(Interaction.memo).where(Interaction.customer_id == other_id)
            ).all()
        assert after == before and "盲写" not in memos


def test_a_ticket_goes_only_to_someone_who_may_open_its_customer(world: World) -> None:
    with _desk(world, "admin") as client:
        app = client.app.state.tierwise  # type: ignore[attr-defined]
        with app.uow() as uow:
            theirs = usecases.open_ticket(
                uow, SYSTEM, app.settings.timezone, world.other, TicketKind.REQUEST, "换货", "phone"
            )
            ours = usecases.open_ticket(
                uow, SYSTEM, app.settings.timezone, world.own, TicketKind.REQUEST, "换货", "phone"
            )
            uow.commit()
        refused = client.post(f"{API}/tickets/{theirs}/assign", json={"to": "csr"})
        assert refused.status_code == 422 and "cannot open this customer" in refused.text
        given = client.post(f"{API}/tickets/{ours}/assign", json={"to": "csr"})
        assert given.status_code == 200, given.text
