"""Loyalty rewards as rules of the tier policy (`[[rewards]]`): what long-standing, faithful and
referring customers are given, to whom, how often, and for how long."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tierwise.i18n import _


class RewardRule(BaseModel):
    """One reward rule.

    `tenure`: customers of `tiers` (all tiers when empty) with at least `min_years` since their
    first purchase, once a year. `anniversary`: the same, in the month of the anniversary of
    their acquisition. `referral`: the referrer of a customer whose first order is recorded, once
    per referred customer.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    code: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
    zh: str = Field(min_length=1, max_length=100)
    en: str = Field(min_length=1, max_length=100)
    kind: Literal["tenure", "anniversary", "referral"]
    tiers: list[str] = Field(default_factory=list, max_length=20)
    min_years: int = Field(default=0, ge=0, le=100, strict=True)
    valid_days: int | None = Field(default=None, ge=1, le=3660, strict=True)
    value: int | None = Field(default=None, ge=0, le=10**9, strict=True)

    @model_validator(mode="after")
    def _consistent(self) -> RewardRule:
        if self.kind == "referral" and self.min_years:
            raise ValueError(_("a referral reward takes no min_years"))
        return self

    def name(self, language: str) -> str:
        """The reward as the customer reads it."""
        return self.zh if language.startswith("zh") else self.en

    def covers(self, tier: str | None) -> bool:
        """Whether customers of `tier` may earn it."""
        return not self.tiers or tier in self.tiers
