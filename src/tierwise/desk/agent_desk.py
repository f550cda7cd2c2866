"""What the agent's desk shows: who waits and for how long, the call in hand with the caller's
card (tier, first or repeat buyer, open tickets, last contacts, a callback owed), callbacks due
and the agent's own open tickets."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from tierwise.customers.choices import CustomerStatus, Direction, InteractionOutcome
from tierwise.customers.models import Customer, Interaction
from tierwise.customers.reads import audit_read, scoped_customers
from tierwise.customers.scopes import customer_filter, masked, shown
from tierwise.db.base import as_utc
from tierwise.db.session import UnitOfWork
from tierwise.desk import queue, warnings
from tierwise.desk.calls import calls_in_hand
from tierwise.desk.entitlements import Balance, balances
from tierwise.desk.models import ContactStatus, QueueContact, Ticket
from tierwise.desk.workflow import TicketKind, TicketStatus
from tierwise.i18n import N_, _, current_language
from tierwise.identity.access import Principal, require
from tierwise.identity.roles import Permission
from tierwise.organisation.choices import InteractionChannel
from tierwise.organisation.service import active_rules
from tierwise.sales.models import Order
from tierwise.tiering.engine import active_policy
from tierwise.tiering.explain import tier_name
from tierwise.tiering.models import CustomerTier

SHOWN = 50
LAST_CONTACTS = 5
LANE_NAMES = (N_("green channel"), N_("normal"), N_("last"))


@dataclass(frozen=True)
class Waiting:
    """A caller in the queue as the agent sees them: number masked by role, seconds waited."""

    id: int
    caller: str
    tier: str | None
    tier_name: str
    lane: str
    waited_seconds: int


@dataclass
class CallerCard:
    """The call in hand and who is calling, as far as the agent may know."""

    contact_id: int
    caller: str
    answered_at: dt.datetime
    waited_seconds: int
    code: str | None = None
    name: str | None = None
    tier: str | None = None
    tier_name: str = ""
    status: str = ""
    buyer: str = ""
    callback_due: dt.datetime | None = None
    open_tickets: list[dict[str, Any]] = field(default_factory=list)
    last_contacts: list[dict[str, Any]] = field(default_factory=list)
    entitlements: list[Balance] = field(default_factory=list)


@dataclass(frozen=True)
class DeskView:
    """The whole desk for one agent at one moment."""

    waiting: list[Waiting]
    waiting_total: int
    card: CallerCard | None  # the latest call in hand; the others wait their turn
    more_in_hand: int
    callbacks: list[dict[str, Any]]
    my_tickets: list[dict[str, Any]]
    sla_warnings: list[dict[str, Any]]


def lane_name(lane: int) -> str:
    """A queue lane in the interface language."""
    return _(LANE_NAMES[lane]) if 0 <= lane < len(LANE_NAMES) else str(lane)


def buyer_words(orders: int) -> str:
    """First-time or repeat buyer, as the agent greets them."""
    if orders == 0:
        return _("has not bought yet")
    if orders == 1:
        return _("first-time buyer")
    return _("repeat buyer: {n} orders").format(n=orders)


def _names(conn: Connection) -> Any:
    """A function naming tiers by the policy in force."""
    active = active_policy(conn)
    return (lambda code: tier_name(active.policy, code)) if active else (lambda code: code or "—")


def waiting_now(conn: Connection, principal: Principal, now: dt.datetime) -> list[Waiting]:
    """Who waits, in the order agents will take them, with how long they have waited."""
    q = QueueContact.__table__
    named = _names(conn)
    rows = conn.execute(
        select(q.c.id, q.c.caller, q.c.tier, q.c.lane, q.c.arrived_at)
        .where(q.c.status == ContactStatus.WAITING)
        .order_by(q.c.lane, q.c.queue_key, q.c.id)
        .limit(SHOWN)
    ).all()
    return [
        Waiting(
            r.id,
            shown(principal, "phone", r.caller),
            r.tier,
            named(r.tier) if r.tier else _("unknown caller"),
            lane_name(r.lane),
            max(int((now - as_utc(r.arrived_at)).total_seconds()), 0),
        )
        for r in rows
    ]


def caller_card(
    uow: UnitOfWork, principal: Principal, zone: str, now: dt.datetime, contact_id: int
) -> CallerCard:
    """The card of a call in the agent's hand; a customer out of the agent's scope stays unknown."""
    conn = uow.connection
    q = QueueContact.__table__
    call = conn.execute(select(q).where(q.c.id == contact_id)).mappings().one()
    taken = as_utc(call["taken_at"])
    card = CallerCard(
        contact_id,
        shown(principal, "phone", call["caller"]),
        taken,
        max(int((taken - as_utc(call["arrived_at"])).total_seconds()), 0),
    )
    code = queue.visible_code(conn, principal, call["customer_id"])
    if code is None:
        if call["customer_id"] is not None:  # queued by hand, by someone who may see more
            card.caller = masked("phone", call["caller"])
        return card
    customer_id = int(call["customer_id"])
    c = Customer.__table__
    who = conn.execute(select(c.c.name, c.c.status).where(c.c.id == customer_id)).one()
    language = current_language()
    card.code, card.name, card.tier = code, who.name, call["tier"]
    card.tier_name = _names(conn)(call["tier"]) if call["tier"] else _("no tier")
    card.status = CustomerStatus(who.status).label(language)
    orders = conn.execute(select(func.count()).where(Order.customer_id == customer_id)).scalar()
    card.buyer = buyer_words(int(orders or 0))
    card.callback_due = conn.execute(
        select(func.min(q.c.callback_due)).where(
            q.c.customer_id == customer_id,
            q.c.callback_due.is_not(None),
            q.c.callback_done_at.is_(None),
        )
    ).scalar()
    card.entitlements = balances(conn, active_rules(conn), zone, customer_id, now)
    t = Ticket.__table__
    card.open_tickets = [
        {
            "id": r.id,
            "subject": r.subject,
            "kind": TicketKind(r.kind).label(language),
            "status": TicketStatus(r.status).label(language),
            "due": as_utc(r.resolution_due),
        }
        for r in conn.execute(
            select(t.c.id, t.c.subject, t.c.kind, t.c.status, t.c.resolution_due)
            .where(t.c.customer_id == customer_id, t.c.status != TicketStatus.CLOSED)
            .order_by(t.c.priority, t.c.resolution_due)
        )
    ]
    i = Interaction.__table__
    card.last_contacts = [
        {
            "at": as_utc(r.occurred_at),
            "channel": InteractionChannel(r.channel).label(language),
            "direction": Direction(r.direction).label(language),
            "outcome": InteractionOutcome(r.outcome).label(language) if r.outcome else "",
            "memo": r.memo or "",
        }
        for r in conn.execute(
            select(i.c.occurred_at, i.c.channel, i.c.direction, i.c.outcome, i.c.memo)
            .where(i.c.customer_id == customer_id)
            .order_by(i.c.occurred_at.desc(), i.c.id.desc())
            .limit(LAST_CONTACTS)
        )
    ]
    return card


def find_caller(uow: UnitOfWork, principal: Principal, text: str) -> list[dict[str, Any]]:
    """Customers in the agent's scope a caller may be: by number however written, code or name."""
    conn = uow.connection
    within = queue.openable(principal)
    ids: list[int] = []
    by_number = queue.identify(conn, active_rules(conn), text, within).customer_id
    if by_number is not None:
        ids.append(by_number)
    if not principal.pseudonymous:
        query = scoped_customers(uow, principal, search=text).with_only_columns(Customer.id)
        ids += [i for i in conn.execute(query.order_by(Customer.code).limit(10)).scalars()]
    c, ct = Customer.__table__, CustomerTier.__table__
    named = _names(conn)
    rows = conn.execute(
        select(c.c.id, c.c.code, c.c.name, ct.c.tier)
        .outerjoin(ct, ct.c.customer_id == c.c.id)
        .where(c.c.id.in_(ids))
    ).all()
    order = {customer_id: place for place, customer_id in reversed(list(enumerate(ids)))}
    return [
        {"code": r.code, "name": r.name, "tier": named(r.tier) if r.tier else _("no tier")}
        for r in sorted(rows, key=lambda r: order[r.id])
    ]


def my_tickets(conn: Connection, principal: Principal, agent_id: int) -> list[dict[str, Any]]:
    """The open tickets assigned to the agent of customers in their scope, most urgent first."""
    t, c = Ticket.__table__, Customer.__table__
    language = current_language()
    return [
        {
            "id": r.id,
            "code": r.code,
            "subject": r.subject,
            "tier": r.tier,
            "status": TicketStatus(r.status).label(language),
            "due": as_utc(r.resolution_due),
        }
        for r in conn.execute(
            select(t.c.id, c.c.code, t.c.subject, t.c.tier, t.c.status, t.c.resolution_due)
            .join(c, c.c.id == t.c.customer_id)
            .where(
                t.c.assignee_id == agent_id,
                t.c.status != TicketStatus.CLOSED,
                customer_filter(principal),
            )
            .order_by(t.c.priority, t.c.resolution_due)
            .limit(SHOWN)
        )
    ]


def desk_view(uow: UnitOfWork, principal: Principal, zone: str, now: dt.datetime) -> DeskView:
    """The agent's desk; reading callers' numbers is audited like any read of personal data."""
    require(principal, Permission.QUEUE_WORK)
    conn = uow.connection
    agent = principal.staff_id
    held = calls_in_hand(conn, agent) if agent else []
    card = caller_card(uow, principal, zone, now, held[0]) if held else None
    waiting = waiting_now(conn, principal, now)
    total = conn.execute(
        select(func.count()).where(QueueContact.status == ContactStatus.WAITING)
    ).scalar()
    callbacks = [
        {**c, "phone": shown(principal, "phone", c["phone"])}
        for c in queue.callbacks_due(conn, queue.openable(principal))[:SHOWN]
    ]
    read = [str(c["code"]) for c in callbacks] + ([card.code] if card and card.code else [])
    audit_read(uow.session, principal, read, ["phone"])
    mine = my_tickets(conn, principal, agent) if agent else []
    alerts = warnings.open_warnings(conn, agent)
    more = max(len(held) - 1, 0)
    return DeskView(waiting, int(total or 0), card, more, callbacks, mine, alerts)
