"""Accountability items (问责): raised against the owner, answered with a reason, reviewed by the
manager; never deleted. Each item is raised once per cause (`kind`, `source_ref` is unique)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.orm import Session

from tierwise.accountability.models import (
    AccountabilityItem,
    ItemKind,
    ItemStatus,
    ReasonCode,
    Task,
    TaskStatus,
)
from tierwise.analytics.models import AnalyticsRun, CustomerIndicator
from tierwise.customers.choices import InteractionOutcome
from tierwise.customers.models import Customer, Interaction
from tierwise.db.base import utcnow
from tierwise.desk.models import SlaBreach
from tierwise.i18n import _, current_language
from tierwise.jobs.cursors import advance_cursor, read_cursor
from tierwise.organisation.models import TaskKind
from tierwise.organisation.rules import OBLIGATION_CHANNELS, OrgRules
from tierwise.tiering.models import TierEvent, TierEventKind, TierReason


class ItemError(ValueError):
    """A step of the workflow that does not apply to the item as it stands."""


def raise_items(conn: Connection, rules: OrgRules, today: dt.date) -> Counter[str]:
    """Raise every item whose cause has appeared since the last run; returns counts by kind."""
    candidates = [
        *_overdue(conn, rules, today),
        *_key_downgrades(conn, rules, today),
        *_key_churn(conn, rules, today),
        *_complaints(conn, rules, today),
        *_sla_breaches(conn, today),
    ]
    a = AccountabilityItem.__table__
    existing = {tuple(row) for row in conn.execute(select(a.c.kind, a.c.source_ref))}
    fresh = [c for c in candidates if (c["kind"], c["source_ref"]) not in existing]
    if fresh:
        conn.execute(insert(a), fresh)
    return Counter(str(c["kind"]) for c in fresh)


def _item(
    kind: ItemKind,
    source: str,
    staff_id: int | None,
    customer_id: int,
    today: dt.date,
    detail: str,
    value: float | Decimal | None = None,
) -> dict[str, object]:
    return {
        "kind": kind,
        "source_ref": source,
        "staff_id": staff_id,
        "customer_id": customer_id,
        "raised_on": today,
        "detail": detail,
        "value_at_stake": None if value is None else Decimal(str(round(float(value), 2))),
        "status": ItemStatus.OPEN,
    }


def _overdue(conn: Connection, rules: OrgRules, today: dt.date) -> list[dict[str, object]]:
    t = Task.__table__
    limit = today - dt.timedelta(days=rules.tolerance_days)
    late = conn.execute(
        select(t.c.id, t.c.customer_id, t.c.staff_id, t.c.kind, t.c.due_on).where(
            t.c.status == TaskStatus.OPEN,
            t.c.kind.in_([*OBLIGATION_CHANNELS, TaskKind.COMPLAINT_FOLLOW_UP]),
            t.c.due_on < limit,
        )
    ).all()
    return [
        _item(
            ItemKind.OBLIGATION_OVERDUE,
            f"task:{row.id}",
            row.staff_id,
            row.customer_id,
            today,
            _("{task} due {due}, {days} days overdue").format(
                task=TaskKind(row.kind).label(current_language()),
                due=row.due_on,
                days=(today - row.due_on).days,
            ),
        )
        for row in late
    ]


def _snapshot_value(conn: Connection, customer_ids: list[int]) -> dict[int, object]:
    runs, ci = AnalyticsRun.__table__, CustomerIndicator.__table__
    latest = conn.execute(select(runs.c.id).order_by(runs.c.as_of.desc()).limit(1)).scalar()
    if latest is None or not customer_ids:
        return {}
    return dict(
        conn.execute(
            select(ci.c.customer_id, ci.c.clv).where(
                ci.c.run_id == latest, ci.c.customer_id.in_(customer_ids)
            )
        ).all()
    )


def _key_downgrades(conn: Connection, rules: OrgRules, today: dt.date) -> list[dict[str, object]]:
    e, c = TierEvent.__table__, Customer.__table__
    after = read_cursor(conn, "accountability:tier_events")
    events = conn.execute(
        select(e.c.id, e.c.customer_id, e.c.tier, e.c.previous_tier, c.c.owner_id)
        .join(c, c.c.id == e.c.customer_id)
        .where(
            e.c.id > after,
            e.c.kind == TierEventKind.TIER_CHANGED,
            e.c.previous_tier.in_(rules.key_tiers),
            e.c.reason.in_([TierReason.DOWNGRADE, TierReason.EXPIRY]),
        )
    ).all()
    latest = conn.execute(select(func.max(e.c.id))).scalar() or after
    advance_cursor(conn, "accountability:tier_events", latest)
    values = _snapshot_value(conn, [ev.customer_id for ev in events])
    return [
        _item(
            ItemKind.KEY_ACCOUNT_DOWNGRADED,
            f"tier_event:{ev.id}",
            ev.owner_id,
            ev.customer_id,
            today,
            _("downgraded from {old} to {new}").format(old=ev.previous_tier, new=ev.tier),
            values.get(ev.customer_id),  # type: ignore[arg-type]
        )
        for ev in events
    ]


def _key_churn(conn: Connection, rules: OrgRules, today: dt.date) -> list[dict[str, object]]:
    """Key-tier customers the latest snapshot calls churned and the one before did not."""
    runs = AnalyticsRun.__table__
    last_two = (
        conn.execute(select(runs.c.id).order_by(runs.c.as_of.desc()).limit(2)).scalars().all()
    )
    if len(last_two) < 2:
        return []
    now, before = (CustomerIndicator.__table__.alias(n) for n in ("now", "before"))
    c = Customer.__table__
    rows = conn.execute(
        select(now.c.customer_id, c.c.owner_id, before.c.clv, before.c.tier)
        .join(before, before.c.customer_id == now.c.customer_id)
        .join(c, c.c.id == now.c.customer_id)
        .where(
            now.c.run_id == last_two[0],
            before.c.run_id == last_two[1],
            now.c.churned.is_(True),
            before.c.churned.is_not(True),
            before.c.tier.in_(rules.key_tiers),
        )
    ).all()
    return [
        _item(
            ItemKind.KEY_ACCOUNT_CHURNED,
            f"churn:{row.customer_id}:{last_two[0]}",
            row.owner_id,
            row.customer_id,
            today,
            _("a {tier} customer churned").format(tier=row.tier),
            row.clv,
        )
        for row in rows
    ]


def _complaints(conn: Connection, rules: OrgRules, today: dt.date) -> list[dict[str, object]]:
    """Complaints older than `complaint_days` with no contact since that resolved them."""
    i, c = Interaction.__table__, Customer.__table__
    later = i.alias("later")
    cutoff = dt.datetime.combine(today - dt.timedelta(days=rules.complaint_days), dt.time(), dt.UTC)
    horizon = dt.datetime.combine(today - dt.timedelta(days=rules.lookback_days), dt.time(), dt.UTC)
    resolved = (
        select(later.c.id)
        .where(
            later.c.customer_id == i.c.customer_id,
            later.c.occurred_at >= i.c.occurred_at,
            later.c.outcome == InteractionOutcome.RESOLVED,
        )
        .exists()
    )
    rows = conn.execute(
        select(i.c.id, i.c.customer_id, i.c.occurred_at, c.c.owner_id)
        .join(c, c.c.id == i.c.customer_id)
        .where(i.c.outcome == InteractionOutcome.COMPLAINT, i.c.occurred_at < cutoff, ~resolved)
        .where(i.c.occurred_at >= horizon)
    ).all()
    return [
        _item(
            ItemKind.COMPLAINT_UNRESOLVED,
            f"interaction:{row.id}",
            row.owner_id,
            row.customer_id,
            today,
            _("complaint of {day} still unresolved").format(day=row.occurred_at.date()),
        )
        for row in rows
    ]


def _sla_breaches(conn: Connection, today: dt.date) -> list[dict[str, object]]:
    """A ticket of an owned customer that missed its first response or resolution clock."""
    b, c = SlaBreach.__table__, Customer.__table__
    rows = conn.execute(
        select(b.c.id, b.c.ticket_id, b.c.clock, b.c.due, b.c.customer_id, c.c.owner_id).join(
            c, c.c.id == b.c.customer_id
        )
    ).all()
    return [
        _item(
            ItemKind.SLA_BREACH,
            f"sla:{row.id}",
            row.owner_id,
            row.customer_id,
            today,
            _("ticket {ticket} missed its {clock} time ({due:%Y-%m-%d %H:%M} UTC)").format(
                ticket=row.ticket_id,
                clock=_("first response") if row.clock == "first_response" else _("resolution"),
                due=row.due,
            ),
        )
        for row in rows
    ]


def answer(
    session: Session, item_id: int, reason: ReasonCode, explanation: str
) -> AccountabilityItem:
    """The owner's reason code and explanation; allowed while open or sent back for action."""
    item = _get(session, item_id)
    if item.status not in (ItemStatus.OPEN, ItemStatus.ACTION_REQUIRED):
        raise ItemError(
            _("item {id} is {status}; only open items or items sent back can be answered").format(
                id=item_id, status=ItemStatus(item.status).label(current_language())
            )
        )
    if not explanation.strip():
        raise ItemError(_("an answer needs an explanation"))
    item.reason_code = reason
    item.explanation = explanation.strip()
    item.answered_at = utcnow()
    item.status = ItemStatus.ANSWERED
    return item


def review(
    session: Session, item_id: int, accept: bool, reviewer: str, note: str | None
) -> AccountabilityItem:
    """The manager accepts the answer or sends it back with the action required."""
    item = _get(session, item_id)
    if item.status != ItemStatus.ANSWERED:
        raise ItemError(_("item {id} has no answer to review yet").format(id=item_id))
    if not accept and not (note or "").strip():
        raise ItemError(_("say which action is required"))
    item.status = ItemStatus.ACCEPTED if accept else ItemStatus.ACTION_REQUIRED
    item.reviewer = reviewer
    item.review_note = (note or "").strip() or None
    item.reviewed_at = utcnow()
    return item


def _get(session: Session, item_id: int) -> AccountabilityItem:
    item = session.get(AccountabilityItem, item_id)
    if item is None:
        raise ItemError(_("no accountability item {id}").format(id=item_id))
    return item
