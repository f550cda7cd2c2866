"""What each tier gives: prices, payment and credit, delivery, service and named benefits.

Terms are written in the tier policy under each tier (`[tiers.terms]`), so they are versioned,
simulated and activated together with the conditions that earn them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tierwise.db.choices import Choice
from tierwise.i18n import _

MAX_CREDIT = 10**12  # a trillion yuan: more credit than any customer is ever given
MAX_TERM_DAYS = 720


class Payment(Choice):
    """How a tier's customers may pay, from the strictest to the most generous."""

    PREPAID = "prepaid", "Prepaid", "预付款"
    ON_DELIVERY = "on_delivery", "Payment on delivery", "货到付款"
    NET = "net", "On credit", "账期付款"

    @property
    def generosity(self) -> int:
        """0 for prepaid, 1 on delivery, 2 on credit: a tier allows its own and stricter ones."""
        return list(Payment).index(self)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Benefit(_Strict):
    """A named benefit as the customer reads it, in both languages."""

    zh: str = Field(min_length=1, max_length=100, pattern=r"\S")
    en: str = Field(min_length=1, max_length=100, pattern=r"\S")

    def text(self, language: str) -> str:
        """The benefit in the reader's language."""
        return self.zh if language.startswith("zh") else self.en


class Terms(_Strict):
    """The commercial terms and benefits of one tier."""

    discount_percent: float = Field(default=0, ge=0, lt=100, strict=True)
    category_discounts: dict[str, Annotated[float, Field(strict=True)]] = Field(
        default_factory=dict
    )
    payment: Payment = Payment.PREPAID
    credit_days: int = Field(default=0, ge=0, le=MAX_TERM_DAYS, strict=True)
    credit_limit: int | None = Field(default=None, ge=0, le=MAX_CREDIT, strict=True)
    credit_limit_months: float | None = Field(default=None, gt=0, le=36, strict=True)
    credit_limit_cap: int | None = Field(default=None, ge=0, le=MAX_CREDIT, strict=True)
    credit_limit_min: int | None = Field(default=None, ge=0, le=MAX_CREDIT, strict=True)
    lead_time_days: int | None = Field(default=None, ge=0, le=365, strict=True)
    delivery_priority: int | None = Field(default=None, ge=1, le=100, strict=True)
    benefits: list[Benefit] = Field(default_factory=list, max_length=20)

    @model_validator(mode="after")
    def _consistent(self) -> Terms:
        discounts = [self.discount_percent, *self.category_discounts.values()]
        if any(not 0 <= d < 100 for d in discounts):
            raise ValueError(_("category discounts must be at least 0 and below 100 percent"))
        if any(round(d, 2) != d for d in discounts):
            raise ValueError(_("discounts are percentages with at most two decimals"))
        if self.credit_limit is not None and self.credit_limit_months is not None:
            raise ValueError(_("give credit_limit or credit_limit_months, not both"))
        if self.credit_limit_months is None and (
            self.credit_limit_cap is not None or self.credit_limit_min is not None
        ):
            raise ValueError(_("credit_limit_cap and credit_limit_min bound credit_limit_months"))
        if (self.credit_limit_cap or MAX_CREDIT) < (self.credit_limit_min or 0):
            raise ValueError(_("credit_limit_min is above credit_limit_cap"))
        if self.payment is Payment.NET and self.credit_days == 0:
            raise ValueError(_('payment = "net" needs credit_days (how many days of credit)'))
        if self.payment is not Payment.NET and (self.credit_days or self.gives_credit):
            raise ValueError(_('credit days and credit limits need payment = "net"'))
        return self

    @property
    def gives_credit(self) -> bool:
        """Whether the tier sells on credit up to a limit."""
        return self.credit_limit is not None or self.credit_limit_months is not None

    def discount_for(self, category: str | None) -> float:
        """The discount in percent off list price for a product of `category`."""
        if category is not None and category in self.category_discounts:
            return self.category_discounts[category]
        return self.discount_percent

    def allows(self, payment: Payment) -> bool:
        """Whether a customer on these terms may pay this way."""
        return payment.generosity <= self.payment.generosity

    def credit_limit_for(self, monthly_sales: Decimal) -> Decimal | None:
        """The credit limit for a customer whose average monthly sales are `monthly_sales`;
        None when the tier gives no credit."""
        if self.credit_limit is not None:
            return Decimal(self.credit_limit)
        if self.credit_limit_months is None:
            return None
        limit = (monthly_sales * Decimal(str(self.credit_limit_months))).quantize(Decimal(1))
        limit = max(limit, Decimal(self.credit_limit_min or 0))
        if self.credit_limit_cap is not None:
            limit = min(limit, Decimal(self.credit_limit_cap))
        return limit


def comparison_warnings(ordered: list[tuple[str, Terms | None]]) -> list[str]:
    """Where a higher tier (listed first) gives less than the tier below it: allowed, but
    customers working towards the higher tier would lose by reaching it."""
    warned = []
    given = [(code, terms) for code, terms in ordered if terms is not None]
    for (upper, high), (lower, low) in pairwise(given):
        worse = []
        categories = set(high.category_discounts) | set(low.category_discounts)
        if high.discount_percent < low.discount_percent or any(
            high.discount_for(c) < low.discount_for(c) for c in categories
        ):
            worse.append(_("a smaller discount"))
        if high.payment.generosity < low.payment.generosity:
            worse.append(_("stricter payment"))
        if high.credit_days < low.credit_days:
            worse.append(_("fewer days of credit"))
        if (
            high.credit_limit is not None
            and low.credit_limit is not None
            and high.credit_limit < low.credit_limit
        ):
            worse.append(_("a lower credit limit"))
        if (
            high.lead_time_days is not None
            and low.lead_time_days is not None
            and high.lead_time_days > low.lead_time_days
        ):
            worse.append(_("slower delivery"))
        if worse:
            warned.append(
                _("tiers[{upper}].terms: gives {what} than tier {lower} below it").format(
                    upper=upper, what=", ".join(worse), lower=lower
                )
            )
    return warned


@dataclass(frozen=True)
class TermsInForce:
    """The terms a customer buys on: its tier on the day, under the policy version in force."""

    tier: str
    name_zh: str
    name_en: str
    version: int
    terms: Terms

    def tier_name(self, language: str) -> str:
        """The tier's name in the reader's language."""
        return self.name_zh if language.startswith("zh") else self.name_en


@dataclass(frozen=True)
class OrderAsksTerms:
    """An order about to be recorded asks which tier terms apply to its customer on its date;
    the tier engine answers (as `terms`, a TermsInForce, or nothing without a policy)."""

    customer_id: int
    on: dt.date
