"""The helpdesk pages and API on both databases: the ticket page's assignee, priority in words,
assignment, comments, macros and departments with inline errors; the list's views and bulk
actions reporting per ticket; the board offering only legal moves; the same over the API."""

from __future__ import annotations

import re

from sqlalchemy import select

from tierwise.desk import usecases
from tierwise.desk.models import Ticket
from tierwise.desk.workflow import TicketKind
from tierwise.identity.access import SYSTEM
from tierwise.identity.models import User
from tierwise.organisation.models import Staff

from ..support.api_world import World, rolled_back_client
from .test_ticket_page import _csrf, _open, _signed_in

API = "/api/v1"


def _open_kind(world: World, code: str, subject: str, kind: TicketKind) -> int:
    """A ticket of this kind opened by the system for the customer."""
    app = world.api.state.tierwise
    with app.uow() as uow:
        ticket = usecases.open_ticket(
            uow, SYSTEM, app.settings.timezone, code, kind, subject, "phone"
        )
        uow.commit()
    return ticket


def _staff_of(world: World, username: str) -> Staff:
    """The staff member a world user is linked to."""
    with world.api.state.tierwise.uow() as uow:
        user = uow.session.scalars(select(User).where(User.username == username)).one()
        return uow.session.get_one(Staff, user.staff_id)


def _ticket(world: World, ticket_id: int) -> Ticket:
    """The ticket as stored now."""
    with world.api.state.tierwise.uow() as uow:
        return uow.session.get_one(Ticket, ticket_id)


def _section(page: str, marker: str) -> str:
    """The page from the marker on."""
    return page[page.index(marker) :]


def test_the_ticket_page_assigns_comments_and_applies_a_macro(world: World) -> None:
    with _signed_in(world, "csr") as client:
        csr, am = _staff_of(world, "csr"), _staff_of(world, "am")
        ticket = _open_kind(world, world.own, "开通新账户", TicketKind.REQUEST)
        page = client.get(f"/service/tickets/{ticket}").text
        assert f'class="assignee">{csr.name}<' in page  # the customer's CSR at opening
        assert re.search(r'class="urgency">(Urgent|High|Normal|Low)<', page)
        csrf, base = _csrf(page), f"/service/tickets/{ticket}"

        moved = client.post(
            f"{base}/assign", data={"assignee": am.code, "csrf_token": csrf}, follow_redirects=False
        )
        assert moved.status_code == 303
        assert _ticket(world, ticket).assignee_id == am.id
        refused = client.post(f"{base}/assign", data={"assignee": "nobody", "csrf_token": csrf})
        assert refused.status_code == 400 and 'id="assign-error"' in refused.text
        assert "no staff member or user nobody" in refused.text
        assert _ticket(world, ticket).assignee_id == am.id
        queued = client.post(f"{base}/assign", data={"csrf_token": csrf}, follow_redirects=False)
        assert queued.status_code == 303 and _ticket(world, ticket).assignee_id is None
        assert 'class="assignee">the desk&#39;s queue<' in client.get(base).text

        empty = client.post(f"{base}/comments", data={"body": "  ", "csrf_token": csrf})
        assert empty.status_code == 400 and 'id="comment-error"' in empty.text
        said = {"body": "已致电客户确认", "internal": "yes", "csrf_token": csrf}
        assert client.post(f"{base}/comments", data=said, follow_redirects=False).status_code == 303

        applied = client.post(
            f"{base}/macro",
            data={"name": "开始处理 / Start work", "csrf_token": csrf},
            follow_redirects=False,
        )
        assert applied.status_code == 303
        after = client.get(base).text
        assert 'class="status">In progress<' in after
        steps = _section(after, 'id="steps"')
        assert steps.index("Internal note") < steps.index("已致电客户确认")
        assert steps.index("已致电客户确认") < steps.index("您好，您的请求已开始处理。")
        assert "Reply to the customer" in steps


def test_a_refused_macro_or_department_shows_beside_its_form_with_nothing_written(
    world: World,
) -> None:
    with _signed_in(world, "csr") as client:
        ticket = _open(world, world.own, "发票抬头错误")  # a complaint, just recorded
        base = f"/service/tickets/{ticket}"
        csrf = _csrf(client.get(base).text)
        wrong = client.post(
            f"{base}/macro", data={"name": "开始处理 / Start work", "csrf_token": csrf}
        )
        assert wrong.status_code == 400 and 'id="macro-error"' in wrong.text
        assert "is not offered for this ticket" in wrong.text
        judged = {"to": "judged", "note": "属实", "back": "ticket", "csrf_token": csrf}
        client.post(f"{base}/move", data=judged)
        page = client.get(base).text
        assert '<select id="department" name="department" aria-required="true">' in page
        assert '<option value="物流部">' in page
        mars = {"to": "assigned", "department": "火星部", "csrf_token": csrf}
        refused = client.post(f"{base}/move", data=mars)
        assert (
            refused.status_code == 400 and "火星部 is not one of the organisation" in refused.text
        )
        assert _ticket(world, ticket).department is None
        steps = _section(client.get(base).text, 'id="steps"')
        assert "Reply to the customer" not in steps


def test_the_list_shows_views_and_bulk_actions_report_per_ticket(world: World) -> None:
    with _signed_in(world, "csr") as client:
        first = _open_kind(world, world.own, "改地址", TicketKind.REQUEST)
        second = _open_kind(world, world.own, "补发票", TicketKind.REQUEST)
        complaint = _open_kind(world, world.own, "态度差", TicketKind.COMPLAINT)
        mine = client.get("/service/tickets?view=mine")
        assert mine.status_code == 200
        assert all(f'id="ticket-{t}"' in mine.text for t in (first, second, complaint))
        assert 'aria-current="page">Mine<' in mine.text
        unassigned = client.get("/service/tickets?view=unassigned").text
        assert f'id="ticket-{first}"' not in unassigned

        form = {
            "action": "move",
            "to": "in_progress",
            "ids": [str(first), str(second), str(complaint)],
            "view": "mine",
            "csrf_token": _csrf(mine.text),
        }
        done = client.post("/service/tickets/bulk", data=form)
        assert done.status_code == 200
        outcomes = _section(done.text, 'id="outcomes"')
        assert f"Ticket {first}: now In progress" in outcomes
        assert f"Ticket {second}: now In progress" in outcomes
        assert (
            f"Ticket {complaint}: refused — a Complaint cannot go from Recorded to In progress"
            in (outcomes)
        )
        assert '<input type="hidden" name="view" value="mine">' in done.text  # the view is kept
        assert [_ticket(world, t).status.value for t in (first, second, complaint)] == [
            "in_progress",
            "in_progress",
            "recorded",
        ]
        queue = {**form, "action": "assign", "assignee": "", "ids": [str(first)]}
        back = client.post("/service/tickets/bulk", data=queue).text
        assert f"Ticket {first}: back in the desk&#39;s queue" in back
        assert f'id="ticket-{first}"' not in _section(back, 'id="tickets"')  # no longer mine


def test_the_board_offers_each_card_only_its_legal_moves(world: World) -> None:
    with _signed_in(world, "csr") as client:
        request = _open_kind(world, world.own, "换货", TicketKind.REQUEST)
        complaint = _open(world, world.own, "送货晚了")
        board = client.get("/service/board")
        assert board.status_code == 200
        recorded = _section(board.text, 'id="column-recorded"')
        card = recorded[recorded.index(f'id="card-{request}"') :]
        card = card[: card.index("</article>")]
        assert re.findall(r'name="to" value="(\w+)"', card) == ["in_progress", "closed"]
        assert 'name="back" value="board"' in card
        other = recorded[recorded.index(f'id="card-{complaint}"') :]
        other = other[: other.index("</article>")]
        assert "<form" not in other  # judging or closing a complaint needs a note: the page
        assert other.count(f'href="/service/tickets/{complaint}"') == 3
        moved = client.post(
            f"/service/tickets/{request}/move",
            data={"to": "in_progress", "back": "board", "csrf_token": _csrf(board.text)},
            follow_redirects=False,
        )
        assert moved.status_code == 303 and moved.headers["location"].endswith("/service/board")
        illegal = client.post(
            f"/service/tickets/{request}/move",
            data={"to": "evaluated", "back": "board", "csrf_token": _csrf(board.text)},
        )
        assert illegal.status_code == 409
        unassigned = client.get("/service/board?view=unassigned").text
        assert 'aria-current="page">Unassigned' in unassigned
        assert f'id="card-{request}"' not in unassigned  # it is the CSR's, not the queue's
        assert f'id="card-{request}"' in client.get("/service/board?view=mine").text


def _bearer(world: World, role: str) -> dict[str, str]:
    """The headers of a role's API token."""
    return {"Authorization": f"Bearer {world.tokens[role]}"}


def test_the_api_assigns_comments_and_lists_views(world: World) -> None:
    with rolled_back_client(world) as client:
        headers = _bearer(world, "csr")
        opened = client.post(
            f"{API}/tickets",
            json={"customer": world.own, "kind": "request", "subject": "查询物流"},
            headers=headers,
        )
        assert opened.status_code == 201, opened.text
        body = opened.json()
        ticket = body["id"]
        csr = _staff_of(world, "csr")
        assert (body["assignee"], body["assignee_name"]) == (csr.code, csr.name)
        assert body["urgency_label"] in ("Urgent", "High", "Normal", "Low")
        assign = f"{API}/tickets/{ticket}/assign"
        moved = client.post(assign, json={"to": world.am_staff}, headers=headers)
        assert moved.status_code == 200 and moved.json()["assignee"] == world.am_staff
        both = client.post(assign, json={"to": world.am_staff, "queue": True}, headers=headers)
        assert both.status_code == 422
        queued = client.post(assign, json={"queue": True}, headers=headers)
        assert queued.json()["assignee"] is None
        listed = client.get(f"{API}/tickets", params={"view": "unassigned"}, headers=headers)
        assert ticket in [t["id"] for t in listed.json()["items"]]
        mine = client.get(f"{API}/tickets", params={"view": "mine", "limit": 500}, headers=headers)
        assert ticket not in [t["id"] for t in mine.json()["items"]]
        comments = f"{API}/tickets/{ticket}/comments"
        added = client.post(comments, json={"body": "已发短信"}, headers=headers)
        assert added.status_code == 201 and added.json()["internal"] is False
        assert [c["body"] for c in client.get(comments, headers=headers).json()] == ["已发短信"]
        assert client.post(comments, json={"body": ""}, headers=headers).status_code == 422
        bad = client.get(f"{API}/tickets", params={"view": "everything"}, headers=headers)
        assert bad.status_code == 422


def test_the_api_hides_a_ticket_out_of_scope(world: World) -> None:
    with rolled_back_client(world) as client:
        ticket = _open(world, world.other, "别人的")
        headers = _bearer(world, "csr")
        for answer in (
            client.post(f"{API}/tickets/{ticket}/assign", json={"queue": True}, headers=headers),
            client.get(f"{API}/tickets/{ticket}/comments", headers=headers),
        ):
            assert answer.status_code == 404
