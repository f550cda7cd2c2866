"""The knobs of a recompute, with defaults a manager can defend; stored with every run."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from tierwise.documents import parse_toml
from tierwise.i18n import _

TimeUnit = Literal["day", "week"]
DAYS_PER_UNIT = {"day": 1, "week": 7}
# How purchase dates become the models' clock: "continuous" measures days and expresses them in
# the time unit (days / 7 for weeks), as the buy-till-you-die literature does; "calendar" counts
# whole Monday–Sunday weeks, as pandas' weekly periods do.
Periods = Literal["continuous", "calendar"]
PERIODS: tuple[Periods, ...] = ("continuous", "calendar")
DAYS_PER_MONTH = 365.25 / 12
# The model behind P(alive), expected purchases and CLV (`[models] purchase` in the TOML file);
# every run fits the others beside it for comparison.
PurchaseModel = Literal["bg_nbd", "pareto_nbd", "mbg_nbd"]
PURCHASE_MODELS: tuple[PurchaseModel, ...] = ("bg_nbd", "pareto_nbd", "mbg_nbd")


@dataclass(frozen=True)
class RfmRule:
    """A named RFM segment: the R and F score ranges it covers (inclusive)."""

    segment: str
    r: tuple[int, int]
    f: tuple[int, int]


# First match wins; together they cover all 25 (R, F) cells, so every buyer gets a segment.
DEFAULT_RFM_RULES = (
    RfmRule("champions", (4, 5), (4, 5)),
    RfmRule("cant_lose_them", (1, 1), (4, 5)),
    RfmRule("at_risk", (1, 2), (3, 5)),
    RfmRule("loyal", (3, 3), (3, 5)),
    RfmRule("potential_loyalist", (4, 5), (2, 3)),
    RfmRule("new", (5, 5), (1, 1)),
    RfmRule("promising", (4, 4), (1, 1)),
    RfmRule("need_attention", (3, 3), (2, 2)),
    RfmRule("about_to_sleep", (2, 3), (1, 2)),
    RfmRule("lost", (1, 1), (1, 2)),
)


@dataclass(frozen=True)
class AnalyticsParams:
    """Everything a run depends on besides the facts and the as-of date."""

    time_unit: TimeUnit = "day"
    periods: Periods = "continuous"
    horizon_months: int = 12
    annual_discount_rate: float = 0.10
    abc_basis: Literal["profit", "revenue"] = "profit"
    abc_cutoffs: tuple[float, float, float] = (0.5, 0.8, 0.95)
    top_share: float = 0.2
    category_high_margin: float = 0.30
    category_no_profit_band: float = 0.02
    promoter_nps: int = 8
    repeat_high_f_score: int = 3
    churn_p_alive: float = 0.2
    purchase_model: PurchaseModel = "bg_nbd"
    rfm_rules: tuple[RfmRule, ...] = field(default=DEFAULT_RFM_RULES)

    def __post_init__(self) -> None:
        if self.time_unit not in DAYS_PER_UNIT:
            raise ValueError(
                _("time_unit: {value!r} is not one of {known}").format(
                    value=self.time_unit, known=", ".join(DAYS_PER_UNIT)
                )
            )
        if self.periods not in PERIODS:
            raise ValueError(
                _("periods: {value!r} is not one of {known}").format(
                    value=self.periods, known=", ".join(PERIODS)
                )
            )

        if self.purchase_model not in PURCHASE_MODELS:
            raise ValueError(
                _("[models] purchase: {value!r} is not one of {known}").format(
                    value=self.purchase_model, known=", ".join(PURCHASE_MODELS)
                )
            )

    def as_json(self) -> dict[str, Any]:
        """For storing with the run, so any snapshot says how it was made."""
        return asdict(self)

    @property
    def monthly_discount_rate(self) -> float:
        """The annual rate spread over months, compounding."""
        return float((1 + self.annual_discount_rate) ** (1 / 12) - 1)

    @property
    def unit_days(self) -> int:
        """Days in one time unit of the buy-till-you-die summary."""
        return DAYS_PER_UNIT[self.time_unit]


def load_params(
    path: Path, time_unit: TimeUnit, periods: Periods = "continuous"
) -> AnalyticsParams:
    """Parameters from a TOML file (any field of AnalyticsParams; `[[rfm_rules]]` tables;
    `[models] purchase = "..."` for the purchase model)."""
    try:
        data = parse_toml(path.read_text(encoding="utf-8"), str(path))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: cannot read analytics parameters: {exc}") from exc
    models = data.pop("models", {})
    known = {f.name for f in fields(AnalyticsParams)} - {"purchase_model"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(
            f"{path}: unknown parameters {unknown}; known: {sorted(known | {'models'})}"
        )
    if not isinstance(models, dict) or set(models) - {"purchase"}:
        raise ValueError(f"{path}: [models] takes only purchase = one of {list(PURCHASE_MODELS)}")
    if "purchase" in models:
        data["purchase_model"] = models["purchase"]
    if "rfm_rules" in data:
        try:
            data["rfm_rules"] = tuple(
                RfmRule(
                    str(r["segment"]),
                    (int(r["r"][0]), int(r["r"][1])),
                    (int(r["f"][0]), int(r["f"][1])),
                )
                for r in data["rfm_rules"]
            )
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ValueError(
                f"{path}: each [[rfm_rules]] needs segment, r = [low, high], f = [low, high]"
            ) from exc
    if "abc_cutoffs" in data:
        data["abc_cutoffs"] = tuple(float(c) for c in data["abc_cutoffs"])
    try:
        return AnalyticsParams(**{"time_unit": time_unit, "periods": periods, **data})
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
