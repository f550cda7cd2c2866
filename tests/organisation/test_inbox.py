"""The staff inbox on SQLite and PostgreSQL: raised once per key, counted, newest first, marked
read one or all; in the console's header, on the inbox page and the service desk, and over the
API, where each user sees and marks only their own."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, insert, select

from tierwise.desk import usecases, warnings
from tierwise.desk.workflow import TicketKind
from tierwise.identity.access import SYSTEM
from tierwise.identity.models import User
from tierwise.organisation import inbox
from tierwise.organisation.models import Staff

from ..support.api_world import World, password_for, rolled_back_client
from ..support.browser import shot, sign_in

AT = dt.datetime(2026, 12, 7, 2, tzinfo=dt.UTC)
API = "/api/v1"


def _person(conn: Connection, code: str) -> int:
    return int(
        conn.execute(
            insert(Staff.__table__)
            .values(code=code, name=code, role="csr", level="junior")
            .returning(Staff.id)
        ).scalar_one()
    )


def test_a_notification_is_raised_once_per_key_and_read_one_or_all(connection: Connection) -> None:
    me, other = _person(connection, "N1"), _person(connection, "N2")
    about = {"ticket": 1, "subject": "s", "clock": "resolution", "share": 0.75}
    assert inbox.notify(connection, me, "sla_warning", about, "k1", AT, "/service/tickets/1")
    assert not inbox.notify(connection, me, "sla_warning", about, "k1", AT)  # the same key
    assert inbox.notify(connection, other, "sla_warning", about, "k1", AT)  # someone else
    later = AT + dt.timedelta(minutes=5)
    assert inbox.notify(connection, me, "sla_breach", {**about, "share": None}, "k2", later)
    assert inbox.raised(connection, {"k1", "k2", "k3"}) == {"k1", "k2"}
    assert inbox.unread_count(connection, me) == 2
    newest, oldest = inbox.notifications(connection, me)
    assert (newest.kind, oldest.kind) == ("sla_breach", "sla_warning")
    assert oldest.parameters == about and oldest.link == "/service/tickets/1"
    assert oldest.created_at == AT and oldest.read_at is None
    inbox.mark_read(connection, me, oldest.id, later)
    inbox.mark_read(connection, me, oldest.id, later + dt.timedelta(hours=1))  # stays as read
    assert inbox.notifications(connection, me)[1].read_at == later
    assert [n.id for n in inbox.notifications(connection, me, unread_only=True)] == [newest.id]
    with pytest.raises(LookupError, match=f"no notification {oldest.id}"):
        inbox.mark_read(connection, other, oldest.id, later)  # not theirs
    assert inbox.mark_all_read(connection, me, later) == 1
    assert inbox.unread_count(connection, me) == 0
    assert inbox.unread_count(connection, other) == 1


@contextmanager
def _signed_in(world: World, username: str) -> Iterator[TestClient]:
    with rolled_back_client(world) as client:
        signed = client.post(
            f"{API}/session", json={"username": username, "password": password_for(username)}
        )
        assert signed.status_code == 200, signed.text
        client.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
        yield client


def _staff_of(world: World, username: str) -> int:
    with world.api.state.tierwise.uow() as uow:
        staff = uow.session.scalar(select(User.staff_id).where(User.username == username))
    assert staff is not None
    return staff


def _warn(world: World, username: str, subject: str) -> int:
    """Open a ticket on the world's own customer and warn the user's staff member about it."""
    app = world.api.state.tierwise
    staff = _staff_of(world, username)
    with app.uow() as uow:
        ticket = usecases.open_ticket(
            uow, SYSTEM, app.settings.timezone, world.own, TicketKind.COMPLAINT, subject, "phone"
        )
        about = {"ticket": ticket, "subject": subject, "clock": "first_response", "share": 0.75}
        inbox.notify(
            uow.connection,
            staff,
            warnings.WARNING,
            about,
            f"test:{ticket}",
            AT,
            f"/service/tickets/{ticket}",
        )
        uow.commit()
    return ticket


def _unread(page: str) -> int:
    found = re.search(r'id="inbox-count"[^>]*>[^<]*<span class="count"[^>]*>(\d+)</span>', page)
    assert found is not None, page[:3000]
    return int(found.group(1))


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_the_header_counts_the_unread_and_the_inbox_page_marks_them_read(world: World) -> None:
    with _signed_in(world, "csr") as client:
        before = _unread(client.get("/customers").text)
        ticket = _warn(world, "csr", "发票未寄到")
        assert _unread(client.get("/customers").text) == before + 1
        page = client.get("/inbox")
        assert page.status_code == 200
        text = f"Ticket {ticket} “发票未寄到” has used 75% of its first response time."
        assert f'<a href="/service/tickets/{ticket}">{text}</a>' in page.text
        assert "sla_warning" not in page.text and "first_response" not in page.text
        desk = client.get("/service").text
        assert 'id="sla-warnings"' in desk and text in desk[: desk.index('id="queue-title"')]
        newest = client.get(f"{API}/notifications").json()["items"][0]
        read = client.post(f"/inbox/{newest['id']}/read", data={"csrf_token": _csrf(page.text)})
        assert read.status_code == 200 and "Marked read." in read.text
        assert _unread(read.text) == before
        client.post("/inbox/read", data={"csrf_token": _csrf(page.text)})
        assert _unread(client.get("/inbox").text) == 0
        client.cookies.set("tierwise_lang", "zh_CN")
        chinese = client.get("/inbox").text
        assert "通知" in chinese and "首次响应" in chinese


def test_the_api_shows_and_marks_only_your_own_notifications(world: World) -> None:
    with _signed_in(world, "am") as client:
        _warn(world, "csr", "只给客服")
        mine = client.get(f"{API}/notifications")
        assert mine.status_code == 200
        assert all(
            n["subject"] != "只给客服" for n in (i["parameters"] for i in mine.json()["items"])
        )
        with world.api.state.tierwise.uow() as uow:
            theirs = inbox.notifications(uow.connection, _staff_of(world, "csr"))[0].id
        refused = client.post(f"{API}/notifications/{theirs}/read")
        assert refused.status_code == 404
        assert refused.headers["content-type"].startswith("application/problem+json")
        ticket = _warn(world, "am", "给客户经理")
        listed = client.get(f"{API}/notifications", params={"unread_only": True}).json()
        newest = listed["items"][0]
        assert newest["parameters"]["ticket"] == ticket and newest["kind"] == "sla_warning"
        assert newest["text"].startswith(f"Ticket {ticket} “给客户经理” has used 75%")
        assert listed["unread"] >= 1
        assert client.post(f"{API}/notifications/{newest['id']}/read").status_code == 204
        after = client.get(f"{API}/notifications").json()
        assert after["unread"] == listed["unread"] - 1
        marked = client.post(f"{API}/notifications/read").json()["marked"]
        assert marked == after["unread"]
        assert client.get(f"{API}/notifications").json()["unread"] == 0
    with _signed_in(world, "csr") as client:
        unread = client.get(f"{API}/notifications").json()["unread"]
        assert unread >= 1  # the CSR's are untouched by the account manager's "all read"


def test_the_api_needs_a_signed_in_caller(world: World) -> None:
    with rolled_back_client(world) as client:
        assert client.get(f"{API}/notifications").status_code == 401
        assert client.post(f"{API}/notifications/1/read").status_code == 401


def test_a_user_who_is_not_staff_has_an_empty_inbox(world: World) -> None:
    with _signed_in(world, "admin") as client:
        assert client.get(f"{API}/notifications").json() == {"unread": 0, "items": []}
        assert client.post(f"{API}/notifications/1/read").status_code == 404
        page = client.get("/inbox")
        assert page.status_code == 200 and "not linked to a staff member" in page.text


def test_in_the_browser_the_count_leads_to_the_inbox_and_the_desk_shows_the_warning(
    page, console_world: World
) -> None:  # type: ignore[no-untyped-def]
    ticket = _warn(console_world, "csr", "发票未寄到")
    sign_in(page, "csr")
    page.goto("/service")
    warned = page.locator("#sla-warnings")
    assert f"Ticket {ticket} “发票未寄到” has used 75%" in warned.inner_text()
    assert int(page.locator("#inbox-count .count").inner_text()) >= 1
    page.locator("#inbox-count").click()
    page.wait_for_url("**/inbox")
    assert (
        page.locator("#notifications")
        .get_by_role("link")
        .first.inner_text()
        .startswith(f"Ticket {ticket} “发票未寄到”")
    )
    shot(page, "inbox")
    page.locator("#read-all").click()
    page.wait_for_load_state()
    assert page.locator("#inbox-count .count").inner_text() == "0"
    assert page.get_by_role("button", name="Mark read").count() == 0
