"""What the tier engine keeps: policy versions, each customer's tier and its history, overrides and
the events other capabilities consume."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tierwise.db.base import Base, IdMixin, utcnow
from tierwise.db.choices import Choice, choice_column


class TierReason(Choice):
    """Why a customer's tier changed."""

    NEW = "new", "New", "首次分级"
    UPGRADE = "upgrade", "Upgrade", "升级"
    DOWNGRADE = "downgrade", "Downgrade", "降级"
    MANUAL = "manual", "Manual", "人工调整"
    BLACKLIST = "blacklist", "Blacklist", "列入黑名单"
    EXPIRY = "expiry", "Override expired", "人工调整到期"


class TierEventKind(Choice):
    """What happened, for the service desk and accountability to act on."""

    TIER_CHANGED = "tier_changed", "Tier changed", "等级变更"
    DOWNGRADE_AT_RISK = "downgrade_at_risk", "Downgrade at risk", "面临降级"


class TierPolicy(IdMixin, Base):
    """One version of the tier policy, as written; the active one grades everybody."""

    __tablename__ = "tier_policies"

    version: Mapped[int] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    applied_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    applied_by: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=False)


class TierEvaluation(IdMixin, Base):
    """A policy applied to a snapshot: the population and quota cut-offs explanations refer to."""

    __tablename__ = "tier_evaluations"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("analytics_runs.id", ondelete="CASCADE"), unique=True
    )
    policy_id: Mapped[int] = mapped_column(ForeignKey("tier_policies.id"))
    as_of: Mapped[dt.date] = mapped_column(Date)
    context: Mapped[dict[str, Any]] = mapped_column(JSON)
    distribution: Mapped[dict[str, Any]] = mapped_column(JSON)
    evaluated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class CustomerTier(Base):
    """A customer's tier now, and the downgrade clock running against it."""

    __tablename__ = "customer_tiers"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    tier: Mapped[str] = mapped_column(String(16), index=True)
    since: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[TierReason] = mapped_column(choice_column(TierReason))
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("tier_policies.id"))
    below_since: Mapped[dt.date | None] = mapped_column(Date)
    below_count: Mapped[int] = mapped_column(default=0)
    counted_on: Mapped[dt.date | None] = mapped_column(Date)
    warned_on: Mapped[dt.date | None] = mapped_column(Date)
    upgraded_from: Mapped[str | None] = mapped_column(String(16))


class TierHistory(IdMixin, Base):
    """Every tier a customer has held, from when, under which policy, why, and the evidence."""

    __tablename__ = "tier_history"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    tier: Mapped[str] = mapped_column(String(16))
    previous_tier: Mapped[str | None] = mapped_column(String(16))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("tier_policies.id"))
    reason: Mapped[TierReason] = mapped_column(choice_column(TierReason))
    note: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(String(100))
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TierEvent(IdMixin, Base):
    """A tier change or a coming downgrade; consumers keep the last id they have read."""

    __tablename__ = "tier_events"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[TierEventKind] = mapped_column(choice_column(TierEventKind))
    tier: Mapped[str] = mapped_column(String(16))
    previous_tier: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(20))
    occurs_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class TierOverride(IdMixin, Base):
    """A tier set by hand: fixed, or a floor the customer cannot fall below, until a date."""

    __tablename__ = "tier_overrides"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    tier: Mapped[str] = mapped_column(String(16))
    floor: Mapped[bool] = mapped_column(default=False)
    reason: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    until: Mapped[dt.date | None] = mapped_column(Date)
    ended_on: Mapped[dt.date | None] = mapped_column(Date)


class Reward(IdMixin, Base):
    """A reward granted to a customer by a rule of the tier policy (or by hand): who, what, why,
    when, until when, and when it was used; one per customer, rule and period."""

    __tablename__ = "rewards"
    __table_args__ = (UniqueConstraint("customer_id", "rule", "period"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    rule: Mapped[str] = mapped_column(String(40))
    period: Mapped[str] = mapped_column(String(40), doc="the year, or what makes a grant unique")
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    value: Mapped[Decimal | None]
    reason: Mapped[str] = mapped_column(Text)
    granted_on: Mapped[dt.date] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    used_on: Mapped[dt.date | None] = mapped_column(Date)
    granted_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    def name(self, language: str) -> str:
        """The reward as the customer reads it."""
        return self.name_zh if language.startswith("zh") else self.name_en
