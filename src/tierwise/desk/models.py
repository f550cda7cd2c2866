"""The contact centre's records: queued contacts, tickets with their steps, SLA breaches, and the
ledger of service entitlements used."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from tierwise.db.base import Base, IdMixin
from tierwise.db.choices import Choice, choice_column
from tierwise.desk.workflow import TicketKind, TicketStatus
from tierwise.organisation.choices import EntitlementKind


class ContactStatus(Choice):
    """Where a queued contact stands."""

    WAITING = "waiting", "Waiting", "排队中"
    TAKEN = "taken", "Answered", "已接听"
    ABANDONED = "abandoned", "Abandoned", "已放弃"


class QueueContact(IdMixin, Base):
    """A contact in the queue: who (if known), its tier's treatment, and its timeline."""

    __tablename__ = "queue_contacts"
    __table_args__ = (Index("ix_queue_contacts_next", "status", "lane", "queue_key"),)

    caller: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    tier: Mapped[str | None] = mapped_column(String(16))
    lane: Mapped[int] = mapped_column(doc="0 green channel, 1 normal, 2 last (blacklist)")
    priority: Mapped[int] = mapped_column(doc="the tier's rank within the lane; lower first")
    queue_key: Mapped[float] = mapped_column(
        Float, doc="order within the lane: by rank then arrival, or arrival plus rank × ageing"
    )
    answer_seconds: Mapped[int]
    status: Mapped[ContactStatus] = mapped_column(
        choice_column(ContactStatus), default=ContactStatus.WAITING
    )
    arrived_at: Mapped[dt.datetime]
    taken_at: Mapped[dt.datetime | None]
    taken_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    abandoned_at: Mapped[dt.datetime | None]
    callback_due: Mapped[dt.datetime | None]
    callback_done_at: Mapped[dt.datetime | None]
    callback_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    memo: Mapped[str | None] = mapped_column(Text)
    routed: Mapped[bool] = mapped_column(
        default=False,
        server_default=false(),
        doc="identified by the telephony side or the system: only such calls serve a customer",
    )
    entered_by: Mapped[str | None] = mapped_column(String(100), doc="who queued it")
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id"), doc="the customer's log entry of the answered call"
    )
    wrapped_at: Mapped[dt.datetime | None] = mapped_column(
        doc="when the agent finished the call's wrap-up; until then it is the call in hand"
    )
    offered_callback: Mapped[bool] = mapped_column(
        default=False,
        server_default=false(),
        doc="taken out of the queue for a callback after its threshold: not a caller hanging up",
    )


class Ticket(IdMixin, Base):
    """A service request or complaint with its tier's priority and its SLA clocks."""

    __tablename__ = "tickets"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[TicketKind] = mapped_column(choice_column(TicketKind))
    channel: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))
    status: Mapped[TicketStatus] = mapped_column(choice_column(TicketStatus), index=True)
    tier: Mapped[str | None] = mapped_column(String(16))
    priority: Mapped[int] = mapped_column(doc="lane × 100 + tier rank: lower is more urgent")
    department: Mapped[str | None] = mapped_column(String(100))
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id"),
        index=True,
        doc="who works it: the customer's CSR or owner at opening; none is the desk's queue",
    )
    opened_at: Mapped[dt.datetime]
    first_response_due: Mapped[dt.datetime]
    resolution_due: Mapped[dt.datetime]
    first_response_at: Mapped[dt.datetime | None]
    resolved_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]
    paused_since: Mapped[dt.datetime | None]
    paused_seconds: Mapped[float] = mapped_column(Float, default=0.0)


class TicketStep(IdMixin, Base):
    """Every move of a ticket: when, from and to, who, and why."""

    __tablename__ = "ticket_steps"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[dt.datetime]
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)


class SlaBreach(IdMixin, Base):
    """A ticket that missed a clock: raised once per ticket and clock, for accountability."""

    __tablename__ = "sla_breaches"
    __table_args__ = (UniqueConstraint("ticket_id", "clock"),)

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    clock: Mapped[str] = mapped_column(String(20), doc="first_response or resolution")
    due: Mapped[dt.datetime]
    noticed_at: Mapped[dt.datetime]


class EntitlementUse(IdMixin, Base):
    """So much of an entitlement a customer used, when, on which ticket or visit, by whom; a use
    beyond what was left is marked, with the reason when someone chose to go beyond."""

    __tablename__ = "entitlement_uses"
    __table_args__ = (Index("ix_entitlement_uses_customer_kind_at", "customer_id", "kind", "at"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[EntitlementKind] = mapped_column(choice_column(EntitlementKind))
    amount: Mapped[float] = mapped_column(Float)
    at: Mapped[dt.datetime]
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id"), unique=True, doc="the logged visit that used it"
    )
    actor: Mapped[str | None] = mapped_column(String(100))
    beyond_allowance: Mapped[bool] = mapped_column(
        default=False, server_default=false(), doc="more than was left in its period"
    )
    override_reason: Mapped[str | None] = mapped_column(
        Text, doc="why it was granted beyond the allowance"
    )


class TicketComment(IdMixin, Base):
    """A note on a ticket: for the customer (a reply) or internal to the staff."""

    __tablename__ = "ticket_comments"

    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    author: Mapped[str] = mapped_column(String(100))
    at: Mapped[dt.datetime]
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(doc="staff only; otherwise meant for the customer")
