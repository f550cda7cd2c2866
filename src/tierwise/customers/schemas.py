"""Customer bodies of the HTTP API; personal fields arrive masked for roles without the right."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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
from tierwise.customers.models import GROWTH_RATE_LARGEST
from tierwise.db.base import MAX_AMOUNT
from tierwise.organisation.choices import InteractionChannel
from tierwise.web.types import IsoDate, IsoDateTime

CODE_EXAMPLE = "C000002"


class CustomerOut(BaseModel):
    """A customer in a list: analysts get a pseudonym for code and name and no personal fields."""

    code: str = Field(examples=[CODE_EXAMPLE])
    name: str = Field(examples=["华东精密机械有限公司"])
    kind: CustomerKind
    status: CustomerStatus
    churn_type: ChurnType | None = Field(default=None, description="why it was lost, when known")
    tier: str | None = Field(examples=["A"])
    industry: str | None
    region: str | None
    marketing_type: MarketingType | None = None
    management_class: ManagementClass | None = None
    channel: SalesChannel | None = None
    owner: str | None = Field(description="staff code of the owner", examples=["S001"])
    csr: str | None = Field(description="staff code of the dedicated CSR")
    phone: str | None = Field(
        description="masked unless your role may read it", examples=["138****1234"]
    )
    email: str | None
    address: str | None
    version: int = Field(description="also sent as the ETag; send it back in If-Match to update")
    updated_at: dt.datetime


class ContactOut(BaseModel):
    """A person at the customer; phone and email masked unless your role may read them."""

    code: str
    name: str
    department: str | None
    title: str | None
    phone: str | None
    email: str | None
    is_primary: bool


class ContactIn(BaseModel):
    """A person at the customer to add; `title` is their role there."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    department: str | None = Field(default=None, max_length=100)
    title: str | None = Field(default=None, max_length=100, description="their role")
    phone: str | None = Field(default=None, max_length=50)
    email: str | None = Field(default=None, max_length=200)
    is_primary: bool = Field(default=False, description="replaces the customer's primary")


class ContactUpdate(BaseModel):
    """Fields of a contact to change; leave out what stays, null clears."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    department: str | None = Field(default=None, max_length=100)
    title: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=50)
    email: str | None = Field(default=None, max_length=200)
    is_primary: bool | None = None


class Totals(BaseModel):
    """What the customer has bought, net of returns."""

    orders: int
    revenue: Decimal
    cost: Decimal | None
    returns: Decimal
    first_order: dt.date | None
    last_order: dt.date | None


class TermsOut(BaseModel):
    """The commercial terms of the customer's tier today, and its credit used and left."""

    tier: str
    tier_name: str
    policy_version: int
    discount_percent: float = Field(description="percent off list price")
    category_discounts: dict[str, float] = Field(description="percent off, by product category")
    payment: str = Field(description="prepaid, on_delivery or net: the most the tier allows")
    payment_label: str
    credit_days: int
    credit_limit: Decimal | None = Field(description="none: the tier gives no credit")
    credit_limit_own: bool = Field(description="the customer's own, lower limit applies")
    credit_used: Decimal = Field(description="orders on credit not yet due")
    credit_left: Decimal | None
    lead_time_days: int | None
    delivery_priority: int | None
    benefits: list[str]
    payment_choices: list[tuple[str, str, bool]] = Field(
        description="every way to pay: key, label, whether the tier allows it"
    )


class RewardOut(BaseModel):
    """A reward the customer was given."""

    id: int
    name: str
    value: Decimal | None
    reason: str
    granted_on: dt.date
    expires_on: dt.date | None
    used_on: dt.date | None


class CustomerDetail(CustomerOut):
    """One customer's file: people, purchases, file sections and consents in force, and the
    terms of its tier (none before a tier policy with terms)."""

    contacts: list[ContactOut]
    totals: Totals
    wallet_estimate: Decimal | None = Field(
        default=None,
        description="estimated yearly spend in our category at every supplier (share of wallet)",
    )
    credit_rating: str | None = None
    credit_limit: Decimal | None = None
    acquisition_source: AcquisitionSource | None = None
    referred_by: str | None = Field(default=None, description="code of the referring customer")
    acquired_on: dt.date | None = None
    enterprise_nature: EnterpriseNature | None = None
    asset_scale: Decimal | None = None
    annual_revenue: Decimal | None = None
    growth_rate: Decimal | None = Field(default=None, description="fraction per year")
    potential_demand: Decimal | None = None
    sections: dict[str, dict[str, Any]] = Field(
        description="personal sections are {'masked': true} unless your role may read them"
    )
    consents: dict[str, bool]
    terms: TermsOut | None = None
    rewards: list[RewardOut] = Field(default_factory=list)


def _amount(description: str | None = None) -> Any:
    """An optional amount of money the file holds."""
    return Field(default=None, ge=0, le=MAX_AMOUNT, decimal_places=2, description=description)


class CustomerFields(BaseModel):
    """The fields of the customer file a person sets; leave out what you do not give."""

    model_config = ConfigDict(extra="forbid")
    kind: CustomerKind | None = None
    status: CustomerStatus | None = None
    industry: str | None = Field(default=None, max_length=100)
    region: str | None = Field(default=None, max_length=100)
    marketing_type: MarketingType | None = None
    management_class: ManagementClass | None = None
    channel: SalesChannel | None = None
    credit_rating: str | None = Field(default=None, max_length=8)
    credit_limit: Decimal | None = _amount()
    acquisition_source: AcquisitionSource | None = None
    referred_by: str | None = Field(
        default=None, max_length=64, description="code of the customer who referred this one"
    )
    acquired_on: IsoDate | None = None
    enterprise_nature: EnterpriseNature | None = None
    asset_scale: Decimal | None = _amount()
    annual_revenue: Decimal | None = _amount()
    growth_rate: Decimal | None = Field(
        default=None,
        ge=-GROWTH_RATE_LARGEST,
        le=GROWTH_RATE_LARGEST,
        decimal_places=4,
        description="fraction per year, e.g. 0.12",
    )
    potential_demand: Decimal | None = _amount("estimated yearly purchases")
    wallet_estimate: Decimal | None = _amount(
        "the customer's estimated yearly spend in our category, at every supplier"
    )
    phone: str | None = Field(default=None, max_length=50)
    email: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    churn_type: ChurnType | None = Field(
        default=None,
        description="why the customer was lost, when known; null clears it. The status is "
        "not changed: a customer is lost when its status says churned or the analytics do",
    )


class CustomerIn(CustomerFields):
    """A customer or prospect to add: a prospect unless `status` says otherwise; the code is
    the next of the sequence unless given."""

    code: str | None = Field(default=None, min_length=1, max_length=64, examples=["C900001"])
    name: str = Field(min_length=1, max_length=200)


class CustomerAdded(BaseModel):
    """The customer just added; its file is at the Location header (if your scope covers it)."""

    code: str = Field(examples=["C000301"])
    name: str
    status: CustomerStatus
    owner: str | None = Field(description="staff code of the owner it was given, if any")


class CustomerUpdate(CustomerFields):
    """Fields to change; leave out what stays, null clears. Needs If-Match with the version."""

    name: str | None = Field(default=None, min_length=1, max_length=200)


class InteractionIn(BaseModel):
    """A contact with the customer to log as a memo."""

    occurred_at: IsoDateTime = Field(description="with a time zone, e.g. 2026-11-02T10:00:00+08:00")
    channel: InteractionChannel
    direction: Direction
    outcome: InteractionOutcome | None = None
    memo: str | None = Field(default=None, max_length=5000)
    minutes: float | None = Field(
        default=None, ge=0, le=24 * 60, description="how long it took; priced in cost-to-serve"
    )


class InteractionOut(BaseModel):
    """A logged contact."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    occurred_at: dt.datetime
    channel: InteractionChannel
    direction: Direction
    outcome: InteractionOutcome | None
    memo: str | None
    minutes: float | None


class ConsentIn(BaseModel):
    """A grant or withdrawal of consent for one purpose."""

    purpose: ConsentPurpose
    granted: bool
    source: str = Field(default="api", min_length=1, max_length=50)


class ConsentOut(BaseModel):
    """One consent decision; the latest per purpose is in force."""

    model_config = ConfigDict(from_attributes=True)
    purpose: ConsentPurpose
    granted: bool
    recorded_at: dt.datetime
    source: str
