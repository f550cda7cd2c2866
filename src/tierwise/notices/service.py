"""Use cases of the outbox: draft notices from new tier events and rewards, approve, send."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, delete, select, update
from sqlalchemy.orm import Session

from tierwise.accountability.service import DailyRan
from tierwise.customers.models import Customer
from tierwise.customers.privacy import ERASED, PersonErased
from tierwise.customers.scopes import customer_filter, scoped
from tierwise.db.base import utcnow
from tierwise.db.session import UnitOfWork
from tierwise.i18n import _, current_language
from tierwise.identity.access import Principal, require
from tierwise.identity.audit import record
from tierwise.identity.roles import Permission
from tierwise.jobs.cursors import advance_cursor, read_cursor
from tierwise.notices.channels import Channel, Outgoing
from tierwise.notices.models import Notice, NoticeEvent, NoticeStatus
from tierwise.notices.wording import (
    compose,
    shown_date,
    shown_money,
    speaking,
    tier_label,
    what_it_gives,
)
from tierwise.tiering.engine import active_policy
from tierwise.tiering.models import Reward, TierEvent, TierEventKind, TierReason
from tierwise.tiering.policy import Policy
from tierwise.tiering.statement import statement_for
from tierwise.tiering.statement_render import statement_html

TIER_EVENTS = "notices:tier_events"
REWARDS = "notices:rewards"
RECENT_DAYS = 30
"""Older changes and grants are not news any more: a first run over years of history drafts only
what happened in the last month."""
LISTED = 500


def no_server() -> str:
    """How to configure sending, said when no mail server is set."""
    return _(
        "No mail server is set, so nothing was sent: set TIERWISE_SMTP_HOST (and "
        "TIERWISE_SMTP_PORT, TIERWISE_SMTP_USER, TIERWISE_SMTP_PASSWORD, TIERWISE_SMTP_SENDER)."
    )


def _direction(policy: Policy | None, event: TierEvent) -> NoticeEvent | None:
    """Up or down, or nothing to tell: a first grading, or the blacklist either way."""
    if event.previous_tier is None or event.reason == TierReason.NEW:
        return None
    if policy is not None:
        order = {t.code: (t.blacklist, i) for i, t in enumerate(policy.tiers)}
        new, old = order.get(event.tier), order.get(event.previous_tier)
        if new is not None and old is not None:
            if new[0] or old[0] or new == old:
                return None
            return NoticeEvent.TIER_UP if new < old else NoticeEvent.TIER_DOWN
    if event.reason == TierReason.UPGRADE:
        return NoticeEvent.TIER_UP
    if event.reason in (TierReason.DOWNGRADE, TierReason.EXPIRY):
        return NoticeEvent.TIER_DOWN
    return None


def _tier_notice(
    policy: Policy | None, event: TierEvent, customer: Customer, language: str, today: dt.date
) -> Notice | None:
    """The notice one tier event asks for, if any."""
    recent = today - dt.timedelta(days=RECENT_DAYS)
    if event.kind == TierEventKind.DOWNGRADE_AT_RISK:
        if event.occurs_on is not None and event.occurs_on < today:
            return None
        kind: NoticeEvent | None = NoticeEvent.DOWNGRADE_AT_RISK
    else:
        if event.occurs_on is not None and event.occurs_on < recent:
            return None
        kind = _direction(policy, event)
    if kind is None:
        return None
    subject, body = compose(
        kind,
        language,
        name=customer.name,
        tier=tier_label(policy, event.tier, language),
        previous=tier_label(policy, event.previous_tier, language),
        gives=what_it_gives(policy, event.tier, language),
        due=shown_date(event.occurs_on, language),
    )
    return Notice(
        customer_id=customer.id,
        event=kind,
        language=language,
        subject=subject,
        body=body,
        source=f"tier_event:{event.id}",
    )


def _reward_notice(
    reward: Reward, customer: Customer, language: str, today: dt.date
) -> Notice | None:
    """The notice of a reward still worth telling about (recent, unused, not expired)."""
    recent = today - dt.timedelta(days=RECENT_DAYS)
    if reward.used_on or reward.granted_on < recent:
        return None
    if reward.expires_on is not None and reward.expires_on < today:
        return None
    subject, body = compose(
        NoticeEvent.REWARD,
        language,
        name=customer.name,
        reward=reward.name(language),
        value=shown_money(reward.value, language),
        until=shown_date(reward.expires_on, language),
    )
    return Notice(
        customer_id=customer.id,
        event=NoticeEvent.REWARD,
        language=language,
        subject=subject,
        body=body,
        source=f"reward:{reward.id}",
    )


def _customers(session: Session, ids: set[int]) -> dict[int, Customer]:
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))}


def make_notices(
    uow: UnitOfWork, today: dt.date, language: str | None = None
) -> Counter[NoticeEvent]:
    """Draft a notice for every tier event and reward since the last run; each event drafts at
    most once (cursors, and the unique source), so running twice changes nothing."""
    session, conn = uow.session, uow.connection
    language = language or current_language()
    active = active_policy(conn)
    policy = active.policy if active else None
    made: Counter[NoticeEvent] = Counter()
    events = list(
        session.scalars(
            select(TierEvent)
            .where(TierEvent.id > read_cursor(conn, TIER_EVENTS))
            .order_by(TierEvent.id)
        )
    )
    rewards = list(
        session.scalars(
            select(Reward).where(Reward.id > read_cursor(conn, REWARDS)).order_by(Reward.id)
        )
    )
    people = _customers(session, {e.customer_id for e in events} | {r.customer_id for r in rewards})
    drafts = [_tier_notice(policy, e, people[e.customer_id], language, today) for e in events]
    drafts += [_reward_notice(r, people[r.customer_id], language, today) for r in rewards]
    wanted = {d.source: d for d in drafts if d is not None}
    known = set(
        session.scalars(select(Notice.source).where(Notice.source.in_(list(wanted))))
        if wanted
        else ()
    )
    for source, notice in wanted.items():
        if source not in known:
            session.add(notice)
            made[notice.event] += 1
    if events:
        advance_cursor(conn, TIER_EVENTS, events[-1].id)
    if rewards:
        advance_cursor(conn, REWARDS, rewards[-1].id)
    session.flush()
    return made


def after_daily_run(uow: UnitOfWork, fact: DailyRan) -> dict[str, Any]:
    """The daily run's notices: what happened since yesterday, drafted for approval."""
    return {"notices": sum(make_notices(uow, fact.today).values())}


def forget_erased(uow: UnitOfWork, fact: PersonErased) -> dict[str, Any]:
    """An erased person gets nothing more, and the notices sent keep no word of what they said."""
    unsent = Notice.customer_id == fact.customer_id, Notice.status != NoticeStatus.SENT
    uow.session.execute(delete(Notice).where(*unsent))
    uow.session.execute(
        update(Notice)
        .where(Notice.customer_id == fact.customer_id)
        .values(subject=ERASED, body=ERASED, error=None)
    )
    return {}


def _with_customer(principal: Principal) -> Select[Notice, Customer]:
    """Notices with their customer, of the customers the principal's row scope covers."""
    return (
        select(Notice, Customer)
        .join(Customer, Customer.id == Notice.customer_id)
        .where(customer_filter(principal))
    )


def list_notices(
    session: Session, principal: Principal, status: NoticeStatus | None = None
) -> list[tuple[Notice, Customer]]:
    """Notices of the customers the principal sees, newest first, of one status or all."""
    require(principal, Permission.CUSTOMERS_READ)
    query = _with_customer(principal).order_by(Notice.id.desc())
    if status is not None:
        query = query.where(Notice.status == status)
    return [(n, c) for n, c in session.execute(query.limit(LISTED))]


@dataclass
class Approved:
    """What an approval did: the drafts approved, and the ids that were not drafts in scope."""

    approved: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)


def approve(uow: UnitOfWork, principal: Principal, ids: Sequence[int] | None) -> Approved:
    """Approve drafts for sending: the ones named, or every draft the principal sees (None)."""
    require(principal, Permission.CUSTOMERS_WRITE)
    query = scoped(select(Notice), principal).where(Notice.status == NoticeStatus.DRAFT)
    if ids is not None:
        query = query.where(Notice.id.in_(list(ids)))
    result = Approved()
    at = utcnow()
    for notice in uow.session.scalars(query.order_by(Notice.id)):
        notice.status = NoticeStatus.APPROVED
        notice.approved_by = principal.username
        notice.approved_at = at
        result.approved.append(notice.id)
    if ids is not None:
        result.refused = sorted(set(ids) - set(result.approved))
    if result.approved:
        record(
            uow.session,
            principal,
            "approve",
            "notice",
            None,
            changes={"ids": result.approved},
            note=_("{count} notices approved").format(count=len(result.approved)),
        )
    return result


@dataclass
class Sent:
    """What a send did: the notices handed to the channel, and those that failed with why."""

    sent: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


def _outgoing(
    session: Session, principal: Principal, notice: Notice, customer: Customer, today: dt.date
) -> Outgoing:
    """The notice with its statement, as it stands today, in the notice's language."""
    if not customer.email:
        raise ValueError(_("the customer has no email address"))
    with speaking(notice.language):
        html = statement_html(statement_for(session, principal, customer.code, today))
        name = _("statement") + f"-{customer.code}.html"
    return Outgoing(
        notice_id=notice.id,
        to=customer.email,
        to_name=customer.name,
        subject=notice.subject,
        body=notice.body,
        statement_html=html,
        statement_name=name,
    )


def send(uow: UnitOfWork, principal: Principal, channel: Channel, today: dt.date) -> Sent:
    """Send every approved notice the principal sees; each is marked sent, or failed with the
    reason. Drafts are never sent."""
    require(principal, Permission.CUSTOMERS_WRITE)
    query = (
        _with_customer(principal).where(Notice.status == NoticeStatus.APPROVED).order_by(Notice.id)
    )
    result = Sent()
    for notice, customer in uow.session.execute(query).all():
        notice.channel = channel.name
        try:
            channel.send(_outgoing(uow.session, principal, notice, customer, today))
        except Exception as exc:  # any failure is recorded on the notice, not raised
            notice.status = NoticeStatus.FAILED
            notice.error = str(exc) or exc.__class__.__name__
            result.failed[notice.id] = notice.error
            continue
        notice.status = NoticeStatus.SENT
        notice.sent_at = utcnow()
        notice.error = None
        result.sent.append(notice.id)
    if result.sent or result.failed:
        record(
            uow.session,
            principal,
            "send",
            "notice",
            None,
            changes={"sent": result.sent, "failed": sorted(result.failed)},
            note=_("{sent} notices sent, {failed} failed, by {channel}").format(
                sent=len(result.sent), failed=len(result.failed), channel=channel.name
            ),
        )
    return result
