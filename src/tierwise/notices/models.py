"""The outbox of notices to customers: drafted from events, approved by staff, then sent."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from tierwise.db.base import Base, IdMixin, utcnow
from tierwise.db.choices import Choice, choice_column


class NoticeEvent(Choice):
    """What a notice tells the customer."""

    TIER_UP = "tier_up", "Tier raised", "等级提升"
    TIER_DOWN = "tier_down", "Tier lowered", "等级下调"
    DOWNGRADE_AT_RISK = "downgrade_at_risk", "Downgrade at risk", "面临降级"
    REWARD = "reward", "New reward", "新奖励"


class NoticeStatus(Choice):
    """Where a notice is on its way to the customer."""

    DRAFT = "draft", "Draft", "草稿"
    APPROVED = "approved", "Approved", "已批准"
    SENT = "sent", "Sent", "已发送"
    FAILED = "failed", "Not sent", "发送失败"


class Notice(IdMixin, Base):
    """One message to a customer about one event, made once per event (its `source`)."""

    __tablename__ = "notices"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    event: Mapped[NoticeEvent] = mapped_column(choice_column(NoticeEvent))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(60), unique=True, doc="tier_event:ID or reward:ID")
    status: Mapped[NoticeStatus] = mapped_column(
        choice_column(NoticeStatus), default=NoticeStatus.DRAFT, index=True
    )
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(100))
    approved_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]
    channel: Mapped[str | None] = mapped_column(String(40))
