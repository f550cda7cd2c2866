"""Notices to customers: drafted once from tier events and rewards, approved, sent with the
statement attached, exported for a mailing."""

from __future__ import annotations

import csv
import datetime as dt
import email
import itertools
from collections.abc import Iterator
from decimal import Decimal
from email.message import EmailMessage
from email.policy import default as default_policy
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from tierwise.accountability import service as accountability
from tierwise.bootstrap import App, bootstrap
from tierwise.cli import build
from tierwise.config import Settings
from tierwise.customers.models import Customer
from tierwise.customers.usecases import erase_person
from tierwise.demo.users import create_demo_users
from tierwise.i18n import set_language
from tierwise.identity import accounts
from tierwise.identity.access import SYSTEM
from tierwise.identity.models import AuditEntry
from tierwise.notices.channels import FileChannel
from tierwise.notices.export import export_notices
from tierwise.notices.models import Notice, NoticeEvent, NoticeStatus
from tierwise.notices.service import approve, make_notices, send
from tierwise.organisation.rules import default_rules_text
from tierwise.server import create_app
from tierwise.tiering.models import Reward, TierEvent, TierEventKind, TierReason
from tierwise.tiering.policy import default_policy_text
from tierwise.tiering.service import apply_policy

from ..support.demo_db import committed_demo
from ..support.postgres import database_for
from ..support.units import in_unit

AS_OF = dt.date(2026, 11, 1)
TODAY = dt.date(2026, 11, 3)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[App]:
    """A small demo graded once, owned by the rules, and its daily run done."""
    url = database_for(request.param, "tierwise_test_notices", str(tmp_path_factory.mktemp("n")))
    app = committed_demo(url, customers=120, seed=11, as_of=AS_OF)
    in_unit(app, apply_policy, SYSTEM, default_policy_text(), "default", "test")
    in_unit(app, accountability.apply_rules, default_rules_text(), "default", "test")
    app.recomputes.run(AS_OF, None)
    in_unit(app, accountability.run_daily, AS_OF, app.settings.timezone)
    yield app
    app.engine.dispose()


_taken = itertools.count()


def customers(app: App, n: int) -> list[Customer]:
    """`n` customers with an email address no other test of the module has used, and no notice
    from the fixture's daily run (which told some of the rewards it granted)."""
    with app.uow() as uow:
        told = select(Notice.customer_id)
        found = list(
            uow.session.scalars(
                select(Customer)
                .where(Customer.email.is_not(None), Customer.id.not_in(told))
                .order_by(Customer.code)
            )
        )
    return [found[next(_taken)] for _ in range(n)]


def events(app: App, *rows: tuple[Customer, TierEventKind, str, str | None, TierReason]) -> None:
    """Tier events as the engine writes them (kind, tier, previous tier, reason)."""
    with app.uow() as uow:
        for customer, kind, tier, previous, reason in rows:
            due = (
                TODAY + dt.timedelta(days=30) if kind is TierEventKind.DOWNGRADE_AT_RISK else TODAY
            )
            uow.session.add(
                TierEvent(
                    customer_id=customer.id,
                    kind=kind,
                    tier=tier,
                    previous_tier=previous,
                    reason=reason,
                    occurs_on=due,
                )
            )
        uow.commit()


def reward(app: App, customer: Customer, expires: dt.date | None = dt.date(2026, 12, 31)) -> None:
    """A reward row as the policy's rules grant one."""
    with app.uow() as uow:
        uow.session.add(
            Reward(
                customer_id=customer.id,
                rule="anniversary",
                period=f"2026-{customer.code}",
                name_zh="周年礼券",
                name_en="Anniversary voucher",
                value=Decimal("500.00"),
                reason="three years with us",
                granted_on=TODAY,
                expires_on=expires,
            )
        )
        uow.commit()


def notices_of(app: App, people: list[Customer]) -> list[Notice]:
    with app.uow() as uow:
        ids = [c.id for c in people]
        query = select(Notice).where(Notice.customer_id.in_(ids)).order_by(Notice.id)
        return list(uow.session.scalars(query))


def count_notices(app: App) -> int:
    with app.uow() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Notice)) or 0)


def test_the_first_grading_tells_nobody(world: App) -> None:
    # The fixture's recompute graded everyone for the first time and its daily run drafted
    # (the rewards that run granted are told; the first tiers are not).
    with world.uow() as uow:
        assert uow.session.scalar(select(func.count()).select_from(TierEvent)) > 0
        told = uow.session.scalar(
            select(func.count()).select_from(Notice).where(Notice.source.like("tier_event:%"))
        )
    assert told == 0


def test_one_notice_per_event_kind_from_tier_events_and_rewards(world: App) -> None:
    up, down, risk, rewarded, blacklisted = customers(world, 5)
    events(
        world,
        (up, TierEventKind.TIER_CHANGED, "A", "B", TierReason.UPGRADE),
        (down, TierEventKind.TIER_CHANGED, "D", "C", TierReason.DOWNGRADE),
        (risk, TierEventKind.DOWNGRADE_AT_RISK, "C", "B", TierReason.DOWNGRADE),
        (blacklisted, TierEventKind.TIER_CHANGED, "X", "C", TierReason.BLACKLIST),
    )
    reward(world, rewarded)
    made = in_unit(world, make_notices, TODAY, "en")
    assert made == {
        NoticeEvent.TIER_UP: 1,
        NoticeEvent.TIER_DOWN: 1,
        NoticeEvent.DOWNGRADE_AT_RISK: 1,
        NoticeEvent.REWARD: 1,
    }
    by_customer = {n.customer_id: n for n in notices_of(world, [up, down, risk, rewarded])}
    assert blacklisted.id not in {n.customer_id for n in notices_of(world, [blacklisted])}
    raised = by_customer[up.id]
    assert raised.event is NoticeEvent.TIER_UP and raised.status is NoticeStatus.DRAFT
    assert raised.subject == "Your customer tier is now A VIP"
    assert f"Dear {up.name}," in raised.body
    assert "from B Major to A VIP" in raised.body
    assert "Discount off list price:" in raised.body  # what the new tier gives
    assert "{{" not in raised.body and "tier_up" not in raised.body
    assert by_customer[down.id].event is NoticeEvent.TIER_DOWN
    warned = by_customer[risk.id]
    assert "December 3, 2026" in warned.subject  # the day the downgrade would take effect
    assert "change to C Normal" in warned.body
    granted = by_customer[rewarded.id]
    assert granted.subject == "A reward for you: Anniversary voucher"
    assert "until December 31, 2026" in granted.body and "500" in granted.body
    assert granted.source.startswith("reward:")


def test_notices_in_chinese_address_the_customer_in_chinese(world: App) -> None:
    (person,) = customers(world, 1)
    events(world, (person, TierEventKind.TIER_CHANGED, "B", "C", TierReason.UPGRADE))
    in_unit(world, make_notices, TODAY, "zh_CN")
    (notice,) = notices_of(world, [person])
    assert notice.language == "zh_CN"
    assert notice.subject.startswith("您的客户等级已提升至 B ")
    assert f"尊敬的 {person.name}：" in notice.body


def test_making_twice_drafts_once(world: App) -> None:
    (person,) = customers(world, 1)
    events(world, (person, TierEventKind.TIER_CHANGED, "D", "C", TierReason.DOWNGRADE))
    first = in_unit(world, make_notices, TODAY, "en")
    before = count_notices(world)
    again = in_unit(world, make_notices, TODAY, "en")
    assert sum(first.values()) == 1 and sum(again.values()) == 0
    assert count_notices(world) == before


def test_the_daily_run_drafts_the_days_notices(world: App) -> None:
    (person,) = customers(world, 1)
    reward(world, person)
    in_unit(world, accountability.run_daily, TODAY, world.settings.timezone)
    (notice,) = notices_of(world, [person])
    assert notice.event is NoticeEvent.REWARD and notice.status is NoticeStatus.DRAFT


def _eml(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


def test_approved_notices_are_sent_with_the_statement_and_drafts_are_not(
    world: App, tmp_path: Path
) -> None:
    approved_one, left_draft = customers(world, 2)
    events(
        world,
        (approved_one, TierEventKind.TIER_CHANGED, "A", "B", TierReason.UPGRADE),
        (left_draft, TierEventKind.TIER_CHANGED, "A", "B", TierReason.UPGRADE),
    )
    in_unit(world, make_notices, TODAY, "en")
    chosen, waiting = notices_of(world, [approved_one, left_draft])
    assert chosen.customer_id == approved_one.id
    outbox = tmp_path / "outbox"
    nothing = in_unit(world, send, SYSTEM, FileChannel(outbox), TODAY)
    assert not (outbox / f"notice-{chosen.id}.eml").exists()
    assert chosen.id not in nothing.sent

    result = in_unit(world, approve, SYSTEM, [chosen.id])
    assert result.approved == [chosen.id] and result.refused == []
    sent = in_unit(world, send, SYSTEM, FileChannel(outbox), TODAY)
    assert chosen.id in sent.sent and waiting.id not in sent.sent
    message = _eml(outbox / f"notice-{chosen.id}.eml")
    assert message["Subject"] == "Your customer tier is now A VIP"
    assert approved_one.email and approved_one.email in message["To"]
    body = message.get_body(("plain",))
    assert body is not None and f"Dear {approved_one.name}," in body.get_content()
    (attached,) = list(message.iter_attachments())
    assert attached.get_filename() == f"statement-{approved_one.code}.html"
    assert approved_one.name in attached.get_content()
    beside = (outbox / f"notice-{chosen.id}-statement.html").read_text("utf-8")
    assert approved_one.name in beside
    assert not (outbox / f"notice-{waiting.id}.eml").exists()

    after = {n.id: n for n in notices_of(world, [approved_one, left_draft])}
    assert after[chosen.id].status is NoticeStatus.SENT and after[chosen.id].channel == "file"
    assert after[chosen.id].approved_by == SYSTEM.username and after[chosen.id].sent_at
    assert after[waiting.id].status is NoticeStatus.DRAFT
    with world.uow() as uow:
        actions = set(
            uow.session.scalars(select(AuditEntry.action).where(AuditEntry.resource == "notice"))
        )
    assert {"approve", "send"} <= actions
    again = in_unit(world, send, SYSTEM, FileChannel(outbox), TODAY)
    assert chosen.id not in again.sent  # sent once


def test_a_customer_without_email_fails_with_the_reason(world: App, tmp_path: Path) -> None:
    (person,) = customers(world, 1)
    with world.uow() as uow:
        uow.session.get_one(Customer, person.id).email = None
        uow.commit()
    reward(world, person)
    in_unit(world, make_notices, TODAY, "en")
    (notice,) = notices_of(world, [person])
    in_unit(world, approve, SYSTEM, [notice.id])
    result = in_unit(world, send, SYSTEM, FileChannel(tmp_path), TODAY)
    assert result.failed[notice.id] == "the customer has no email address"
    (failed,) = notices_of(world, [person])
    assert failed.status is NoticeStatus.FAILED and failed.error == result.failed[notice.id]


@pytest.mark.parametrize(
    ("chinese", "header"),
    [
        (False, ["Customer code", "Customer name", "Email", "Subject", "Message"]),
        (True, ["客户编号", "客户名称", "电子邮箱", "主题", "正文"]),
    ],
)
def test_the_mailing_export_has_the_columns_a_mail_merge_needs(
    world: App, tmp_path: Path, chinese: bool, header: list[str]
) -> None:
    (person,) = customers(world, 1)
    events(world, (person, TierEventKind.TIER_CHANGED, "C", "D", TierReason.UPGRADE))
    in_unit(world, make_notices, TODAY, "en")
    (notice,) = notices_of(world, [person])
    in_unit(world, approve, SYSTEM, [notice.id])
    path = tmp_path / "mailing.csv"
    count = in_unit(world, export_notices, SYSTEM, path, NoticeStatus.APPROVED, chinese)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == header
    assert len(rows) == count + 1
    assert [person.code, person.name, person.email, notice.subject, notice.body] in rows


def test_the_command_line_sends_nothing_without_a_mail_server(
    world: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = world.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("TIERWISE_DATABASE_URL", url)
    monkeypatch.delenv("TIERWISE_SMTP_HOST", raising=False)
    set_language("en")
    runner = CliRunner()
    listed = runner.invoke(build(), ["notices", "list", "--status", "draft"])
    assert listed.exit_code == 0, listed.output
    refused = runner.invoke(build(), ["notices", "send"])
    assert refused.exit_code == 2
    assert "TIERWISE_SMTP_HOST" in refused.output
    set_language("zh_CN")


def test_the_console_page_approves_ticked_drafts_and_says_how_to_send(world: App) -> None:
    (person,) = customers(world, 1)
    events(world, (person, TierEventKind.TIER_CHANGED, "A", "B", TierReason.UPGRADE))
    in_unit(world, make_notices, TODAY, "en")
    (notice,) = notices_of(world, [person])
    url = world.engine.url.render_as_string(hide_password=False)
    settings = Settings(database_url=url, demo=True, failed_sign_in_delay=0.0)
    console = bootstrap(settings, world.engine)
    create_demo_users(console)
    with console.uow() as uow:
        accounts.set_password(uow.session, "admin", "admin-password-for-notices", temporary=False)
        uow.commit()
    with TestClient(create_app(console), headers={"Accept-Language": "en"}) as client:
        signed_in = client.post(
            "/api/v1/session",
            json={"username": "admin", "password": "admin-password-for-notices"},
        )
        assert signed_in.status_code == 200, signed_in.text
        csrf = signed_in.json()["csrf_token"]
        page = unescape(client.get("/notices").text)
        assert 'href="/notices"' in page  # in the navigation
        assert notice.subject in page and f'value="{notice.id}"' in page
        assert "tier_up" not in page  # the event's label, never its code
        approved = client.post(
            "/notices/approve", data={"ids": [str(notice.id)], "csrf_token": csrf}
        )
        assert approved.status_code == 200 and "1 notices approved." in unescape(approved.text)
        sent = unescape(client.post("/notices/send", data={"csrf_token": csrf}).text)
        assert "No mail server is set, so nothing was sent" in sent
    (after,) = notices_of(world, [person])
    assert after.status is NoticeStatus.APPROVED and after.approved_by == "admin"


def test_an_erased_person_gets_no_notice_and_the_sent_ones_keep_no_words(
    world: App, tmp_path: Path
) -> None:
    first, second = customers(world, 2)
    events(
        world,
        (first, TierEventKind.TIER_CHANGED, "A", "B", TierReason.UPGRADE),
        (first, TierEventKind.DOWNGRADE_AT_RISK, "B", "A", TierReason.DOWNGRADE),
        (second, TierEventKind.TIER_CHANGED, "A", "B", TierReason.UPGRADE),
    )
    in_unit(world, make_notices, TODAY, "en")
    sent, unsent, other = notices_of(world, [first, second])
    in_unit(world, approve, SYSTEM, [sent.id])
    in_unit(world, send, SYSTEM, FileChannel(tmp_path), TODAY)
    in_unit(world, erase_person, SYSTEM, first.code, world.settings.secret_key)
    left = notices_of(world, [first])
    assert [n.id for n in left] == [sent.id] and unsent.customer_id == first.id  # draft gone
    assert left[0].status is NoticeStatus.SENT and first.name not in left[0].body
    assert notices_of(world, [second])[0].body == other.body  # nobody else's
