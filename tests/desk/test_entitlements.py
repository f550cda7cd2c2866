"""Service entitlements on SQLite and PostgreSQL: allowances per calendar period in the company's
zone, uses consuming them, a use beyond what is left refused unless a reason is given (kept on the
row and in the audit), logged visits using on-site visits and marked when none are left, tickets
by a channel the tier does not take refused or overridden, scope, and the API, CLI and 360."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select
from typer.testing import CliRunner

from tierwise.bootstrap import App
from tierwise.cli import build
from tierwise.customers.choices import Direction
from tierwise.customers.models import Customer
from tierwise.customers.service import CustomerNotFound
from tierwise.customers.usecases import log_contact
from tierwise.db.base import utcnow
from tierwise.desk import usecases
from tierwise.desk.entitlements import (
    EntitlementRefused,
    entitlements_left,
    period_of,
    use_entitlement,
)
from tierwise.desk.models import EntitlementUse
from tierwise.desk.workflow import TicketKind
from tierwise.identity import accounts
from tierwise.identity.access import SYSTEM, Principal
from tierwise.identity.models import AuditEntry
from tierwise.identity.roles import RowScope
from tierwise.organisation.choices import EntitlementKind, EntitlementPeriod, InteractionChannel
from tierwise.organisation.models import OrgPolicy, Staff
from tierwise.organisation.rules import default_rules_text
from tierwise.server import create_app
from tierwise.tiering.models import CustomerTier

ZONE = "Asia/Shanghai"
SHANGHAI = ZoneInfo(ZONE)
K = EntitlementKind
PASSWORD = "entitlements-password-2026"


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    """A moment in Shanghai time, as UTC."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(dt.UTC)


NOW = at(2026, 11, 10, 10)
CUSTOMERS = (("A1", "A", "east"), ("B1", "B", "east"), ("D1", "D", "east"), ("W1", "A", "west"))


@pytest.fixture
def desk(app: App) -> App:
    """The default organisation rules; customers A1, B1, D1 of tiers A, B, D owned in the east
    team, and W1 of tier A owned in the west team."""
    with app.uow() as uow:
        conn = uow.connection
        conn.execute(
            insert(OrgPolicy.__table__).values(
                version=1, name="default", source=default_rules_text(), active=True, applied_at=NOW
            )
        )
        owners = {
            team: conn.execute(
                insert(Staff.__table__)
                .values(code=f"S-{team}", name=team, role="account_manager", level="senior")
                .values(team=team, active=True)
                .returning(Staff.id)
            ).scalar_one()
            for team in ("east", "west")
        }
        for code, tier, team in CUSTOMERS:
            customer_id = conn.execute(
                insert(Customer.__table__)
                .values(code=code, name=code, kind="enterprise", status="active")
                .values(owner_id=owners[team])
                .returning(Customer.id)
            ).scalar_one()
            conn.execute(
                insert(CustomerTier.__table__).values(
                    customer_id=customer_id, tier=tier, since=dt.date(2026, 1, 1), reason="new"
                )
            )
        uow.commit()
    return app


def east_manager(app: App) -> Principal:
    """A manager of the east team: sees the customers the team owns, nobody else's."""
    with app.uow() as uow:
        staff_id = uow.session.scalar(select(Staff.id).where(Staff.code == "S-east"))
    scope = {"row_scope": RowScope.TEAM, "team": "east", "staff_id": staff_id}
    return replace(SYSTEM, username="wang", kind="human", **scope)  # type: ignore[arg-type]


def left_of(app: App, code: str, now: dt.datetime, who: Principal = SYSTEM) -> dict[K, tuple]:
    """Per kind: allowance, used, left and period end, as of `now`."""
    with app.uow() as uow:
        found = entitlements_left(uow, who, ZONE, code, now)
    return {b.kind: (b.allowance, b.used, b.left, b.period_end) for b in found}


def use(app: App, code: str, kind: K, amount: float, now: dt.datetime = NOW, **more: Any) -> None:
    """One use, committed."""
    with app.uow() as uow:
        use_entitlement(uow, SYSTEM, ZONE, code, kind, amount, now=now, **more)
        uow.commit()


def uses_of(app: App, code: str) -> list[EntitlementUse]:
    """The customer's ledger, oldest first."""
    with app.uow() as uow:
        query = select(EntitlementUse).join(Customer, Customer.id == EntitlementUse.customer_id)
        return list(uow.session.scalars(query.where(Customer.code == code).order_by("id")))


def test_calendar_periods() -> None:
    day = dt.date(2026, 11, 10)
    assert period_of(day, EntitlementPeriod.MONTH) == (dt.date(2026, 11, 1), dt.date(2026, 12, 1))
    assert period_of(day, EntitlementPeriod.QUARTER) == (dt.date(2026, 10, 1), dt.date(2027, 1, 1))
    assert period_of(day, EntitlementPeriod.YEAR) == (dt.date(2026, 1, 1), dt.date(2027, 1, 1))
    assert period_of(dt.date(2027, 3, 31), EntitlementPeriod.QUARTER)[1] == dt.date(2027, 4, 1)


def test_a_use_counts_in_the_period_of_the_company_zone(desk: App) -> None:
    # 23:30 on 31 March and 00:30 on 1 April in Shanghai: both still 31 March in UTC.
    late_march, early_april = at(2027, 3, 31, 23, 30), at(2027, 4, 1, 0, 30)
    assert early_april.date() == dt.date(2027, 3, 31)
    use(desk, "A1", K.ONSITE_VISIT, 1, late_march)
    use(desk, "A1", K.ONSITE_VISIT, 2, early_april)
    march = left_of(desk, "A1", at(2027, 3, 31, 12))
    april = left_of(desk, "A1", at(2027, 4, 1, 12))
    assert march[K.ONSITE_VISIT] == (6, 1, 5, dt.date(2027, 3, 31))
    assert april[K.ONSITE_VISIT] == (6, 2, 4, dt.date(2027, 6, 30))
    assert april[K.PRIORITY_REPAIR] == (4, 0, 4, dt.date(2027, 4, 30))
    assert list(april) == [K.ONSITE_VISIT, K.ENGINEER_HOURS, K.PRIORITY_REPAIR, K.TRAINING]


def test_uses_consume_and_a_use_beyond_what_is_left_is_refused(desk: App) -> None:
    use(desk, "B1", K.ENGINEER_HOURS, 20)
    use(desk, "B1", K.ENGINEER_HOURS, 1.5)
    assert left_of(desk, "B1", NOW)[K.ENGINEER_HOURS] == (24, 21.5, 2.5, dt.date(2026, 12, 31))
    with pytest.raises(EntitlementRefused) as refused:
        use(desk, "B1", K.ENGINEER_HOURS, 3)
    assert str(refused.value) == (
        "customer B1 has 2.5 of 24 Engineer hours left until 2026-12-31, and 3 were asked;"
        " give a reason to go beyond the allowance"
    )
    assert refused.value.status == 409
    use(desk, "B1", K.ENGINEER_HOURS, 2.5)  # exactly what is left
    assert left_of(desk, "B1", NOW)[K.ENGINEER_HOURS][2] == 0
    with pytest.raises(EntitlementRefused, match="D1 \\(tier D\\) is not entitled to On-site"):
        use(desk, "D1", K.ONSITE_VISIT, 1)
    with pytest.raises(ValueError, match="amount: must be more than 0, not 0"):
        use(desk, "B1", K.TRAINING, 0)
    assert [u.amount for u in uses_of(desk, "B1")] == [20, 1.5, 2.5]
    assert not any(u.beyond_allowance for u in uses_of(desk, "B1"))


def test_an_override_is_kept_on_the_row_and_audited(desk: App) -> None:
    use(desk, "B1", K.PRIORITY_REPAIR, 1)
    with pytest.raises(EntitlementRefused):
        use(desk, "B1", K.PRIORITY_REPAIR, 1, override_reason="   ")
    with desk.uow() as uow:
        used = use_entitlement(
            uow, SYSTEM, ZONE, "B1", K.PRIORITY_REPAIR, 1, override_reason="产线停机", now=NOW
        )
        uow.commit()
    assert used.beyond_allowance and used.balance is not None
    assert (used.balance.used, used.balance.left) == (2, 0)
    first, second = uses_of(desk, "B1")
    assert (first.beyond_allowance, first.override_reason) == (False, None)
    assert (second.beyond_allowance, second.override_reason, second.actor) == (
        True,
        "产线停机",
        "system",
    )
    with desk.uow() as uow:
        audit = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.resource == "entitlement").order_by(AuditEntry.id)
        ).all()
    assert [(a.action, a.resource_id) for a in audit] == [("use", "B1"), ("use", "B1")]
    assert audit[0].note is None
    assert audit[1].note == "beyond the allowance: 产线停机"
    assert audit[1].changes == {"kind": "priority_repair", "amount": 1, "ticket": None}


def visit(app: App, code: str, moment: dt.datetime, channel: InteractionChannel) -> int:
    """Log a contact with the customer, as anyone logs one."""
    with app.uow() as uow:
        logged = log_contact(uow, SYSTEM, code, moment, channel, Direction.OUTBOUND, "上门检修")
        uow.commit()
    return logged.interaction.id


def test_logged_visits_use_on_site_visits_and_are_marked_when_none_are_left(desk: App) -> None:
    visits = [visit(desk, "B1", at(2026, 11, day, 10), InteractionChannel.VISIT) for day in (2, 3)]
    visit(desk, "B1", at(2026, 11, 4, 10), InteractionChannel.PHONE)  # not a visit
    assert left_of(desk, "B1", NOW)[K.ONSITE_VISIT][1:3] == (2, 0)
    visits.append(visit(desk, "B1", at(2026, 11, 5, 10), InteractionChannel.VISIT))
    ledger = uses_of(desk, "B1")
    assert [(u.interaction_id, u.beyond_allowance) for u in ledger] == [
        (visits[0], False),
        (visits[1], False),
        (visits[2], True),
    ]
    assert {u.override_reason for u in ledger} == {None}
    assert left_of(desk, "B1", NOW)[K.ONSITE_VISIT][1:3] == (3, 0)
    visit(desk, "D1", at(2026, 11, 5, 10), InteractionChannel.VISIT)  # D: no on-site visits
    assert uses_of(desk, "D1") == []


def test_a_ticket_by_a_channel_the_tier_does_not_take_needs_a_reason(desk: App) -> None:
    with desk.uow() as uow, pytest.raises(EntitlementRefused) as refused:
        usecases.open_ticket(uow, SYSTEM, ZONE, "D1", TicketKind.REQUEST, "上门装机", "visit")
    assert str(refused.value) == (
        "tier D does not take tickets by Visit (it takes Phone, Email, WeChat);"
        " give a reason to open it anyway"
    )
    request = TicketKind.REQUEST
    with desk.uow() as uow:
        by_phone = usecases.open_ticket(uow, SYSTEM, ZONE, "D1", request, "装机", "phone")
        overridden = usecases.open_ticket(
            uow, SYSTEM, ZONE, "D1", request, "上门装机", "visit", "客户无法远程操作"
        )
        anywhere = usecases.open_ticket(uow, SYSTEM, ZONE, "A1", request, "巡检", "visit")
        uow.commit()
        notes = dict(
            uow.session.execute(
                select(AuditEntry.resource_id, AuditEntry.note).where(
                    AuditEntry.resource == "ticket"
                )
            ).all()
        )
    assert notes == {
        str(by_phone): None,
        str(overridden): "by visit, not a channel of the tier: 客户无法远程操作",
        str(anywhere): None,
    }


def test_another_teams_customer_looks_absent_and_a_ticket_must_be_the_customers(
    desk: App,
) -> None:
    manager = east_manager(desk)
    assert K.ONSITE_VISIT in left_of(desk, "A1", NOW, manager)
    with pytest.raises(CustomerNotFound):
        left_of(desk, "W1", NOW, manager)
    with desk.uow() as uow, pytest.raises(CustomerNotFound):
        use_entitlement(uow, manager, ZONE, "W1", K.ENGINEER_HOURS, 1, now=NOW)
    with desk.uow() as uow:
        ticket = usecases.open_ticket(uow, SYSTEM, ZONE, "A1", TicketKind.REQUEST, "维修", "phone")
        uow.commit()
    with pytest.raises(ValueError, match=f"ticket {ticket} is not a ticket of customer B1"):
        use(desk, "B1", K.ENGINEER_HOURS, 1, ticket_id=ticket)
    use(desk, "A1", K.ENGINEER_HOURS, 3, ticket_id=ticket)
    assert [u.ticket_id for u in uses_of(desk, "A1")] == [ticket]
    assert uses_of(desk, "W1") == uses_of(desk, "B1") == []


def test_the_command_line_shows_and_uses_entitlements(
    desk: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = desk.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("TIERWISE_DATABASE_URL", url)  # the CLI checks the schema there
    runner = CliRunner()
    shown = runner.invoke(build(), ["service", "entitlements", "B1"], obj=desk)
    assert shown.exit_code == 0, shown.output
    assert "Engineer hours" in shown.output and "24 per year" in shown.output
    assert "engineer_hours" not in shown.output
    used = runner.invoke(build(), ["service", "use", "B1", "priority_repair", "1"], obj=desk)
    assert used.exit_code == 0, used.output
    assert "0 of 1 Priority repairs left until 2026-" in used.output
    refused = runner.invoke(build(), ["service", "use", "B1", "优先维修", "1"], obj=desk)
    assert refused.exit_code == 1
    assert "give a reason to go beyond the allowance" in refused.output
    assert "Traceback" not in refused.output
    unknown = runner.invoke(build(), ["service", "use", "B1", "massage", "1"], obj=desk)
    assert unknown.exit_code == 1 and "KIND: no entitlement 'massage'" in unknown.output
    overridden = runner.invoke(
        build(),
        ["service", "use", "B1", "priority_repair", "1", "--override", "停产抢修"],
        obj=desk,
    )
    assert overridden.exit_code == 0, overridden.output
    assert "beyond the allowance" in overridden.output
    assert [u.override_reason for u in uses_of(desk, "B1")] == [None, "停产抢修"]


def test_the_api_and_the_360_page(desk: App) -> None:
    with desk.uow() as uow:
        user = accounts.add_user(uow.session, "chen", "陈", "admin", "first-password-2026")
        accounts.set_password(uow.session, "chen", PASSWORD, temporary=False)
        token = accounts.issue_token(uow.session, user, "tests", [], 30, utcnow())[1]
        uow.commit()
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    with TestClient(create_app(desk), base_url="https://testserver") as client:
        path = "/api/v1/customers/B1/entitlements"
        listed = client.get(path, headers=headers)
        assert listed.status_code == 200, listed.text
        hours = next(b for b in listed.json() if b["kind"] == "engineer_hours")
        assert (hours["allowance"], hours["used"], hours["per"]) == (24, 0, "year")
        body = {"kind": "engineer_hours", "amount": 20}
        made = client.post(f"{path}/uses", json=body, headers=headers)
        assert made.status_code == 201, made.text
        assert made.json()["balance"]["left"] == 4 and not made.json()["beyond_allowance"]
        refused = client.post(f"{path}/uses", json=body, headers=headers)
        assert refused.status_code == 409
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "4 of 24 Engineer hours left" in refused.json()["detail"]
        body["override_reason"] = "年度大修"
        overridden = client.post(f"{path}/uses", json=body, headers=headers)
        assert overridden.status_code == 201 and overridden.json()["beyond_allowance"]
        bad = client.post(f"{path}/uses", json={"kind": "massage", "amount": 1}, headers=headers)
        assert bad.status_code == 422
        absent = client.get("/api/v1/customers/NOPE/entitlements", headers=headers)
        assert absent.status_code == 404
        ticket = {"customer": "D1", "kind": "request", "subject": "上门装机", "channel": "visit"}
        by_visit = client.post("/api/v1/tickets", json=ticket, headers=headers)
        assert by_visit.status_code == 409 and "does not take tickets by Visit" in by_visit.text
        ticket["override_reason"] = "客户无法远程操作"
        assert client.post("/api/v1/tickets", json=ticket, headers=headers).status_code == 201
        signed = client.post("/api/v1/session", json={"username": "chen", "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        page = client.get("/customers/B1", headers={"Accept-Language": "en"})
        assert page.status_code == 200, page.text[:2000]
        section = page.text[page.text.index('id="entitlements"') :]
        section = section[: section.index("</section>")]
        assert "Service entitlements" in section and "Engineer hours" in section
        assert "24 per year" in section and "engineer_hours" not in section
    with desk.uow() as uow:
        count = uow.session.scalar(select(func.count()).select_from(EntitlementUse))
    assert count == 2
