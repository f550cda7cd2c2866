"""The contact queue: every incoming contact, its priority by tier, and what became of it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tierwise.db.base import Base, IdMixin
from tierwise.db.choices import Choice, choice_column


class ContactStatus(Choice):
    """Where a queued contact stands."""

    WAITING = "waiting", "Waiting", "排队中"
    TAKEN = "taken", "Answered", "已接听"
    ABANDONED = "abandoned", "Abandoned", "已放弃"


class QueueContact(IdMixin, Base):
    """A contact in the queue: who (if known), its tier's treatment, and its timeline."""

    __tablename__ = "queue_contacts"
    __table_args__ = (Index("ix_queue_contacts_next", "status", "lane", "priority", "arrived_at"),)

    caller: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    tier: Mapped[str | None] = mapped_column(String(16))
    lane: Mapped[int] = mapped_column(doc="0 green channel, 1 normal, 2 last (blacklist)")
    priority: Mapped[int] = mapped_column(doc="the tier's rank within the lane; lower first")
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
