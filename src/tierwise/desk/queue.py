"""The contact queue: identify the caller, queue by tier, take the next, call back who gave up.

Order: the lane first (0 green channel, 1 normal, 2 last = blacklist), then the tier's rank within
the lane, then first come first served. On PostgreSQL agents take contacts with
`FOR UPDATE SKIP LOCKED`, so no contact is taken twice and none is skipped for long; SQLite
serialises writers. Every answered contact and every callback is logged on the customer.

Calls the telephony side (or the system) queues are routed: identified among all customers, they
serve the customer to the agent who answers. A person queuing a call by hand is told, and the
queue knows, no more than their own scope: a caller outside it waits as an unknown caller.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, false, func, insert, or_, select, true, update

from tierwise.customers.choices import Direction, InteractionOutcome
from tierwise.customers.models import Contact, Customer, Interaction
from tierwise.customers.phones import phone_key
from tierwise.customers.scopes import customer_filter
from tierwise.db.base import as_utc
from tierwise.desk.models import ContactStatus, QueueContact
from tierwise.i18n import _
from tierwise.identity.access import SYSTEM, Principal
from tierwise.identity.roles import Permission
from tierwise.jobs.cursors import advance_cursor, read_cursor
from tierwise.organisation.choices import InteractionChannel
from tierwise.organisation.rules import OrgRules, ServiceLevel
from tierwise.sales.models import Order
from tierwise.tiering.engine import active_policy
from tierwise.tiering.models import CustomerTier, TierEvent, TierEventKind

LANES = {"green": 0, "normal": 1, "last": 2}
UNKNOWN = ServiceLevel(answer_seconds=60, answer_target=0.8)
"""How an unknown caller is served: normal lane, after every known tier."""


@dataclass(frozen=True)
class Caller:
    """Who is calling, as far as the queue can tell, and how their tier is served."""

    caller: str
    customer_id: int | None
    tier: str | None
    lane: int
    priority: int
    level: ServiceLevel
    loyal: bool = False


def identify(
    conn: Connection, rules: OrgRules, caller: str, within: ColumnElement[bool] | None = None
) -> Caller:
    """A customer code, or a phone number of a customer or one of its contacts however it is
    written (customers.phones), among the customers `within` keeps (all by default); else unknown.
    Customers come before contacts; of several with the number, the one recorded first."""
    c, ct, contact = Customer.__table__, CustomerTier.__table__, Contact.__table__
    among = true() if within is None else within
    key = phone_key(caller)
    # One indexed look-up each: the code, a customer's number, then a contact's number.
    found = conn.execute(select(c.c.id).where(c.c.code == caller, among)).scalar()
    if found is None and key is not None:
        found = conn.execute(
            select(c.c.id).where(c.c.phone_key == key, among).order_by(c.c.id).limit(1)
        ).scalar()
    if found is None and key is not None:
        found = conn.execute(
            select(contact.c.customer_id)
            .join(c, c.c.id == contact.c.customer_id)
            .where(contact.c.phone_key == key, among)
            .order_by(contact.c.id)
            .limit(1)
        ).scalar()
    tier = None
    if found is not None:
        tier = conn.execute(select(ct.c.tier).where(ct.c.customer_id == found)).scalar()
    return treatment(conn, rules, caller, found, tier)


def treatment(
    conn: Connection, rules: OrgRules, caller: str, customer_id: int | None, tier: str | None
) -> Caller:
    """How a caller of this tier is served: lane, rank and service level."""
    policy = active_policy(conn)
    order = [t.code for t in policy.policy.tiers] if policy else []
    tier_rules = rules.for_tier(tier)
    level = tier_rules.service if tier_rules else UNKNOWN
    priority = order.index(tier) if tier in order else len(order)
    loyal = _loyal(conn, rules, customer_id)
    return Caller(caller, customer_id, tier, LANES[level.queue], priority, level, loyal)


def _loyal(conn: Connection, rules: OrgRules, customer_id: int | None) -> bool:
    """Whether the customer has bought from us for the years the rules reward with priority."""
    if rules.loyal_after_years is None or customer_id is None:
        return False
    orders = Order.__table__
    first = conn.execute(
        select(func.min(orders.c.order_date)).where(orders.c.customer_id == customer_id)
    ).scalar()
    if first is None:
        return False
    return (dt.datetime.now(dt.UTC).date() - first).days >= 365 * rules.loyal_after_years


def queue_key(
    rules: OrgRules, lane: int, priority: int, arrived: dt.datetime, loyal: bool = False
) -> float:
    """The order within a lane. Without ageing: rank first, then arrival. With `ageing_seconds`
    (normal lane only), each rank is worth that much waiting: a contact that has waited longer
    than the one a rank better by more than `ageing_seconds` goes first; lanes never mix, so
    ageing can never lift a contact above the green channel. A loyal caller counts as having
    arrived `loyal_head_start_seconds` earlier, which never lifts it above a better rank."""
    stamp = arrived.timestamp() - (rules.loyal_head_start_seconds if loyal else 0)
    if rules.ageing_seconds and lane == LANES["normal"]:
        return stamp + priority * rules.ageing_seconds
    return priority * 1e11 + stamp


def enqueue(
    conn: Connection, rules: OrgRules, caller: str, now: dt.datetime, by: Principal = SYSTEM
) -> tuple[int, Caller]:
    """Put an incoming contact in the queue; returns its id and how it is treated. Routed when
    `by` may route calls, else identified only within their scope (see the module's notes)."""
    routed = by.can(Permission.QUEUE_ROUTE)
    who = identify(conn, rules, caller, None if routed else openable(by))
    contact_id = conn.execute(
        insert(QueueContact.__table__)
        .values(
            caller=caller,
            customer_id=who.customer_id,
            tier=who.tier,
            lane=who.lane,
            priority=who.priority,
            queue_key=queue_key(rules, who.lane, who.priority, now, who.loyal),
            answer_seconds=who.level.answer_seconds,
            status=ContactStatus.WAITING,
            arrived_at=now,
            routed=routed,
            entered_by=by.username,
        )
        .returning(QueueContact.__table__.c.id)
    ).scalar_one()
    return int(contact_id), who


def take_next(
    conn: Connection, agent_id: int, now: dt.datetime, memo: str | None = None
) -> dict[str, object] | None:
    """Answer the next contact: best lane, best tier, longest waiting; None when nobody waits."""
    q = QueueContact.__table__
    nxt = (
        select(q.c.id)
        .where(q.c.status == ContactStatus.WAITING)
        .order_by(q.c.lane, q.c.queue_key, q.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    row = (
        conn.execute(
            update(q)
            .where(q.c.id == nxt, q.c.status == ContactStatus.WAITING)
            .values(status=ContactStatus.TAKEN, taken_at=now, taken_by=agent_id, memo=memo)
            .returning(q.c.id, q.c.caller, q.c.customer_id, q.c.tier, q.c.arrived_at)
        )
        .mappings()
        .first()
    )
    if row is None:
        return None
    taken = dict(row)
    if row["customer_id"] is not None:
        taken["interaction_id"] = log_answered(
            conn, row["id"], row["customer_id"], agent_id, now, memo or _("call answered")
        )
    return taken


def log_answered(
    conn: Connection, contact_id: int, customer_id: int, agent_id: int, now: dt.datetime, memo: str
) -> int:
    """Log an answered call on the customer; the contact keeps the entry its wrap-up completes."""
    interaction_id = _log(conn, customer_id, agent_id, now, Direction.INBOUND, memo)
    q = QueueContact.__table__
    conn.execute(update(q).where(q.c.id == contact_id).values(interaction_id=interaction_id))
    return interaction_id


def abandon(
    conn: Connection, rules: OrgRules, contact_id: int, now: dt.datetime
) -> dt.datetime | None:
    """The caller gave up; a callback falls due within the tier's window, if it has one."""
    q = QueueContact.__table__
    row = conn.execute(
        select(q.c.tier, q.c.status, q.c.customer_id).where(q.c.id == contact_id)
    ).first()
    if row is None or row.status != ContactStatus.WAITING:
        raise ValueError(_("contact {id} is not waiting in the queue").format(id=contact_id))
    tier_rules = rules.for_tier(row.tier)
    hours = tier_rules.service.callback_hours if tier_rules else None
    due = now + dt.timedelta(hours=hours) if hours and row.customer_id is not None else None
    conn.execute(
        update(q)
        .where(q.c.id == contact_id)
        .values(status=ContactStatus.ABANDONED, abandoned_at=now, callback_due=due)
    )
    return due


def offer_callbacks(conn: Connection, rules: OrgRules, now: dt.datetime) -> int:
    """Known callers who have waited past their tier's answer threshold leave the queue with a
    callback due within the tier's window, when the tier has one; returns how many."""
    q = QueueContact.__table__
    waiting = conn.execute(
        select(q.c.id, q.c.tier, q.c.arrived_at, q.c.answer_seconds).where(
            q.c.status == ContactStatus.WAITING, q.c.customer_id.is_not(None)
        )
    ).all()
    offered = 0
    for contact_id, tier, arrived, threshold in waiting:
        tier_rules = rules.for_tier(tier)
        hours = tier_rules.service.callback_hours if tier_rules else None
        if hours and (now - as_utc(arrived)).total_seconds() > threshold:
            conn.execute(
                update(q)
                .where(q.c.id == contact_id, q.c.status == ContactStatus.WAITING)
                .values(
                    status=ContactStatus.ABANDONED,
                    abandoned_at=now,
                    callback_due=now + dt.timedelta(hours=hours),
                    memo=_("waited past the threshold: called back instead"),
                    offered_callback=True,
                )
            )
            offered += 1
    return offered


def openable(principal: Principal) -> ColumnElement[bool]:
    """The customers whose file the principal may open (analysts open none)."""
    return false() if principal.pseudonymous else customer_filter(principal)


def visible_code(conn: Connection, principal: Principal, customer_id: int | None) -> str | None:
    """The customer's code if the principal may open its file: a caller's phone number alone
    must not tell whose it is."""
    if customer_id is None:
        return None
    c = Customer.__table__
    return conn.execute(select(c.c.code).where(c.c.id == customer_id, openable(principal))).scalar()


def callbacks_due(
    conn: Connection, within: ColumnElement[bool] | None = None
) -> list[dict[str, object]]:
    """Callbacks not yet made to the customers `within` keeps (all by default), the soonest due
    first, with the customer's summary."""
    q, c, ct = QueueContact.__table__, Customer.__table__, CustomerTier.__table__
    return [
        dict(r)
        for r in conn.execute(
            select(
                q.c.id,
                q.c.callback_due,
                q.c.abandoned_at,
                c.c.code,
                c.c.name,
                c.c.phone,
                ct.c.tier,
                c.c.last_contact_at,
            )
            .join(c, c.c.id == q.c.customer_id)
            .outerjoin(ct, ct.c.customer_id == c.c.id)
            .where(
                q.c.callback_due.is_not(None),
                q.c.callback_done_at.is_(None),
                true() if within is None else within,
            )
            .order_by(q.c.callback_due)
        ).mappings()
    ]


def call_back(
    conn: Connection, contact_id: int, agent_id: int, now: dt.datetime, memo: str
) -> None:
    """Record the callback as made, and log it on the customer."""
    q = QueueContact.__table__
    row = conn.execute(
        select(q.c.customer_id, q.c.callback_due, q.c.callback_done_at).where(q.c.id == contact_id)
    ).first()
    if row is None or row.callback_due is None or row.callback_done_at is not None:
        raise ValueError(_("contact {id} has no callback to make").format(id=contact_id))
    conn.execute(
        update(q).where(q.c.id == contact_id).values(callback_done_at=now, callback_by=agent_id)
    )
    _log(conn, row.customer_id, agent_id, now, Direction.OUTBOUND, memo)


def _log(
    conn: Connection,
    customer_id: int,
    agent_id: int,
    now: dt.datetime,
    direction: Direction,
    memo: str,
) -> int:
    interaction_id = conn.execute(
        insert(Interaction.__table__)
        .values(
            customer_id=customer_id,
            staff_id=agent_id,
            occurred_at=now,
            channel=InteractionChannel.PHONE,
            direction=direction,
            outcome=InteractionOutcome.INFORMED,
            memo=memo,
        )
        .returning(Interaction.__table__.c.id)
    ).scalar_one()
    c = Customer.__table__
    conn.execute(
        update(c)
        .where(c.c.id == customer_id, or_(c.c.last_contact_at.is_(None), c.c.last_contact_at < now))
        .values(last_contact_at=now)
    )
    return int(interaction_id)


def follow_tiers(conn: Connection, rules: OrgRules) -> int:
    """Re-queue waiting contacts of customers whose tier changed: new lane, rank and threshold
    (their place in time is kept); returns how many moved."""
    e = TierEvent.__table__
    after = read_cursor(conn, "service:tier_events")
    changes = conn.execute(
        select(e.c.customer_id, e.c.tier)
        .where(e.c.id > after, e.c.kind == TierEventKind.TIER_CHANGED)
        .order_by(e.c.id)
    ).all()
    latest = conn.execute(select(func.max(e.c.id))).scalar() or after
    moved = sum(requeue(conn, rules, customer, tier) for customer, tier in dict(changes).items())
    advance_cursor(conn, "service:tier_events", latest)
    return moved


def requeue(conn: Connection, rules: OrgRules, customer_id: int, tier: str | None) -> int:
    """Give one customer's waiting contacts the lane, rank and threshold of its tier (their
    place in time is kept); returns how many moved."""
    q = QueueContact.__table__
    who = treatment(conn, rules, "", customer_id, tier)
    waiting = conn.execute(
        select(q.c.id, q.c.arrived_at).where(
            q.c.customer_id == customer_id, q.c.status == ContactStatus.WAITING
        )
    ).all()
    for contact_id, arrived in waiting:
        key = queue_key(rules, who.lane, who.priority, as_utc(arrived), who.loyal)
        conn.execute(
            update(q)
            .where(q.c.id == contact_id)
            .values(
                tier=tier,
                lane=who.lane,
                priority=who.priority,
                queue_key=key,
                answer_seconds=who.level.answer_seconds,
            )
        )
    return len(waiting)
