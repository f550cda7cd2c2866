"""The knobs of a recompute, with defaults a manager can defend; stored with every run."""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from tierwise.documents import parse_toml
from tierwise.i18n import _
from tierwise.organisation.choices import InteractionChannel

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


CHANNELS = tuple(channel.value for channel in InteractionChannel)
# The kinds of cost, each a snapshot column `cost_<kind>`; their sum is `cost_to_serve`.
COST_KINDS = ("contacts", "visits", "tickets", "complaints", "returns", "credit", "rewards")
# What upper capabilities report per customer as service events (desk: tickets and complaints;
# tiering: rewards granted, at their value).
EVENT_KINDS = ("ticket", "complaint", "reward")


@dataclass(frozen=True)
class CostRates:
    """Unit costs in yuan (the `[costs]` table of the analytics parameters); defaults are a
    starting point a finance team replaces with its own figures."""

    per_minute: dict[str, float] = field(
        default_factory=lambda: {
            "phone": 1.5,
            "visit": 3.0,
            "email": 1.0,
            "wechat": 1.0,
            "meeting": 3.0,
            "other": 1.0,
        }
    )
    # Minutes a contact is costed at when none were logged with it.
    minutes: dict[str, float] = field(
        default_factory=lambda: {
            "phone": 6.0,
            "visit": 120.0,
            "email": 5.0,
            "wechat": 5.0,
            "meeting": 60.0,
            "other": 5.0,
        }
    )
    ticket: float = 60.0
    complaint: float = 200.0
    return_handled: float = 40.0
    credit_rate: float = 0.06  # a year's cost of the money customers owe us on credit

    def __post_init__(self) -> None:
        for name in ("per_minute", "minutes"):
            table = getattr(self, name)
            unknown = sorted(set(table) - set(CHANNELS))
            if unknown:
                raise ValueError(
                    _("[costs] {table}: unknown channel {value}; known: {known}").format(
                        table=name, value=", ".join(unknown), known=", ".join(CHANNELS)
                    )
                )
            for channel, value in table.items():
                _check_amount(f"{name}.{channel}", value)
        for name in ("ticket", "complaint", "return_handled", "credit_rate"):
            _check_amount(name, getattr(self, name))

    def rate(self, channel: str) -> float:
        """Yuan per minute of a contact on this channel (0 when not priced)."""
        return float(self.per_minute.get(channel, 0.0))

    def default_minutes(self, channel: str) -> float:
        """Minutes of a contact on this channel logged without its duration."""
        return float(self.minutes.get(channel, 0.0))


def _check_amount(name: str, value: Any) -> None:
    """A unit cost is a number of yuan, zero or more."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(
            _("[costs] {name}: {value!r} is not an amount of zero or more").format(
                name=name, value=value
            )
        )


def rates_from(table: Any) -> CostRates:
    """The `[costs]` table of a parameters file as unit costs, refusing unknown keys."""
    if not isinstance(table, dict):
        raise ValueError(_("[costs] must be a table of unit costs"))
    known = {f.name for f in fields(CostRates)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ValueError(
            _("[costs]: unknown setting {value}; known: {known}").format(
                value=", ".join(unknown), known=", ".join(sorted(known))
            )
        )
    values = dict(table)
    for name in ("per_minute", "minutes"):
        if name in values:
            if not isinstance(values[name], dict):
                raise ValueError(_("[costs] {name} is a table by channel").format(name=name))
            values[name] = {**getattr(CostRates(), name), **values[name]}
    return CostRates(**values)


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
    costs: CostRates = field(default_factory=CostRates)

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
    if "costs" in data:
        try:
            data["costs"] = rates_from(data["costs"])
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from exc
    if "abc_cutoffs" in data:
        data["abc_cutoffs"] = tuple(float(c) for c in data["abc_cutoffs"])
    try:
        return AnalyticsParams(**{"time_unit": time_unit, "periods": periods, **data})
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
