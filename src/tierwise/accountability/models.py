"""The organisation and its accountability: staff, absences, owners per customer, tasks from
obligations and events, and accountability items with their review."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tierwise.db.base import Base, IdMixin, Total, utcnow
from tierwise.db.choices import Choice, choice_column
from tierwise.organisation.models import TaskKind


class AssignmentRole(Choice):
    """What a staff member is to a customer."""

    OWNER = "owner", "Owner", "负责人"
    CSR = "csr", "Dedicated CSR", "专属客服"


class AssignmentReason(Choice):
    """Why a customer got (or lost) a staff member."""

    RULE = "rule", "Tier rule", "按等级规则"
    TIER_CHANGE = "tier_change", "Tier change", "等级变更"
    STAFF_UNAVAILABLE = "staff_unavailable", "Staff unavailable", "人员不可用"
    MANUAL = "manual", "Manual", "人工指派"
    BULK = "bulk", "Bulk re-assignment", "批量调整"


class Assignment(IdMixin, Base):
    """Who owned or served a customer, from when to when, and why."""

    __tablename__ = "assignments"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    role: Mapped[AssignmentRole] = mapped_column(choice_column(AssignmentRole))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date | None] = mapped_column(Date)
    reason: Mapped[AssignmentReason] = mapped_column(choice_column(AssignmentReason))
    note: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(100))


class TaskStatus(Choice):
    """Where a task stands."""

    OPEN = "open", "Open", "待办"
    DONE = "done", "Done", "已完成"
    CANCELLED = "cancelled", "Cancelled", "已取消"


class Task(IdMixin, Base):
    """Something an owner must do for a customer by a date (from cadence or from an event)."""

    __tablename__ = "tasks"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    kind: Mapped[TaskKind] = mapped_column(choice_column(TaskKind))
    status: Mapped[TaskStatus] = mapped_column(choice_column(TaskStatus), default=TaskStatus.OPEN)
    opened_on: Mapped[dt.date] = mapped_column(Date, doc="contacts from this day on satisfy it")
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    source: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    done_on: Mapped[dt.date | None] = mapped_column(Date)
    interaction_id: Mapped[int | None] = mapped_column(ForeignKey("interactions.id"))


class ItemKind(Choice):
    """What an owner is held to account for."""

    KEY_ACCOUNT_DOWNGRADED = "key_downgraded", "Key account downgraded", "关键客户降级"
    KEY_ACCOUNT_CHURNED = "key_churned", "Key account churned", "关键客户流失"
    OBLIGATION_OVERDUE = "obligation_overdue", "Obligation overdue", "服务义务逾期"
    SLA_BREACH = "sla_breach", "SLA breach", "服务水平违约"
    COMPLAINT_UNRESOLVED = "complaint_unresolved", "Complaint unresolved", "投诉未解决"


class ItemStatus(Choice):
    """The accountability workflow: the owner answers, the manager reviews."""

    OPEN = "open", "Awaiting the owner's answer", "待负责人说明"
    ANSWERED = "answered", "Awaiting review", "待经理审核"
    ACCEPTED = "accepted", "Accepted", "已接受"
    ACTION_REQUIRED = "action_required", "Action required", "需采取行动"


class ReasonCode(Choice):
    """The owner's reason for what happened (流失类型 and service causes)."""

    DROPPED_BY_US = "dropped_by_us", "Deliberately dropped by us", "我方主动放弃"
    DROPPED_UNINTENTIONALLY = "unintentional", "Dropped unintentionally", "无意流失"
    COMPETITOR = "competitor", "Lured by a competitor", "被竞争对手吸引"
    BARGAIN_HUNTER = "bargain_hunter", "Bargain hunter", "逐利型客户"
    LOST_CONDITION = "lost_condition", "Lost the condition to buy", "失去购买条件"
    WORKLOAD = "workload", "Workload / capacity", "工作量超负荷"
    CUSTOMER_UNREACHABLE = "unreachable", "Customer unreachable", "客户无法联系"
    OTHER = "other", "Other", "其他"


class AccountabilityItem(IdMixin, Base):
    """A missed obligation or lost value traced to its owner; answered, reviewed, never deleted."""

    __tablename__ = "accountability_items"
    __table_args__ = (UniqueConstraint("kind", "source_ref"),)

    kind: Mapped[ItemKind] = mapped_column(choice_column(ItemKind))
    source_ref: Mapped[str] = mapped_column(String(80), doc="what raised it, e.g. task:12")
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    raised_on: Mapped[dt.date] = mapped_column(Date)
    value_at_stake: Mapped[Decimal | None] = mapped_column(Total)
    detail: Mapped[str] = mapped_column(Text)
    status: Mapped[ItemStatus] = mapped_column(choice_column(ItemStatus), default=ItemStatus.OPEN)
    reason_code: Mapped[ReasonCode | None] = mapped_column(choice_column(ReasonCode))
    explanation: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[dt.datetime | None]
    reviewer: Mapped[str | None] = mapped_column(String(100))
    review_note: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[dt.datetime | None]
