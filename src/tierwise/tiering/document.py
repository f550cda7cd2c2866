"""The tier policy document as written in TOML: tiers, scorecards, quotas and downgrade rules."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tierwise.i18n import _
from tierwise.sales.terms import Terms
from tierwise.tiering.reward_rules import RewardRule

SCORE = "score"
"""What a quota ranks by when it ranks by the policy's scorecard score."""

MAX_DAYS = 3660
"""Ten years: the longest window, grace or history a policy may ask for."""

MAX_TOP_N = 1_000_000_000
"""More places than any customer base has: a larger quota is a typing error."""


MAX_WEIGHT = 1_000_000  # weights are relative; beyond this their products overflow to inf


class _Strict(BaseModel):
    """No unknown keys, no infinite or NaN numbers, and whole numbers written as whole numbers."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Factor(_Strict):
    """One weighted factor of a scorecard, worth 0–100 points.

    Numbers score by `bands` ([at least, points] pairs, the highest band reached counts) or, without
    bands, by percentile rank in the graded population (`higher_is_better = false` turns it round);
    text scores by `points` per value. A missing value scores 0.
    """

    indicator: str
    weight: float = Field(gt=0, le=MAX_WEIGHT)
    bands: list[tuple[float, float]] | None = None
    points: dict[str, float] | None = None
    higher_is_better: bool = True

    @field_validator("bands")
    @classmethod
    def _ascending(
        cls, bands: list[tuple[float, float]] | None
    ) -> list[tuple[float, float]] | None:
        if bands is not None:
            thresholds = [b[0] for b in bands]
            if not bands or thresholds != sorted(set(thresholds)):
                raise ValueError(_("bands must be listed with their thresholds strictly rising"))
            if any(not 0 <= b[1] <= 100 for b in bands):
                raise ValueError(_("band points must be between 0 and 100"))
        return bands

    @field_validator("points")
    @classmethod
    def _points_in_range(cls, points: dict[str, float] | None) -> dict[str, float] | None:
        if points is not None and any(not 0 <= p <= 100 for p in points.values()):
            raise ValueError(_("points must be between 0 and 100"))
        return points

    @property
    def method(self) -> Literal["bands", "points", "percentile"]:
        """How the factor turns a value into points."""
        if self.bands is not None:
            return "bands"
        return "points" if self.points is not None else "percentile"


class Scorecard(_Strict):
    """Weighted factors combined into a 0–100 score."""

    factors: list[Factor] = Field(min_length=1)


class Prospects(Scorecard):
    """How customers without enough history are graded: a scorecard over the prospect factors."""

    min_orders: int = Field(default=1, ge=0, le=1_000_000, strict=True)
    min_days: int = Field(default=90, ge=0, le=MAX_DAYS, strict=True)


class Downgrade(_Strict):
    """When and how far a customer who no longer qualifies goes down."""

    mode: Literal["immediate", "period", "consecutive"] = "period"
    period: Literal["monthly", "quarterly", "yearly"] = "quarterly"
    evaluations: int = Field(default=3, ge=1, le=120, strict=True)
    steps: Literal["one", "fit"] = "one"
    grace_days: int = Field(default=0, ge=0, le=MAX_DAYS, strict=True)
    warn_days: int = Field(default=14, ge=0, le=MAX_DAYS, strict=True)


class Tier(_Strict):
    """One tier: who qualifies (all given criteria must hold), and what it is called."""

    code: str = Field(pattern=r"^[A-Za-z0-9_-]{1,16}$")
    name_zh: str = Field(min_length=1, max_length=50)
    name_en: str = Field(min_length=1, max_length=50)
    rank: int = Field(ge=1, le=100, strict=True)
    when: str | None = None
    min_score: float | None = Field(default=None, ge=0, le=100)
    top_percent: float | None = Field(default=None, gt=0, le=100)
    top_n: int | None = Field(default=None, ge=1, le=MAX_TOP_N, strict=True)
    by: str | None = None
    prospect_min_score: float | None = Field(default=None, ge=0, le=100)
    blacklist: bool = False
    terms: Terms | None = None

    @property
    def has_criteria(self) -> bool:
        """Whether the tier asks anything of a customer graded on value."""
        return any(x is not None for x in (self.when, self.min_score, self.top_percent, self.top_n))

    def name(self, language: str) -> str:
        """The tier's name in the interface language."""
        return self.name_zh if language.startswith("zh") else self.name_en


class Document(_Strict):
    """The policy as written in TOML."""

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    return_window_days: int = Field(default=30, ge=0, le=MAX_DAYS, strict=True)
    downgrade: Downgrade = Downgrade()
    scorecard: Scorecard | None = None
    prospects: Prospects | None = None
    tiers: list[Tier] = Field(min_length=2)
    rewards: list[RewardRule] = Field(default_factory=list, max_length=50)
