"""The people at a customer added and edited from the use case, the API and the console, on
SQLite and PostgreSQL: keyed like the import, one primary, every change audited."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tierwise.bootstrap import App
from tierwise.cli import build
from tierwise.customers import people, usecases
from tierwise.customers.models import Contact
from tierwise.errors import Conflict
from tierwise.identity.access import SYSTEM, Forbidden
from tierwise.identity.models import AuditEntry
from tierwise.identity.roles import DEFAULT_ROLES

from ..support.api_world import World
from ..support.entry_points import API, run_in

ADMIN = replace(SYSTEM, personal_fields=frozenset(DEFAULT_ROLES["admin"][2]))


def contacts_of(app: App, code: str) -> list[tuple[str, str | None, str | None, bool]]:
    """The customer's contacts as (code, title, phone key, primary)."""
    with app.uow() as uow:
        found = uow.session.scalars(
            select(Contact).where(Contact.code.like(f"{code}-%")).order_by(Contact.code)
        )
        return [(c.code, c.title, c.phone_key, c.is_primary) for c in found]


def test_contacts_are_added_keyed_like_the_import_with_one_primary_and_audited(
    app: App,
) -> None:
    with app.uow() as uow:
        code = usecases.create_customer(uow, SYSTEM, {"name": "甲", "code": "K1"})
        people.add_contact(
            uow,
            ADMIN,
            code,
            {"name": "李雷", "title": "采购", "phone": "139 0000 1111", "is_primary": True},
        )
        people.add_contact(uow, ADMIN, code, {"name": "韩梅梅", "is_primary": True})
        with pytest.raises(Conflict, match="K1 already has a contact named 李雷"):
            people.add_contact(uow, ADMIN, code, {"name": " 李雷 "})
        with pytest.raises(ValueError, match="Contact name: a contact needs a name"):
            people.add_contact(uow, ADMIN, code, {"name": ""})
        people.update_contact(uow, ADMIN, code, "K1-李雷", {"title": "采购经理"})
        uow.commit()
        entries = [
            (e.action, e.resource_id, e.changes, e.note)
            for e in uow.session.scalars(
                select(AuditEntry).where(AuditEntry.resource == "contact").order_by(AuditEntry.id)
            )
        ]  # fmt: skip
    assert contacts_of(app, "K1") == [
        ("K1-李雷", "采购经理", "13900001111", False),
        ("K1-韩梅梅", None, None, True),
    ]
    assert entries[1][3] == "primary instead of K1-李雷"
    assert entries[2] == ("update", "K1-李雷", {"title": ["采购", "采购经理"]}, None)
    assert "139" not in str(entries)


def test_a_role_that_may_not_read_contacts_cannot_change_them(app: App) -> None:
    blind = replace(ADMIN, personal_fields=frozenset({"phone"}))
    with app.uow() as uow:
        code = usecases.create_customer(uow, SYSTEM, {"name": "甲"})
        with pytest.raises(Forbidden):
            people.add_contact(uow, blind, code, {"name": "李雷"})
        with pytest.raises(LookupError, match="has no contact"):
            people.update_contact(uow, ADMIN, code, "nobody", {"title": "x"})


def test_contacts_from_the_api_and_the_console(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with run_in(world, monkeypatch) as run:
        headers = {"Authorization": f"Bearer {run.token}"}
        url = f"{API}/customers/{world.own}/contacts"
        made = run.client.post(url, json={"name": "王五", "title": "财务"}, headers=headers)
        assert made.status_code == 201, made.text
        assert made.json()["code"] == f"{world.own}-王五"
        again = run.client.post(url, json={"name": "王五"}, headers=headers)
        assert again.status_code == 409
        changed = run.client.patch(
            f"{url}/{world.own}-王五", json={"email": "w5@example.com"}, headers=headers
        )
        assert changed.json()["email"] == "w5@example.com"
        added = run.client.post(
            f"/customers/{world.own}/people",
            data={"name": "赵六", "department": "IT部", "csrf_token": run.csrf},
            follow_redirects=False,
        )
        assert added.status_code == 303, added.text[:500]
        refused = run.client.post(
            f"/customers/{world.own}/people", data={"name": "赵六", "csrf_token": run.csrf}
        )
        assert refused.status_code == 422
        assert "already has a contact named 赵六" in refused.text
        edited = run.client.post(
            f"/customers/{world.own}/people/{world.own}-赵六",
            data={"title": "主管", "is_primary": "yes", "csrf_token": run.csrf},
            follow_redirects=False,
        )
        assert edited.status_code == 303
        assert "赵六 ★ IT部 主管" in run.client.get(f"/customers/{world.own}").text


def test_contacts_from_the_command_line(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    with run_in(world, monkeypatch) as run:
        run.cli("customers", "contact", "add", world.own, "--name=孙七", "--title=采购")
        run.cli("customers", "contact", "edit", world.own, f"{world.own}-孙七", "--primary",
                "--phone=136 0000 2222")  # fmt: skip
        result = CliRunner().invoke(
            build(), ["--as", "admin", "customers", "contact", "add", world.own, "--name=孙七"],
            obj=run.app,
        )  # fmt: skip
        assert result.exit_code == 1
        assert f"{world.own} already has a contact named 孙七" in result.output
        primary = [c for c in contacts_of(run.app, world.own) if c[3]]
        assert primary == [(f"{world.own}-孙七", "采购", "13600002222", True)]
