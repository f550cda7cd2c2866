"""One job, one place: the same job done from the CLI, the API and the console leaves the same
rows, the same reactions and the same audit entries (only who asked, and how, differs)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tierwise.accountability.models import Task, TaskStatus
from tierwise.customers.choices import ChurnType, CustomerStatus
from tierwise.customers.models import Consent, Contact, Customer, Interaction
from tierwise.db.base import utcnow
from tierwise.desk import usecases
from tierwise.desk.models import Ticket, TicketComment, TicketStep
from tierwise.desk.workflow import TicketKind, TicketStatus
from tierwise.identity.access import SYSTEM
from tierwise.organisation.models import TaskKind
from tierwise.sales.models import Order, OrderLine
from tierwise.tiering import service as tiers
from tierwise.tiering.models import CustomerTier

from ..support.api_world import World
from ..support.entry_points import (
    Run,
    State,
    assert_same,
    each_entry_point,
    rows,
    tasks_of,
    tier_state,
)

# ── log a contact ──────────────────────────────────────────────────────────────────────────────


def open_call_task(run: Run) -> int:
    """The own customer with an open call task for its owner, opened yesterday."""
    customer_id = run.customer_id(run.world.own)
    with run.app.uow() as uow:
        owner = uow.session.get(Customer, customer_id).owner_id  # type: ignore[union-attr]
        yesterday = utcnow().date() - dt.timedelta(days=1)
        uow.session.add(
            Task(
                customer_id=customer_id,
                staff_id=owner,
                kind=TaskKind.CALL,
                opened_on=yesterday,
                due_on=yesterday + dt.timedelta(days=7),
                source="cadence",
            )
        )
        uow.commit()
    return customer_id


def log_a_call(run: Run, entry: str, _customer_id: int) -> None:
    code = run.world.own
    if entry == "cli":
        run.cli("customers", "log", code, "--channel", "phone", "--memo", "回访")
    elif entry == "api":
        body = {
            "occurred_at": utcnow().isoformat(),
            "channel": "phone",
            "direction": "outbound",
            "memo": "回访",
        }
        run.api("POST", f"/customers/{code}/interactions", body)
    else:
        form = {"channel": "phone", "direction": "outbound", "memo": "回访"}
        run.console(f"/customers/{code}/contacts", form)


def contact_state(run: Run, customer_id: int) -> State:
    i = Interaction.__table__
    with run.app.uow() as uow:
        conn = uow.connection
        return {
            "interactions": rows(
                conn,
                select(i.c.channel, i.c.direction, i.c.memo, i.c.outcome, i.c.staff_id).where(
                    i.c.customer_id == customer_id, i.c.memo == "回访"
                ),
            ),
            "tasks": tasks_of(conn, customer_id),
        }


def test_logging_a_contact_does_the_owners_task_from_every_entry_point(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    states = each_entry_point(world, monkeypatch, open_call_task, log_a_call, contact_state)
    for entry, state in states.items():  # the API and the console left the task open
        calls = [t for t in state["tasks"] if t[0] == TaskKind.CALL]
        assert calls and all(t[2] == TaskStatus.DONE and t[4] for t in calls), entry
    for entry, state in states.items():  # the CLI wrote no audit entry
        assert [a[1:4] for a in state["audit"]] == [("create", "interaction", world.own)], entry
    assert_same(states)


# ── record an order ────────────────────────────────────────────────────────────────────────────


def lowest_tier_customer(run: Run) -> int:
    """An active customer in the lowest value tier, with an owner."""
    with run.app.uow() as uow:
        _row, policy = tiers.policy_version(uow.session)
        lowest = policy.value_tiers[-1].code
        found = uow.session.scalar(
            select(Customer.id)
            .join(CustomerTier, CustomerTier.customer_id == Customer.id)
            .where(CustomerTier.tier == lowest, Customer.owner_id.is_not(None))
            .order_by(Customer.code)
            .limit(1)
        )
    assert found is not None
    return found


def code_of(run: Run, customer_id: int) -> str:
    with run.app.uow() as uow:
        customer = uow.session.get(Customer, customer_id)
        assert customer is not None
        return customer.code


def record_a_big_order(run: Run, entry: str, customer_id: int) -> None:
    code = code_of(run, customer_id)
    if entry == "cli":
        run.cli("orders", "add", code, "--amount", "9000000", "--cost", "4000000")
    elif entry == "api":
        body = {"customer": code, "amount": "9000000.00", "cost": "4000000.00"}
        run.api("POST", "/orders", body)
    else:
        run.console(f"/customers/{code}/orders", {"amount": "9000000", "cost": "4000000"})


def order_state(run: Run, customer_id: int) -> State:
    o, line = Order.__table__, OrderLine.__table__
    with run.app.uow() as uow:
        conn = uow.connection
        orders = rows(
            conn,
            select(o.c.code, o.c.order_date, line.c.amount, line.c.cost)
            .join(line, line.c.order_id == o.c.id)
            .where(o.c.customer_id == customer_id),
        )
        return {"orders": orders, **tier_state(conn, customer_id)}


def test_recording_an_order_regrades_with_every_consequence_from_every_entry_point(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    states = each_entry_point(
        world, monkeypatch, lowest_tier_customer, record_a_big_order, order_state
    )
    for entry, state in states.items():
        assert state["history"][-1:] and any(h[3] == "admin" for h in state["history"]), entry
        assert any(e[0] == "tier_changed" for e in state["events"]), entry
        assert [a[1:3] for a in state["audit"]] == [("create", "order")], entry
    assert_same(states)


# ── move a ticket ──────────────────────────────────────────────────────────────────────────────


def ticket_in_progress(run: Run) -> int:
    """A request of the own customer in progress, and a complaint follow-up open since today."""
    customer_id = run.customer_id(run.world.own)
    zone = run.app.settings.timezone
    with run.app.uow() as uow:
        ticket_id = usecases.open_ticket(
            uow, SYSTEM, zone, run.world.own, TicketKind.REQUEST, "发票开错", "phone"
        )
        usecases.move_ticket(uow, SYSTEM, zone, ticket_id, TicketStatus.IN_PROGRESS, None, None)
        today = utcnow().date()
        uow.session.add(
            Task(
                customer_id=customer_id,
                kind=TaskKind.COMPLAINT_FOLLOW_UP,
                opened_on=today,
                due_on=today + dt.timedelta(days=3),
                source="complaint",
            )
        )
        uow.commit()
    return ticket_id


def resolve(run: Run, entry: str, ticket_id: int) -> None:
    if entry == "cli":
        run.cli("tickets", "move", str(ticket_id), "resolved", "--note", "已重开发票")
    elif entry == "api":
        body = {"to": "resolved", "note": "已重开发票"}
        run.api("POST", f"/tickets/{ticket_id}/moves", body)
    else:
        form = {"to": "resolved", "note": "已重开发票"}
        run.console(f"/service/tickets/{ticket_id}/move", form)


def ticket_state(run: Run, ticket_id: int) -> State:
    t, s, i = Ticket.__table__, TicketStep.__table__, Interaction.__table__
    with run.app.uow() as uow:
        conn = uow.connection
        customer_id = conn.execute(select(t.c.customer_id).where(t.c.id == ticket_id)).scalar()
        assert customer_id is not None
        return {
            "ticket": rows(conn, select(t.c.status, t.c.tier).where(t.c.id == ticket_id)),
            "steps": rows(
                conn,
                select(s.c.from_status, s.c.to_status, s.c.actor, s.c.note).where(
                    s.c.ticket_id == ticket_id, s.c.actor != SYSTEM.username
                ),
            ),
            "contacts": [
                (channel, outcome, memo.replace(str(ticket_id), "new"))
                for channel, outcome, memo in rows(
                    conn,
                    select(i.c.channel, i.c.outcome, i.c.memo).where(
                        i.c.customer_id == customer_id, i.c.memo.like(f"%{ticket_id}%")
                    ),
                )
            ],
            "tasks": tasks_of(conn, customer_id),
        }


def test_moving_a_ticket_closes_complaint_follow_ups_from_every_entry_point(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    states = each_entry_point(
        world, monkeypatch, ticket_in_progress, resolve, ticket_state, made_anew=True
    )
    for entry, state in states.items():
        assert state["ticket"] == [(TicketStatus.RESOLVED, state["ticket"][0][1])], entry
        follow_ups = [t for t in state["tasks"] if t[0] == TaskKind.COMPLAINT_FOLLOW_UP]
        assert any(t[2] == TaskStatus.DONE for t in follow_ups), entry
        assert [a[1:3] for a in state["audit"]] == [("move", "ticket")], entry
    assert_same(states)


# ── edit a customer: why it was lost ───────────────────────────────────────────────────────────


def own_customer_version(run: Run) -> tuple[int, CustomerStatus]:
    """The version of the own customer as its edit form reads it, and its status."""
    with run.app.uow() as uow:
        found = uow.session.scalar(select(Customer).where(Customer.code == run.world.own))
        assert found is not None and found.churn_type is None
        return found.version, found.status


def mark_lured_away(run: Run, entry: str, read: tuple[int, CustomerStatus]) -> None:
    code, version = run.world.own, read[0]
    if entry == "cli":
        run.cli("customers", "update", code, "--churn-type", "被竞争对手吸引")
    elif entry == "api":
        headers = {"Authorization": f"Bearer {run.token}", "If-Match": f'"{version}"'}
        response = run.client.patch(
            f"/api/v1/customers/{code}", json={"churn_type": "competitor"}, headers=headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["churn_type"] == "competitor"
    else:
        run.console(
            f"/customers/{code}/edit", {"churn_type": "competitor", "version": str(version)}
        )


def churn_state(run: Run, read: tuple[int, CustomerStatus]) -> State:
    c = Customer.__table__
    with run.app.uow() as uow:
        query = select(c.c.churn_type, c.c.status).where(c.c.code == run.world.own)
        return {"customer": rows(uow.connection, query), "status_before": read[1]}


def test_marking_a_churn_type_is_the_same_edit_from_every_entry_point(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    states = each_entry_point(
        world, monkeypatch, own_customer_version, mark_lured_away, churn_state
    )
    for entry, state in states.items():  # the status stays: the type says why, not whether
        assert state["customer"] == [(ChurnType.COMPETITOR, state["status_before"])], entry
        assert [a[1:5] for a in state["audit"]] == [
            ("update", "customer", world.own, {"churn_type": [None, "competitor"]})
        ], entry
    assert_same(states)


# ── override a tier ────────────────────────────────────────────────────────────────────────────


def override_tier(run: Run, entry: str, customer_id: int) -> None:
    code = code_of(run, customer_id)
    with run.app.uow() as uow:
        _row, policy = tiers.policy_version(uow.session)
    top = policy.value_tiers[0].code
    if entry == "cli":
        run.cli("tiers", "override", code, top, "--reason", "战略合作")
    elif entry == "api":
        run.api("POST", f"/customers/{code}/tier-override", {"tier": top, "reason": "战略合作"})
    else:
        run.console(f"/customers/{code}/tier-override", {"tier": top, "reason": "战略合作"})


def override_state(run: Run, customer_id: int) -> State:
    with run.app.uow() as uow:
        return tier_state(uow.connection, customer_id)


def test_overriding_a_tier_gives_the_same_tier_owner_and_audit_from_every_entry_point(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    states = each_entry_point(
        world, monkeypatch, lowest_tier_customer, override_tier, override_state
    )
    for entry, state in states.items():
        assert [o[2:4] for o in state["overrides"]] == [("战略合作", "admin")], entry
        assert [a[1:3] for a in state["audit"]] == [("override", "customer")], entry
    assert_same(states)


# ── erase a person ─────────────────────────────────────────────────────────────────────────────


def own_customer(run: Run) -> int:
    return run.customer_id(run.world.own)


def erase(run: Run, entry: str, customer_id: int) -> None:
    code = run.world.own
    if entry == "cli":
        run.cli("customers", "erase", code, "--confirm", code)
    elif entry == "api":
        run.api("POST", f"/customers/{code}/erase", {})
    else:
        run.console(f"/customers/{code}/erase", {"confirm": code})


def erased_state(run: Run, customer_id: int) -> State:
    c, p, k = Customer.__table__, Contact.__table__, Consent.__table__
    with run.app.uow() as uow:
        conn = uow.connection
        return {
            "customer": rows(
                conn,
                select(c.c.name, c.c.phone, c.c.email, c.c.address).where(c.c.id == customer_id),
            ),
            "contacts": rows(
                conn,
                select(p.c.name, p.c.phone, p.c.email).where(p.c.customer_id == customer_id),
            ),
            "consents": rows(
                conn,
                select(k.c.purpose, k.c.granted, k.c.source).where(
                    k.c.customer_id == customer_id, k.c.source == "erasure"
                ),
            ),
        }


def test_erasing_a_person_leaves_the_same_file_and_audit_from_every_entry_point(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    states = each_entry_point(world, monkeypatch, own_customer, erase, erased_state)
    for entry, state in states.items():
        assert state["customer"][0][1:] == (None, None, None), entry
        assert [a[1:3] for a in state["audit"]] == [("erase", "customer")], entry
    assert_same(states)


# ── assign and comment on a ticket ─────────────────────────────────────────────────────────────


def fresh_request(run: Run) -> int:
    """A request of the own customer, just recorded (with its CSR as the assignee)."""
    with run.app.uow() as uow:
        ticket_id = usecases.open_ticket(
            uow, SYSTEM, run.app.settings.timezone, run.world.own, TicketKind.REQUEST, "换货", "web"
        )
        uow.commit()
    return ticket_id


def assign_and_comment(run: Run, entry: str, ticket_id: int) -> None:
    staff = run.world.am_staff
    if entry == "cli":
        run.cli("tickets", "assign", str(ticket_id), "--to", staff)
        run.cli("tickets", "comment", str(ticket_id), "已安排上门", "--internal")
    elif entry == "api":
        run.api("POST", f"/tickets/{ticket_id}/assign", {"to": staff})
        run.api("POST", f"/tickets/{ticket_id}/comments", {"body": "已安排上门", "internal": True})
    else:
        run.console(f"/service/tickets/{ticket_id}/assign", {"assignee": staff})
        form = {"body": "已安排上门", "internal": "yes"}
        run.console(f"/service/tickets/{ticket_id}/comments", form)


def assignment_state(run: Run, ticket_id: int) -> State:
    t, c = Ticket.__table__, TicketComment.__table__
    with run.app.uow() as uow:
        conn = uow.connection
        return {
            "ticket": rows(conn, select(t.c.assignee_id, t.c.status).where(t.c.id == ticket_id)),
            "comments": rows(
                conn, select(c.c.author, c.c.body, c.c.internal).where(c.c.ticket_id == ticket_id)
            ),
        }


def test_assigning_and_commenting_on_a_ticket_is_the_same_from_every_entry_point(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    states = each_entry_point(
        world, monkeypatch, fresh_request, assign_and_comment, assignment_state, made_anew=True
    )
    for entry, state in states.items():
        assert state["comments"] == [("admin", "已安排上门", True)], entry
        assert [a[1:4] for a in state["audit"]] == [
            ("assign", "ticket", "new"),
            ("comment", "ticket", "new"),
        ], entry
    assert_same(states)
