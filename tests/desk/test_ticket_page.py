"""The ticket page on both databases: its clocks in business time, its timeline, moves made on the
page with a refused one shown beside the form and the agent's note kept, and 404 out of scope."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from tierwise.desk import usecases
from tierwise.desk.calendar import Calendar
from tierwise.desk.workflow import TicketKind
from tierwise.identity.access import SYSTEM

from ..support.api_world import World, password_for, rolled_back_client

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment of the week of Friday 4 December 2026, in Shanghai."""
    return dt.datetime(2026, 12, day, hour, minute, tzinfo=SHANGHAI)


def test_a_clock_counts_only_business_hours_left_or_past_due() -> None:
    cal = Calendar()  # Monday to Friday, 9:00 to 18:00
    # Friday 17:00 to Monday 10:00: one hour on Friday, one on Monday.
    pending = usecases.clock_of(cal, _at(4, 17), False, "Resolution", _at(7, 10), None)
    assert (pending.left_seconds, pending.overdue_seconds) == (2 * 3600, 0)
    # Due Friday 10:00, read Monday 9:30: eight hours on Friday, half an hour on Monday.
    late = usecases.clock_of(cal, _at(7, 9, 30), True, "Resolution", _at(4, 10), None)
    assert (late.left_seconds, late.overdue_seconds, late.paused) == (0, 8.5 * 3600, True)
    # Met at 11:00 for a 10:00 due: an hour late, and no longer paused or running.
    met = usecases.clock_of(cal, _at(7, 9), True, "First response", _at(4, 10), _at(4, 11))
    assert (met.left_seconds, met.overdue_seconds, met.paused) == (0, 3600, False)


@contextmanager
def _signed_in(world: World, username: str) -> Iterator[TestClient]:
    with rolled_back_client(world) as client:
        signed = client.post(
            "/api/v1/session", json={"username": username, "password": password_for(username)}
        )
        assert signed.status_code == 200, signed.text
        client.headers["X-CSRF-Token"] = signed.json()["csrf_token"]
        yield client


def _open(world: World, code: str, subject: str) -> int:
    app = world.api.state.tierwise
    with app.uow() as uow:
        ticket = usecases.open_ticket(
            uow, SYSTEM, app.settings.timezone, code, TicketKind.COMPLAINT, subject, "phone"
        )
        uow.commit()
    return ticket


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_the_ticket_page_moves_a_complaint_and_keeps_the_note_of_a_refused_move(
    world: World,
) -> None:
    with _signed_in(world, "csr") as client:
        ticket = _open(world, world.own, "账单金额有误")
        page = client.get(f"/service/tickets/{ticket}")
        assert page.status_code == 200, page.text[:2000]
        assert "账单金额有误" in page.text and f'href="/customers/{world.own}"' in page.text
        clocks = page.text[page.text.index('id="clocks"') :]
        assert "First response" in clocks and "Resolution" in clocks
        assert "business hours" in clocks
        assert 'value="judged"' in page.text and 'value="closed"' in page.text
        assert 'required aria-required="true"' in page.text  # judging needs its reason
        csrf = _csrf(page.text)
        move = f"/service/tickets/{ticket}/move"

        refused = client.post(
            move, data={"to": "assigned", "note": "客户来电催办", "csrf_token": csrf}
        )
        assert refused.status_code == 409
        assert 'id="move-error"' in refused.text and "cannot go from Recorded to Assigned" in (
            refused.text
        )
        assert refused.text.count("cannot go from") == 1  # beside the form, not also on top
        assert 'value="客户来电催办"' in refused.text  # the agent's note is still in the form
        assert 'class="status">Recorded<' in refused.text

        form = {"to": "judged", "note": "金额确有差错", "back": "ticket", "csrf_token": csrf}
        moved = client.post(move, data=form, follow_redirects=False)
        assert moved.status_code == 303 and moved.headers["location"].endswith(
            f"/service/tickets/{ticket}"
        )
        after = client.get(f"/service/tickets/{ticket}").text
        assert 'class="status">Judged valid<' in after
        steps = after[after.index('id="steps"') :]
        assert steps.index("Recorded") < steps.index("Judged valid") < steps.index("金额确有差错")
        assert "csr" in steps
        assert 'aria-required="true"' in after  # assigning needs its department

        board = client.get("/service").text
        assert f'href="/service/tickets/{ticket}"' in board


def test_a_ticket_out_of_scope_is_not_found_with_the_menu(world: World) -> None:
    with _signed_in(world, "csr") as client:
        ticket = _open(world, world.other, "别人的投诉")
        page = client.get(f"/service/tickets/{ticket}")
        assert page.status_code == 404
        assert "别人的投诉" not in page.text
        assert '<nav aria-label="Sections">' in page.text
        assert client.get("/service/tickets/999999").status_code == 404
