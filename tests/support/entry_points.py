"""Drive one job from the CLI, the API and the console on rolled-back copies of the API world,
and read back what each left, so the three can be compared part by part."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, select
from typer.testing import CliRunner

from tierwise.accountability.models import Assignment, Task
from tierwise.bootstrap import App
from tierwise.cli import build
from tierwise.customers.models import Customer
from tierwise.identity.models import AuditEntry
from tierwise.tiering.models import CustomerTier, TierEvent, TierHistory, TierOverride

from .api_world import World, password_for, rolled_back_client

API = "/api/v1"
ENTRY_POINTS = ("cli", "api", "console")
State = dict[str, Any]


@dataclass
class Run:
    """One rolled-back world as each entry point reaches it."""

    app: App
    client: TestClient
    world: World
    csrf: str
    token: str

    def cli(self, *args: str) -> None:
        """`tierwise --as admin …` on this run's unit of work; fails the test unless it exits 0."""
        result = CliRunner().invoke(build(), ["--as", "admin", *args], obj=self.app)
        assert result.exit_code == 0, result.output

    def api(self, method: str, path: str, body: dict[str, Any]) -> None:
        """An API call with the admin's token; fails the test unless it succeeds."""
        headers = {"Authorization": f"Bearer {self.token}"}
        response = self.client.request(method, f"{API}{path}", json=body, headers=headers)
        assert response.status_code < 300, response.text

    def console(self, path: str, form: dict[str, str]) -> None:
        """A console form posted by the signed-in admin; fails the test unless it redirects."""
        response = self.client.post(
            path, data={**form, "csrf_token": self.csrf}, follow_redirects=False
        )
        assert response.status_code == 303, response.text[:2000]

    def customer_id(self, code: str) -> int:
        """The id of the customer with `code`."""
        with self.app.uow() as uow:
            found = uow.session.scalar(select(Customer.id).where(Customer.code == code))
        assert found is not None
        return found


@contextmanager
def run_in(world: World, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    """A rolled-back copy of the world with an admin signed in to the console."""
    url = world.app.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("TIERWISE_DATABASE_URL", url)  # the CLI checks the schema there
    with rolled_back_client(world) as client:
        signed_in = client.post(
            f"{API}/session", json={"username": "admin", "password": password_for("admin")}
        )
        assert signed_in.status_code == 200, signed_in.text
        app = world.api.state.tierwise
        yield Run(app, client, world, signed_in.json()["csrf_token"], world.tokens["admin"])


def rows(conn: Connection, query: Any) -> list[tuple[Any, ...]]:
    """Rows as plain sorted tuples, so runs compare whatever order ids came in."""
    return sorted((tuple(r) for r in conn.execute(query)), key=repr)


def audit_after(conn: Connection, marker: int, new_id: str) -> list[tuple[Any, ...]]:
    """The audit entries the job wrote: who (not how they came in) did what to which, and why;
    `new_id`, a row id each run made anew (PostgreSQL never reuses one), reads as "new". Reads
    are left out: the API answers some jobs with the customer's file, which is a read."""
    a = AuditEntry.__table__
    query = select(a.c.actor, a.c.action, a.c.resource, a.c.resource_id, a.c.changes, a.c.note)
    entries = rows(conn, query.where(a.c.id > marker, a.c.action != "read"))
    return [(*e[:3], "new" if e[3] == new_id else e[3], *e[4:]) for e in entries]


def marker(app: App) -> int:
    """The last audit entry before the job."""
    with app.uow() as uow:
        return uow.session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc())) or 0


def each_entry_point(
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    prepare: Callable[[Run], Any],
    act: Callable[[Run, str, Any], None],
    state: Callable[[Run, Any], State],
    made_anew: bool = False,
) -> dict[str, State]:
    """Prepare the same world, do the job from each entry point, and read what it left; with
    `made_anew`, what `prepare` returns is a row id each run makes anew."""
    states = {}
    for entry in ENTRY_POINTS:
        with run_in(world, monkeypatch) as run:
            given = prepare(run)
            before = marker(run.app)
            act(run, entry, given)
            found = state(run, given)
            with run.app.uow() as uow:
                new_id = str(given) if made_anew else ""
                found["audit"] = audit_after(uow.connection, before, new_id)
            states[entry] = found
    return states


def assert_same(states: dict[str, State]) -> None:
    """Every entry point left what the CLI left, part by part (so a failure names the part)."""
    reference = states["cli"]
    for entry, found in states.items():
        for part in reference:
            assert found[part] == reference[part], f"{entry} differs from cli in {part}"


def tasks_of(conn: Connection, customer_id: int) -> list[tuple[Any, ...]]:
    """The customer's tasks: kind, person, status, when done and whether a contact did it."""
    t = Task.__table__
    return rows(
        conn,
        select(
            t.c.kind, t.c.staff_id, t.c.status, t.c.done_on, t.c.interaction_id.is_not(None)
        ).where(t.c.customer_id == customer_id),
    )


def tier_state(conn: Connection, customer_id: int) -> State:
    """The customer's tier, its history, events, overrides, owners and open tasks."""
    ct, h, e = CustomerTier.__table__, TierHistory.__table__, TierEvent.__table__
    o, a = TierOverride.__table__, Assignment.__table__
    c = Customer.__table__
    return {
        "tier": rows(conn, select(ct.c.tier, ct.c.reason).where(ct.c.customer_id == customer_id)),
        "history": rows(
            conn,
            select(h.c.tier, h.c.previous_tier, h.c.reason, h.c.author, h.c.note).where(
                h.c.customer_id == customer_id
            ),
        ),
        "events": rows(conn, select(e.c.kind, e.c.tier).where(e.c.customer_id == customer_id)),
        "overrides": rows(
            conn,
            select(o.c.tier, o.c.floor, o.c.reason, o.c.author, o.c.until, o.c.ended_on).where(
                o.c.customer_id == customer_id
            ),
        ),
        "owner": rows(conn, select(c.c.owner_id, c.c.csr_id).where(c.c.id == customer_id)),
        "assignments": rows(
            conn,
            select(a.c.staff_id, a.c.role, a.c.reason, a.c.ends_on).where(
                a.c.customer_id == customer_id
            ),
        ),
        "tasks": tasks_of(conn, customer_id),
    }
