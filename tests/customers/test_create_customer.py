"""Adding customers and prospects one at a time and keeping every field of their file, on SQLite
and PostgreSQL: codes, duplicates refused in plain words, audit, owners, referrals."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tierwise.accountability.models import Assignment, AssignmentRole
from tierwise.bootstrap import App
from tierwise.cli import build
from tierwise.customers import usecases
from tierwise.customers.choices import (
    CustomerKind,
    CustomerStatus,
    ManagementClass,
    MarketingType,
    SalesChannel,
)
from tierwise.customers.models import Customer, Referral
from tierwise.customers.scopes import visible_customer
from tierwise.errors import Conflict
from tierwise.identity.access import SYSTEM, Forbidden, Principal
from tierwise.identity.models import AuditEntry
from tierwise.identity.roles import DEFAULT_ROLES
from tierwise.organisation.models import Staff, StaffLevel, StaffRole

from ..support.api_world import World
from ..support.entry_points import API, Run, assert_same, each_entry_point, rows, run_in

TODAY = dt.date(2026, 12, 1)


def role(name: str, staff_id: int | None = None) -> Principal:
    """A principal with a default role's permissions and scope."""
    permissions, scope, fields = DEFAULT_ROLES[name]
    return replace(
        SYSTEM,
        username=name,
        kind="human",
        role=name,
        permissions=frozenset(permissions),
        row_scope=scope,
        personal_fields=frozenset(fields),
        staff_id=staff_id,
    )


def staff_member(app: App, code: str, staff_role: StaffRole) -> int:
    """A committed staff member's id."""
    with app.uow() as uow:
        person = Staff(code=code, name=code, role=staff_role, level=StaffLevel.SENIOR)
        uow.session.add(person)
        uow.commit()
        return person.id


def test_new_customers_take_distinct_codes_of_the_sequence_and_are_prospects(app: App) -> None:
    with app.uow() as uow:
        uow.session.add(Customer(code="C000041", name="旧", kind=CustomerKind.ENTERPRISE))
        uow.session.add(Customer(code="CX-9", name="别的", kind=CustomerKind.ENTERPRISE))
        first = usecases.create_customer(uow, SYSTEM, {"name": "甲"}, TODAY)
        second = usecases.create_prospect(uow, SYSTEM, "张三", "13900001111", TODAY)
        given = usecases.create_customer(
            uow, SYSTEM, {"name": "乙", "code": "K1", "status": "active"}, TODAY
        )
        uow.commit()
        found = {
            c.code: (c.status, c.kind, c.channel, c.phone_key)
            for c in uow.session.scalars(select(Customer).where(Customer.code.in_([
                first, second, given])))
        }  # fmt: skip
    assert (first, second, given) == ("C000042", "C000043", "K1")
    assert found == {
        "C000042": (CustomerStatus.PROSPECT, CustomerKind.ENTERPRISE, SalesChannel.DIRECT, None),
        "C000043": (
            CustomerStatus.PROSPECT,
            CustomerKind.ENTERPRISE,
            SalesChannel.DIRECT,
            "13900001111",
        ),
        "K1": (CustomerStatus.ACTIVE, CustomerKind.ENTERPRISE, SalesChannel.DIRECT, None),
    }


def test_a_new_customer_is_audited_with_its_fields_and_personal_values_hidden(app: App) -> None:
    with app.uow() as uow:
        code = usecases.create_customer(
            uow,
            SYSTEM,
            {"name": "甲", "phone": "138 0000 1111", "marketing_type": "经济型", "region": "华东"},
            TODAY,
        )
        uow.commit()
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.resource_id == code, AuditEntry.action == "create")
        ).one()
    assert entry.resource == "customer"
    assert entry.fields == ["kind", "marketing_type", "name", "phone", "region", "status"]
    assert entry.changes["marketing_type"] == [None, "economic"]
    assert entry.changes["region"] == [None, "华东"]
    assert "138" not in str(entry.changes)


def test_a_taken_code_or_phone_is_refused_naming_the_customer_and_nothing_is_written(
    app: App,
) -> None:
    with app.uow() as uow:
        usecases.create_customer(uow, SYSTEM, {"name": "甲", "code": "K1", "phone": "13800001111"})
        uow.commit()
    with app.uow() as uow:
        with pytest.raises(Conflict, match="a customer with code K1 already exists"):
            usecases.create_customer(uow, SYSTEM, {"name": "乙", "code": "K1"})
        with pytest.raises(Conflict, match=r"customer K1 already has the phone number \+86"):
            usecases.create_customer(uow, SYSTEM, {"name": "乙", "phone": "+86 138-0000-1111"})
        with pytest.raises(ValueError, match="Name: a customer needs a name"):
            usecases.create_customer(uow, SYSTEM, {"name": "  "})
        with pytest.raises(ValueError, match="Management class: “huge” is not one of: Regular"):
            usecases.create_customer(uow, SYSTEM, {"name": "乙", "management_class": "huge"})
        with pytest.raises(ValueError, match="Status: a customer is put on or taken off the bla"):
            usecases.create_customer(uow, SYSTEM, {"name": "乙", "status": "blacklisted"})
        with pytest.raises(ValueError, match="Referred by: “NOPE” is not the code of a customer"):
            usecases.create_customer(uow, SYSTEM, {"name": "乙", "referred_by": "NOPE"})
        assert uow.session.scalar(select(Customer.code).where(Customer.name == "乙")) is None


def test_an_account_manager_owns_what_they_add_and_a_csr_adds_callers_without_owning(
    app: App,
) -> None:
    am = staff_member(app, "AM1", StaffRole.ACCOUNT_MANAGER)
    csr = staff_member(app, "CSR1", StaffRole.CSR)
    with app.uow() as uow:
        won = usecases.create_customer(uow, role("account_manager", am), {"name": "甲"}, TODAY)
        caller = usecases.create_prospect(uow, role("csr", csr), "李四", "13700001111", TODAY)
        uow.commit()
        owners = {
            c.code: c.owner_id
            for c in uow.session.scalars(select(Customer).where(Customer.code.in_([won, caller])))
        }
        history = uow.session.execute(
            select(Assignment.staff_id, Assignment.role, Assignment.starts_on).where(
                Assignment.customer_id == select(Customer.id).where(Customer.code == won)
                .scalar_subquery())
        ).all()  # fmt: skip
        seen = visible_customer(uow.session, role("account_manager", am), won)
        with pytest.raises(Conflict) as outside:  # a number outside the CSR's scope names nobody
            usecases.create_prospect(uow, role("csr", csr), "王五", "137 0000 1111", TODAY)
        with pytest.raises(Conflict) as own:
            usecases.create_prospect(uow, role("admin"), "王五", "13700001111")
    assert str(outside.value) == "another customer already has the phone number 137 0000 1111"
    assert str(own.value) == f"customer {caller} already has the phone number 13700001111"
    assert owners == {won: am, caller: None}
    assert history == [(am, AssignmentRole.OWNER, TODAY)]
    assert seen.code == won


def test_a_role_without_the_permission_cannot_add_customers(app: App) -> None:
    with app.uow() as uow, pytest.raises(Forbidden):
        usecases.create_customer(uow, role("analyst"), {"name": "甲"})


def test_classification_edits_are_audited_old_to_new_and_a_referrer_is_a_referral(
    app: App,
) -> None:
    with app.uow() as uow:
        usecases.create_customer(uow, SYSTEM, {"name": "推荐人", "code": "R1"}, TODAY)
        usecases.create_customer(uow, SYSTEM, {"name": "另一个", "code": "R2"}, TODAY)
        usecases.create_customer(
            uow, SYSTEM, {"name": "甲", "code": "K1", "referred_by": "R1"}, TODAY
        )
        customer = uow.session.scalars(select(Customer).where(Customer.code == "K1")).one()
        usecases.update_customer(
            uow,
            SYSTEM,
            "K1",
            {
                "marketing_type": "personalised",
                "management_class": "关键",
                "channel": "Agent",
                "referred_by": "R2",
                "credit_limit": "50,000",
            },
            customer.version,
            TODAY,
        )
        uow.commit()
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.resource_id == "K1", AuditEntry.action == "update")
        ).one()
        referrals = rows(
            uow.connection,
            select(Referral.referrer_id, Referral.referred_name, Referral.referred_on).where(
                Referral.referred_id == customer.id
            ),
        )
        r2 = uow.session.scalar(select(Customer.id).where(Customer.code == "R2"))
    assert (customer.marketing_type, customer.management_class, customer.channel) == (
        MarketingType.PERSONALISED,
        ManagementClass.KEY,
        SalesChannel.AGENT,
    )
    assert entry.changes == {
        "marketing_type": [None, "personalised"],
        "management_class": [None, "key"],
        "channel": ["direct", "agent"],
        "referred_by": ["R1", "R2"],
        "credit_limit": [None, "50000"],
    }
    assert referrals == [(r2, "甲", TODAY)]


def test_a_customer_cannot_refer_itself_nor_lose_its_kind(app: App) -> None:
    with app.uow() as uow:
        usecases.create_customer(uow, SYSTEM, {"name": "甲", "code": "K1"}, TODAY)
        version = uow.session.scalars(select(Customer.version).where(Customer.code == "K1")).one()
        with pytest.raises(ValueError, match="Referred by: “K1” is not another customer's code"):
            usecases.update_customer(uow, SYSTEM, "K1", {"referred_by": "K1"}, version)
        with pytest.raises(ValueError, match="Channel: every customer has one; choose one"):
            usecases.update_customer(uow, SYSTEM, "K1", {"channel": None}, version)


# ── The three entry points ────────────────────────────────────────────────────────────────────

NEW = {
    "code": "N-1",
    "name": "新客户有限公司",
    "phone": "021 5555 0001",
    "marketing_type": "economic",
    "management_class": "potential",
    "channel": "agent",
}


def add_new(run: Run, entry: str, _given: object) -> None:
    """Add the same customer from one entry point."""
    if entry == "cli":
        run.cli("customers", "add", *[f"--{k.replace('_', '-')}={v}" for k, v in NEW.items()])
    elif entry == "api":
        run.api("POST", "/customers", NEW)
    else:
        run.console("/customers/new", {**NEW, "kind": "enterprise", "status": "prospect"})


def new_state(run: Run, _given: object) -> dict[str, object]:
    """What adding left: the customer's file and owner."""
    with run.app.uow() as uow:
        c = uow.session.scalars(select(Customer).where(Customer.code == "N-1")).one()
        return {
            "file": (c.name, c.status, c.kind, c.marketing_type, c.management_class, c.channel),
            "phone_key": c.phone_key,
            "owner": c.owner_id,
        }


def test_adding_a_customer_leaves_the_same_from_every_entry_point(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    states = each_entry_point(world, monkeypatch, lambda run: None, add_new, new_state)
    assert_same(states)
    assert states["cli"]["file"] == (
        "新客户有限公司",
        CustomerStatus.PROSPECT,
        CustomerKind.ENTERPRISE,
        MarketingType.ECONOMIC,
        ManagementClass.POTENTIAL,
        SalesChannel.AGENT,
    )
    assert states["cli"]["phone_key"] == "02155550001"
    assert [e[1] for e in states["cli"]["audit"]].count("create") == 1


def test_the_api_answers_201_with_a_location_and_problems_for_refusals(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with run_in(world, monkeypatch) as run:
        headers = {"Authorization": f"Bearer {run.token}"}
        made = run.client.post(f"{API}/customers", json={"name": "甲"}, headers=headers)
        assert made.status_code == 201, made.text
        code = made.json()["code"]
        assert made.headers["Location"] == f"{API}/customers/{code}"
        assert made.json()["status"] == "prospect"
        read = run.client.get(made.headers["Location"], headers=headers)
        assert read.json()["marketing_type"] is None
        assert made.json()["owner"] == read.json()["owner"] is not None  # by the tier's rules
        taken = run.client.post(
            f"{API}/customers", json={"name": "乙", "code": code}, headers=headers
        )
        assert taken.status_code == 409
        assert taken.headers["content-type"].startswith("application/problem+json")
        assert taken.json()["detail"] == f"a customer with code {code} already exists"
        bad = run.client.post(
            f"{API}/customers", json={"name": "乙", "channel": "post"}, headers=headers
        )
        assert bad.status_code == 422
        patched = run.client.patch(
            f"{API}/customers/{code}",
            json={"management_class": "key", "marketing_type": "ethical"},
            headers={**headers, "If-Match": read.headers["ETag"]},
        )
        assert patched.status_code == 200, patched.text
        assert (patched.json()["management_class"], patched.json()["marketing_type"]) == (
            "key",
            "ethical",
        )


def test_the_cli_refuses_a_taken_phone_in_one_line_and_exits_non_zero(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with run_in(world, monkeypatch) as run:
        run.cli("customers", "add", "--name=甲", "--code=P-1", "--phone=13812340000")
        result = CliRunner().invoke(
            build(),
            ["--as", "admin", "customers", "add", "--name=乙", "--phone=138 1234 0000"],
            obj=run.app,
        )
        assert result.exit_code == 1
        assert "customer P-1 already has the phone number 138 1234 0000" in result.output
        assert "Traceback" not in result.output
        run.cli("customers", "update", "P-1", "--management-class=关键", "--set=region=华南")
        with run.app.uow() as uow:
            c = uow.session.scalars(select(Customer).where(Customer.code == "P-1")).one()
            assert (c.management_class, c.region) == (ManagementClass.KEY, "华南")


def test_the_console_form_keeps_what_was_typed_on_a_refusal_and_opens_the_new_360(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with run_in(world, monkeypatch) as run:
        listed = run.client.get("/customers")
        assert 'href="/customers/new"' in listed.text
        assert run.client.get("/customers/new").status_code == 200
        form = {"name": "重复的名字", "code": world.own, "kind": "enterprise", "status": "prospect"}
        refused = run.client.post("/customers/new", data={**form, "csrf_token": run.csrf})
        assert refused.status_code == 409
        assert f"a customer with code {world.own} already exists" in refused.text
        assert 'value="重复的名字"' in refused.text
        form |= {"code": "", "marketing_type": "convenience", "management_class": "key"}
        made = run.client.post(
            "/customers/new", data={**form, "csrf_token": run.csrf}, follow_redirects=False
        )
        assert made.status_code == 303
        page = run.client.get(made.headers["location"])
        assert page.status_code == 200
        assert "Convenience" in page.text and "Key" in page.text


def test_the_360_edits_the_classification_audited_and_refuses_a_bad_value_in_place(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with run_in(world, monkeypatch) as run:
        with run.app.uow() as uow:
            c = uow.session.scalars(select(Customer).where(Customer.code == world.own)).one()
            version, before = c.version, c.management_class
        url = f"/customers/{world.own}/edit"
        bad = {"growth_rate": "fast", "version": str(version), "csrf_token": run.csrf}
        refused = run.client.post(url, data=bad)
        assert refused.status_code == 422
        assert "Nothing was saved: Growth rate: “fast” is not a number" in refused.text
        form = {"management_class": "key", "channel": "agent", "version": str(version)}
        saved = run.client.post(url, data={**form, "csrf_token": run.csrf}, follow_redirects=False)
        assert saved.status_code == 303
        with run.app.uow() as uow:
            entry = uow.session.scalars(
                select(AuditEntry)
                .where(AuditEntry.resource_id == world.own, AuditEntry.action == "update")
                .order_by(AuditEntry.id.desc())
            ).first()
        assert entry is not None
        assert entry.changes["management_class"] == [before and before.value, "key"]
        run.client.get("/lang/zh_CN")
        page = run.client.get(f"/customers/{world.own}").text
        assert "<td>关键</td>" in page and "<td>代理</td>" in page
