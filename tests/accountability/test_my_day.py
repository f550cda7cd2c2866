"""My day on both databases: each list holds what it should for the account manager, the CSR
and the manager, nothing of another team's customer; a task done from the page is audited like
the API's and leaves the page; account managers and CSRs land on their day, managers do not."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from tierwise.accountability.models import AccountabilityItem, ItemKind, ItemStatus, Task
from tierwise.accountability.my_day import DueTask, Line, MyDay, my_day
from tierwise.bootstrap import App
from tierwise.customers.models import Customer
from tierwise.customers.scopes import customer_filter
from tierwise.db.base import utcnow
from tierwise.desk import usecases
from tierwise.desk.models import QueueContact, Ticket
from tierwise.desk.workflow import TicketKind
from tierwise.identity.access import SYSTEM, Principal
from tierwise.identity.accounts import principal_for
from tierwise.identity.models import AuditEntry, User
from tierwise.organisation.models import Staff, TaskKind
from tierwise.tiering.models import CustomerTier, TierEvent, TierEventKind

from ..support.api_world import World, password_for, rolled_back_client

ZONE = "Asia/Shanghai"
NOW = dt.datetime(2026, 11, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


@dataclass(frozen=True)
class Seeded:
    """What was added for the day: the ids worth looking for."""

    due_today: int
    overdue: int
    tomorrow: int
    others_overdue: int
    to_answer: int
    answered: int


def _today(now: dt.datetime) -> dt.date:
    return now.astimezone(ZoneInfo(ZONE)).date()


def _seed(app: App, world: World, now: dt.datetime) -> Seeded:
    """Tasks, items, tier events, callbacks and complaints on the own and the other customer."""
    today = _today(now)
    with app.uow() as uow:
        s = uow.session
        own = s.scalars(select(Customer).where(Customer.code == world.own)).one()
        other = s.scalars(select(Customer).where(Customer.code == world.other)).one()
        tier = s.get_one(CustomerTier, own.id).tier

        def task(customer: Customer, due: dt.date, note: str) -> int:
            row = Task(
                customer_id=customer.id,
                staff_id=customer.owner_id,
                kind=TaskKind.CALL,
                opened_on=due - dt.timedelta(days=7),
                due_on=due,
                source="test",
                note=note,
            )
            s.add(row)
            s.flush()
            return row.id

        def item(customer: Customer, status: ItemStatus, detail: str) -> int:
            row = AccountabilityItem(
                kind=ItemKind.OBLIGATION_OVERDUE,
                source_ref=f"test:{detail}",
                staff_id=customer.owner_id,
                customer_id=customer.id,
                raised_on=today,
                detail=detail,
                status=status,
            )
            s.add(row)
            s.flush()
            return row.id

        seeded = Seeded(
            task(own, today, "seeded due today"),
            task(own, today - dt.timedelta(days=3), "seeded overdue"),
            task(own, today + dt.timedelta(days=1), "seeded tomorrow"),
            task(other, today - dt.timedelta(days=2), "seeded other overdue"),
            item(own, ItemStatus.OPEN, "seeded to answer"),
            item(own, ItemStatus.ANSWERED, "seeded answered"),
        )
        item(other, ItemStatus.OPEN, "seeded other item")
        item(other, ItemStatus.ANSWERED, "seeded other answered")
        events = [
            (own, TierEventKind.TIER_CHANGED, "NEWTIER", "PREV", today - dt.timedelta(days=2)),
            (own, TierEventKind.TIER_CHANGED, "OLDTIER", "PREV", today - dt.timedelta(days=10)),
            (own, TierEventKind.DOWNGRADE_AT_RISK, "LOWER", tier, today + dt.timedelta(days=20)),
            (own, TierEventKind.DOWNGRADE_AT_RISK, "STALE", "GONE", today + dt.timedelta(days=20)),
            (other, TierEventKind.TIER_CHANGED, "OTHERTIER", "PREV", today),
        ]
        for customer, kind, new, old, on in events:
            s.add(
                TierEvent(
                    customer_id=customer.id,
                    kind=kind,
                    tier=new,
                    previous_tier=old,
                    reason="downgrade",
                    occurs_on=on,
                )
            )
        for customer, caller, due in [
            (own, "13900000001", now + dt.timedelta(hours=1)),
            (own, "13900000002", now + dt.timedelta(days=3)),
            (other, "13900000003", now),
        ]:
            s.add(
                QueueContact(
                    caller=caller,
                    customer_id=customer.id,
                    lane=1,
                    priority=0,
                    queue_key=0.0,
                    answer_seconds=0,
                    arrived_at=now - dt.timedelta(hours=2),
                    callback_due=due,
                    routed=True,
                )
            )
        uow.commit()
    for code, subject, opened in [
        (world.own, "seeded complaint", now - dt.timedelta(days=1)),
        (world.own, "seeded old complaint", now - dt.timedelta(days=9)),
        (world.other, "seeded other complaint", now - dt.timedelta(hours=1)),
    ]:
        with app.uow() as uow:
            ticket = usecases.open_ticket(
                uow, SYSTEM, ZONE, code, TicketKind.COMPLAINT, subject, "phone"
            )
            uow.session.execute(update(Ticket).where(Ticket.id == ticket).values(opened_at=opened))
            uow.commit()
    return seeded


def _principal(app: App, username: str) -> Principal:
    with app.uow() as uow:
        user = uow.session.scalars(select(User).where(User.username == username)).one()
        return principal_for(uow.session, user, "human")


def _day(app: App, username: str, now: dt.datetime = NOW) -> tuple[MyDay, set[str]]:
    """The user's day and the codes of the customers they may open."""
    principal = _principal(app, username)
    with app.uow() as uow:
        codes = set(uow.session.scalars(select(Customer.code).where(customer_filter(principal))))
        return my_day(uow, principal, now, ZONE), codes


def _whats(lines: Sequence[Line | DueTask] | None) -> str:
    """Every row's words, to look for what should and should not be there."""
    assert lines is not None
    return " | ".join(line.what for line in lines)


def test_the_account_managers_day_holds_their_work_and_nothing_else(world: World) -> None:
    with rolled_back_client(world):
        app = world.api.state.tierwise
        seeded = _seed(app, world, NOW)
        day, codes = _day(app, "am")
        assert world.other not in codes
        assert day.tasks is not None
        tasks = {t.id: t for t in day.tasks}
        assert seeded.due_today in tasks and seeded.overdue in tasks
        assert seeded.tomorrow not in tasks and seeded.others_overdue not in tasks
        assert tasks[seeded.overdue].days_late == 3 and tasks[seeded.due_today].days_late == 0
        assert tasks[seeded.overdue].what == "Call · seeded overdue"
        assert tasks[seeded.due_today].code == world.own
        assert {t.code for t in day.tasks} <= codes

        assert [c.code for c in day.callbacks if c.code == world.own] == [
            world.own
        ]  # not in 3 days
        assert all(c.what == "call back" for c in day.callbacks)
        answer = _whats(day.to_answer)
        assert "Obligation overdue: seeded to answer" in answer
        assert "seeded answered" not in answer and "seeded other" not in answer
        news = _whats(day.tier_news)
        assert "tier changed from PREV to NEWTIER (Downgrade)" in news
        assert "at risk: goes down from" in news and "to LOWER unless its value recovers" in news
        assert "OLDTIER" not in news and "STALE" not in news and "OTHERTIER" not in news
        complaints = _whats(day.complaints)
        assert "seeded complaint · " in complaints
        assert "old complaint" not in complaints and "other complaint" not in complaints
        for lines in (day.callbacks, day.to_answer, day.tier_news, day.complaints):
            assert {line.code for line in lines or []} <= codes
        assert day.team_overdue is None and day.to_review is None  # not a reviewer


def test_the_managers_day_has_the_teams_late_work_per_person(world: World) -> None:
    with rolled_back_client(world):
        app = world.api.state.tierwise
        seeded = _seed(app, world, NOW)
        day, codes = _day(app, "manager")
        assert world.own in codes and world.other not in codes
        assert day.team_overdue is not None and day.to_review is not None
        with app.uow() as uow:
            am_name = uow.session.scalars(
                select(Staff.name)
                .join(Customer, Customer.owner_id == Staff.id)
                .where(Customer.code == world.own)
            ).one()
        late = {
            w.person: [t.id for t in w.rows if isinstance(t, DueTask)] for w in day.team_overdue
        }
        assert seeded.overdue in late[am_name] and seeded.due_today not in late[am_name]
        assert all(seeded.others_overdue not in ids for ids in late.values())
        days = {
            t.id: t.days_late for w in day.team_overdue for t in w.rows if isinstance(t, DueTask)
        }
        assert days[seeded.overdue] == 3
        review = {w.person: _whats(w.rows) for w in day.to_review}
        assert "seeded answered" in review[am_name]
        assert all("seeded other" not in text for text in review.values())


def test_the_csrs_day_has_callbacks_and_complaints_but_no_tasks(world: World) -> None:
    with rolled_back_client(world):
        app = world.api.state.tierwise
        _seed(app, world, NOW)
        day, codes = _day(app, "csr")
        assert day.tasks is None and day.to_answer is None and day.team_overdue is None
        assert world.own in {c.code for c in day.callbacks}
        assert "seeded complaint" in _whats(day.complaints)
        for lines in (day.callbacks, day.tier_news, day.complaints):
            assert {line.code for line in lines or []} <= codes


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def _sign_in(client: TestClient, username: str) -> None:
    """A console session for the user, its form token sent with every request."""
    signed = client.post(
        "/api/v1/session", json={"username": username, "password": password_for(username)}
    )
    assert signed.status_code == 200, signed.text
    client.headers["X-CSRF-Token"] = signed.json()["csrf_token"]


def test_a_task_done_from_the_page_is_audited_and_leaves_the_day(world: World) -> None:
    with rolled_back_client(world) as client:
        app = world.api.state.tierwise
        seeded = _seed(app, world, utcnow())
        _sign_in(client, "am")
        page = client.get("/my-day")
        assert page.status_code == 200, page.text[:2000]
        assert f'id="task-{seeded.due_today}"' in page.text
        assert f'href="/customers/{world.own}"' in page.text
        assert "Tasks due today and overdue (" in page.text and "seeded complaint" in page.text
        assert world.other not in page.text
        done = client.post(
            f"/my-day/tasks/{seeded.due_today}/done",
            data={"csrf_token": _csrf(page.text)},
            follow_redirects=False,
        )
        assert done.status_code == 303 and done.headers["location"] == "/my-day"
        back = client.get("/my-day")
        assert f"Done: Call for {world.own} " in back.text
        assert f'id="task-{seeded.due_today}"' not in back.text
        with app.uow() as uow:
            assert uow.session.get_one(Task, seeded.due_today).status == "done"
            entry = uow.session.scalars(
                select(AuditEntry).where(
                    AuditEntry.resource == "task", AuditEntry.resource_id == str(seeded.due_today)
                )
            ).one()
            assert (entry.actor, entry.action) == ("am", "done")
        again = client.post(
            f"/my-day/tasks/{seeded.due_today}/done", data={"csrf_token": _csrf(back.text)}
        )
        assert again.status_code == 409 and f"no open task {seeded.due_today}" in again.text
        assert 'role="alert"' in again.text and "Tasks due today and overdue" in again.text
        elsewhere = client.post(
            f"/my-day/tasks/{seeded.others_overdue}/done", data={"csrf_token": _csrf(back.text)}
        )
        assert elsewhere.status_code == 409
        with app.uow() as uow:
            assert uow.session.get_one(Task, seeded.others_overdue).status == "open"


def test_account_managers_and_csrs_land_on_their_day_managers_on_the_dashboard(
    world: World,
) -> None:
    for username, lands in [("am", "/my-day"), ("csr", "/my-day"), ("manager", None)]:
        with rolled_back_client(world) as client:
            _sign_in(client, username)
            home = client.get("/", follow_redirects=False)
            if lands:
                assert home.status_code == 303 and home.headers["location"] == lands
                day = client.get(lands)
                assert day.status_code == 200 and "<h1>My day · " in day.text
                assert ('id="my-tasks"' in day.text) is (username == "am")
            else:
                assert home.status_code == 200 and 'href="/my-day"' in home.text
    with rolled_back_client(world) as client:
        _sign_in(client, "analyst")
        assert client.get("/my-day").status_code == 403
