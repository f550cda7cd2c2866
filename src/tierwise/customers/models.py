"""Tables of the customer file: customers, their people, file sections, consents, contacts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.engine import Connection
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, Mapper, mapped_column
from sqlalchemy.orm.attributes import get_history

from tierwise.customers.choices import (
    AcquisitionSource,
    ChurnType,
    ConsentPurpose,
    CustomerKind,
    CustomerStatus,
    Direction,
    EnterpriseNature,
    InteractionOutcome,
    ManagementClass,
    MarketingType,
    SalesChannel,
)
from tierwise.customers.phones import KEY_LENGTH, phone_key
from tierwise.customers.profile import ProfileSection
from tierwise.db.base import Base, IdMixin, TimestampMixin, utcnow
from tierwise.db.choices import choice_column
from tierwise.organisation.choices import InteractionChannel

GROWTH_RATE_LARGEST = Decimal("99999.9999")  # what Numeric(9, 4) holds


def _inserted_phone_key(context: DefaultExecutionContext) -> str | None:
    """An inserted row's phone key, from the phone it is inserted with (Core and ORM alike)."""
    return phone_key(context.get_current_parameters().get("phone"))


def phone_key_column() -> Mapped[str | None]:
    """The phone in its one looked-up form (customers.phones); callers are identified by it."""
    return mapped_column(String(KEY_LENGTH), index=True, default=_inserted_phone_key)


class Customer(IdMixin, TimestampMixin, Base):
    """A customer or prospect, keyed for the outside world by its stable `code`."""

    __tablename__ = "customers"

    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[CustomerKind] = mapped_column(choice_column(CustomerKind))
    status: Mapped[CustomerStatus] = mapped_column(
        choice_column(CustomerStatus), default=CustomerStatus.ACTIVE, index=True
    )
    # Classification (分类): objective, stable attributes, kept apart from the value tier.
    industry: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    marketing_type: Mapped[MarketingType | None] = mapped_column(choice_column(MarketingType))
    management_class: Mapped[ManagementClass | None] = mapped_column(choice_column(ManagementClass))
    channel: Mapped[SalesChannel] = mapped_column(
        choice_column(SalesChannel), default=SalesChannel.DIRECT
    )
    credit_rating: Mapped[str | None] = mapped_column(String(8))
    credit_limit: Mapped[Decimal | None]
    acquisition_source: Mapped[AcquisitionSource | None] = mapped_column(
        choice_column(AcquisitionSource)
    )
    referred_by_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    csr_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    acquired_on: Mapped[dt.date | None] = mapped_column(Date)
    churn_type: Mapped[ChurnType | None] = mapped_column(
        choice_column(ChurnType), doc="why it was lost, when known; the status says whether it is"
    )
    # Prospect factors (潜在客户): future value, mostly judged by sales.
    enterprise_nature: Mapped[EnterpriseNature | None] = mapped_column(
        choice_column(EnterpriseNature)
    )
    asset_scale: Mapped[Decimal | None]
    annual_revenue: Mapped[Decimal | None]
    growth_rate: Mapped[Decimal | None] = mapped_column(
        Numeric(9, 4), doc=f"fraction per year, at most {GROWTH_RATE_LARGEST} in size"
    )
    potential_demand: Mapped[Decimal | None] = mapped_column(doc="estimated yearly purchases")
    # Share of wallet (支出份额): the customer's yearly spend in our category, at every supplier.
    wallet_estimate: Mapped[Decimal | None] = mapped_column(
        doc="estimated yearly spend in our category, ours and competitors'"
    )
    # Personal contact data: masked by role, exported and erased on request.
    phone: Mapped[str | None] = mapped_column(String(50))
    phone_key: Mapped[str | None] = phone_key_column()
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500))
    last_contact_at: Mapped[dt.datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    # A class-level mapper directive: SQLAlchemy's typing wrongly declares it an instance variable.
    __mapper_args__: ClassVar[dict[str, Any]] = {"version_id_col": version}  # type: ignore[misc]


class Contact(IdMixin, TimestampMixin, Base):
    """A person at an enterprise customer, and the department they buy for."""

    __tablename__ = "contacts"

    code: Mapped[str] = mapped_column(String(130), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(50))
    phone_key: Mapped[str | None] = phone_key_column()
    email: Mapped[str | None] = mapped_column(String(200))
    is_primary: Mapped[bool] = mapped_column(default=False)


@event.listens_for(Customer, "before_update")
@event.listens_for(Contact, "before_update")
def _keep_phone_key(_mapper: Mapper[Any], _conn: Connection, row: Customer | Contact) -> None:
    """An edited phone (use cases, pages, erasure) carries its key along."""
    if get_history(row, "phone").has_changes():
        row.phone_key = phone_key(row.phone)


class ProfileEntry(IdMixin, TimestampMixin, Base):
    """One section of a customer's file, validated against its schema in customers.profile."""

    __tablename__ = "profile_entries"
    __table_args__ = (UniqueConstraint("customer_id", "section"),)

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    section: Mapped[ProfileSection] = mapped_column(choice_column(ProfileSection))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class Consent(IdMixin, Base):
    """A grant or withdrawal of consent for one purpose; the latest row per purpose is in force."""

    __tablename__ = "consents"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    purpose: Mapped[ConsentPurpose] = mapped_column(choice_column(ConsentPurpose))
    granted: Mapped[bool]
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    source: Mapped[str] = mapped_column(String(50))


class Referral(IdMixin, Base):
    """A customer recommending someone, converted or not: a loyalty signal (推荐数量)."""

    __tablename__ = "referrals"

    referrer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    referred_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    referred_name: Mapped[str] = mapped_column(String(200))
    referred_on: Mapped[dt.date] = mapped_column(Date)


class Interaction(IdMixin, Base):
    """A logged contact with a customer (a memo that keeps the file current)."""

    __tablename__ = "interactions"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"))
    occurred_at: Mapped[dt.datetime]
    channel: Mapped[InteractionChannel] = mapped_column(choice_column(InteractionChannel))
    direction: Mapped[Direction] = mapped_column(choice_column(Direction))
    outcome: Mapped[InteractionOutcome | None] = mapped_column(choice_column(InteractionOutcome))
    memo: Mapped[str | None] = mapped_column(Text)
    minutes: Mapped[float | None] = mapped_column(
        Float, doc="how long it took, when logged; cost-to-serve prices it by channel"
    )
