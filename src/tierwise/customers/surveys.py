"""Satisfaction surveys: what customers expected and perceived, and would they recommend us."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from tierwise.db.base import Base, IdMixin
from tierwise.db.choices import Choice


class SatisfactionFactor(Choice):
    """What satisfaction is made of: perceived result against expectation, per factor."""

    COMPANY = "company", "Company", "企业形象"
    PRODUCT = "product", "Product", "产品"
    SERVICE = "service", "Service and system", "服务与体系"
    INTERACTION = "interaction", "Interaction", "沟通互动"
    EMOTION = "emotion", "Emotion", "情感"
    ENVIRONMENT = "environment", "Environment", "环境"


class Survey(IdMixin, Base):
    """One answered satisfaction survey; attitude in the loyalty matrix comes from here only."""

    __tablename__ = "surveys"
    __table_args__ = (
        UniqueConstraint("code"),
        CheckConstraint("nps BETWEEN 0 AND 10", name="nps_range"),
        CheckConstraint("csat BETWEEN 1 AND 5", name="csat_range"),
    )

    code: Mapped[str] = mapped_column(String(130))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    answered_on: Mapped[dt.date] = mapped_column(Date)
    nps: Mapped[int | None] = mapped_column(SmallInteger, doc="0–10: would you recommend us?")
    csat: Mapped[int | None] = mapped_column(SmallInteger, doc="1–5: how satisfied overall")
    company_expected: Mapped[int | None] = mapped_column(SmallInteger)
    company_perceived: Mapped[int | None] = mapped_column(SmallInteger)
    product_expected: Mapped[int | None] = mapped_column(SmallInteger)
    product_perceived: Mapped[int | None] = mapped_column(SmallInteger)
    service_expected: Mapped[int | None] = mapped_column(SmallInteger)
    service_perceived: Mapped[int | None] = mapped_column(SmallInteger)
    interaction_expected: Mapped[int | None] = mapped_column(SmallInteger)
    interaction_perceived: Mapped[int | None] = mapped_column(SmallInteger)
    emotion_expected: Mapped[int | None] = mapped_column(SmallInteger)
    emotion_perceived: Mapped[int | None] = mapped_column(SmallInteger)
    environment_expected: Mapped[int | None] = mapped_column(SmallInteger)
    environment_perceived: Mapped[int | None] = mapped_column(SmallInteger)
