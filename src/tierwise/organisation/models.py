"""The organisation: the people who own and serve customers, their absences, the rules per tier,
and the notifications each of them reads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tierwise.db.base import Base, IdMixin, TimestampMixin, utcnow
from tierwise.db.choices import Choice, choice_column


class StaffRole(Choice):
    """What a staff member does for customers (客户经理制, CSR, sales, agent)."""

    MANAGER = "manager", "Manager", "经理"
    ACCOUNT_MANAGER = "account_manager", "Account manager", "客户经理"
    CSR = "csr", "Customer service representative", "客服代表"
    SALES = "sales", "Sales", "销售"
    AGENT = "agent", "Agent / distributor", "代理商"


class StaffLevel(Choice):
    """Seniority: key accounts go to senior staff, lower tiers to junior staff."""

    SENIOR = "senior", "Senior", "高级"
    JUNIOR = "junior", "Junior", "初级"


class Staff(IdMixin, TimestampMixin, Base):
    """A person in the organisation who can own or serve customers."""

    __tablename__ = "staff"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[StaffRole] = mapped_column(choice_column(StaffRole))
    level: Mapped[StaffLevel] = mapped_column(choice_column(StaffLevel))
    team: Mapped[str | None] = mapped_column(String(100))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    capacity: Mapped[int | None] = mapped_column(doc="most active customers this person can own")
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)


class StaffAbsence(IdMixin, Base):
    """A period a staff member is away: nothing new is assigned to them then."""

    __tablename__ = "staff_absences"

    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200))


class OrgPolicy(IdMixin, Base):
    """A version of the organisation rules per tier (owners, capacity weights, obligations)."""

    __tablename__ = "org_policies"

    version: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    applied_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    applied_by: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=False)


class TaskKind(Choice):
    """What an owner has to do."""

    CALL = "call", "Call", "电话联系"
    VISIT = "visit", "Visit", "上门拜访"
    BUSINESS_REVIEW = "business_review", "Business review", "业务回顾"
    COMPLAINT_FOLLOW_UP = "complaint_follow_up", "Complaint follow-up", "投诉跟进"
    DOWNGRADE_AT_RISK = "downgrade_at_risk", "Downgrade at risk", "降级预警"
    CHURN_RISK = "churn_risk", "P(alive) dropping", "流失风险"
    HANDOVER = "handover", "Hand-over", "客户交接"


class StaffNotification(IdMixin, Base):
    """Something a staff member should know (an SLA about to be missed): its kind and parameters,
    worded in the reader's language when shown; the key raises the same one only once."""

    __tablename__ = "staff_notifications"
    __table_args__ = (UniqueConstraint("recipient_id", "key"),)

    recipient_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    link: Mapped[str | None] = mapped_column(String(300))
    key: Mapped[str] = mapped_column(String(200), doc="what it is about: the same key, once")
    created_at: Mapped[dt.datetime]
    read_at: Mapped[dt.datetime | None]
