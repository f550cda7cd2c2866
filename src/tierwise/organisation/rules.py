"""The organisation rules per tier as a TOML document: owners, capacity weights, obligations,
service entitlements and the channels tickets may come in by."""

from __future__ import annotations

import datetime as dt
import tomllib
from importlib import resources
from itertools import pairwise
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import PydanticCustomError

from tierwise.documents import parse_toml
from tierwise.i18n import _
from tierwise.organisation.choices import EntitlementKind, EntitlementPeriod, InteractionChannel
from tierwise.organisation.models import StaffLevel, StaffRole, TaskKind

OBLIGATION_CHANNELS: dict[str, tuple[InteractionChannel, ...]] = {
    TaskKind.CALL: (InteractionChannel.PHONE, InteractionChannel.WECHAT),
    TaskKind.VISIT: (InteractionChannel.VISIT,),
    TaskKind.BUSINESS_REVIEW: (InteractionChannel.MEETING,),
}
"""Which logged contacts satisfy each obligation."""


class _Strict(BaseModel):
    """No unknown keys, and no infinite or NaN numbers: `weight = inf` is a typing error."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class OwnerRule(_Strict):
    """Who may own a customer of the tier and how one is picked among them."""

    roles: list[StaffRole] = Field(min_length=1)
    level: StaffLevel | None = None
    team: str | None = None
    pick: Literal["least_loaded", "round_robin"] = "least_loaded"


class Obligation(_Strict):
    """A contact the owner must make every so many days."""

    kind: Literal["call", "visit", "business_review"]
    every_days: int = Field(ge=1, le=3660)


class ServiceLevel(_Strict):
    """How the contact centre serves the tier (DOMAIN.md, "What tiers change")."""

    answer_seconds: int = Field(default=20, ge=1)
    answer_target: float = Field(default=0.85, gt=0, le=1)
    queue: Literal["green", "normal", "last"] = "normal"
    callback_hours: int | None = Field(default=None, ge=1)
    handle_seconds: int = Field(default=240, ge=1, description="average handle time (staffing)")
    first_response_hours: float = Field(default=8, gt=0)
    resolution_hours: float = Field(default=40, gt=0)


class Entitlement(_Strict):
    """So much of a service the tier is entitled to per calendar period."""

    kind: EntitlementKind
    amount: float = Field(gt=0, le=100_000)
    per: EntitlementPeriod


class BusinessHours(_Strict):
    """When SLA clocks run: working days (Monday = 0), hours, holidays, make-up working days."""

    days: list[int] = [0, 1, 2, 3, 4]
    opens: dt.time = dt.time(9)
    closes: dt.time = dt.time(18)
    holidays: list[dt.date] = []
    workdays: list[dt.date] = []


class TierRules(_Strict):
    """The organisation of one tier."""

    tier: str
    owner: OwnerRule | None = None
    service: ServiceLevel = ServiceLevel()
    csr: bool = False
    weight: float = Field(default=1.0, gt=0)
    obligations: list[Obligation] = []
    entitlements: list[Entitlement] = []
    channels: list[InteractionChannel] = Field(
        default=[], description="channels tickets of the tier may come in by; empty: any"
    )

    def entitlement(self, kind: EntitlementKind) -> Entitlement | None:
        """The tier's allowance of one kind; None when the tier is not entitled to it."""
        return next((e for e in self.entitlements if e.kind is kind), None)

    def allows_channel(self, channel: str) -> bool:
        """Whether a ticket of the tier may come in by `channel`."""
        return not self.channels or channel in self.channels


class Macro(_Strict):
    """A canned reply for tickets of some kinds and tiers, with the move it makes, if any."""

    name: str = Field(min_length=1, max_length=100)
    kinds: list[Literal["request", "complaint"]] = Field(min_length=1)
    tiers: list[str] = Field(default=[], description="empty: every tier")
    reply: str = Field(min_length=1, max_length=2000)
    move_to: str | None = Field(default=None, max_length=20, description="a workflow status")


class OrgRules(_Strict):
    """The whole document."""

    name: str = Field(min_length=1, max_length=200)
    tolerance_days: int = Field(default=7, ge=0)
    lookback_days: int = Field(default=90, ge=1)
    key_tiers: list[str] = []
    p_alive_drop: float = Field(default=0.2, gt=0, le=1)
    complaint_days: int = Field(default=14, ge=1)
    handover_days: int = Field(default=7, ge=0)
    green_desk: int = Field(default=0, ge=0, description="agents who answer only the green channel")
    shrinkage: float = Field(
        default=0.3, ge=0, lt=1, description="share of paid time away from calls: breaks, training"
    )
    max_occupancy: float = Field(
        default=0.85, gt=0, le=1, description="the busiest share of time agents are kept on calls"
    )
    business_hours: BusinessHours = BusinessHours()
    ageing_seconds: int | None = Field(default=None, ge=1, description="queue ageing, normal lane")
    loyal_after_years: int | None = Field(
        default=None, ge=1, le=100, description="callers buying from us this long go first"
    )
    loyal_head_start_seconds: int = Field(
        default=300, ge=1, le=86_400, description="how far ahead, within their tier"
    )
    sla_warnings: list[float] = Field(
        default=[0.75, 0.9], description="shares of an SLA target at which staff are warned"
    )
    departments: list[str] = Field(default=[], description="where a complaint can be assigned")
    macros: list[Macro] = []
    tiers: list[TierRules] = Field(min_length=1)

    @field_validator("sla_warnings")
    @classmethod
    def _rising_shares(cls, shares: list[float]) -> list[float]:
        """Warnings come before the breach and each later than the one before."""
        outside = [s for s in shares if not 0 < s < 1]
        if outside:
            raise PydanticCustomError(
                "share",
                _("each warning is a share of the target between 0 and 1 (e.g. 0.75); got {got}"),
                {"got": ", ".join(f"{s:g}" for s in outside)},
            )
        if any(later <= earlier for earlier, later in pairwise(shares)):
            raise PydanticCustomError(
                "rising",
                _("warnings must rise, each above the one before; got {got}"),
                {"got": ", ".join(f"{s:g}" for s in shares)},
            )
        return shares

    def for_tier(self, tier: str | None) -> TierRules | None:
        """The rules of a tier; None when the tier has none (e.g. the blacklist)."""
        return next((t for t in self.tiers if t.tier == tier), None)


class RulesError(ValueError):
    """An organisation document that cannot be applied, with every problem."""


def default_rules_text() -> str:
    """The rules shipped for the demo."""
    files = resources.files("tierwise.organisation")
    return files.joinpath("default_org_policy.toml").read_text("utf-8")


def load_rules(source: str, source_name: str, tier_codes: list[str] | None = None) -> OrgRules:
    """Parse and validate; `tier_codes` (the active tier policy's) must name every tier used."""
    try:
        rules = OrgRules.model_validate(parse_toml(source, source_name))
    except tomllib.TOMLDecodeError as error:
        raise RulesError(f"{source_name}: {error}") from None
    except ValidationError as error:
        raw = parse_toml(source, source_name)
        problems = [f"{_where(raw, e['loc'])}: {e['msg']}" for e in error.errors()]
        raise RulesError(f"{source_name}: " + "; ".join(problems)) from None
    named = [t.tier for t in rules.tiers] + rules.key_tiers
    named += [tier for macro in rules.macros for tier in macro.tiers]
    unknown = sorted({t for t in named if tier_codes is not None and t not in tier_codes})
    repeated = sorted(
        {t.tier for t in rules.tiers if [r.tier for r in rules.tiers].count(t.tier) > 1}
    )
    twice = [
        _("tier {tier}: entitlement {kind} given twice").format(tier=t.tier, kind=kind.value)
        for t in rules.tiers
        for kind in EntitlementKind
        if [e.kind for e in t.entitlements].count(kind) > 1
    ]
    if unknown or repeated or twice:
        problems = list(twice)
        if unknown:
            problems.append(
                _("tiers not in the active tier policy ({known}): {unknown}").format(
                    known=", ".join(tier_codes or []), unknown=", ".join(unknown)
                )
            )
        if repeated:
            problems.append(_("tiers given twice: {tiers}").format(tiers=", ".join(repeated)))
        raise RulesError(f"{source_name}: " + "; ".join(problems))
    return rules


def _where(raw: object, loc: tuple[int | str, ...]) -> str:
    """A problem's place with the tier named by its code, not its position: `tier A: service`."""
    tiers = raw.get("tiers") if isinstance(raw, dict) else None
    if len(loc) >= 2 and loc[0] == "tiers" and isinstance(loc[1], int) and isinstance(tiers, list):
        entry = tiers[loc[1]] if loc[1] < len(tiers) else None
        code = entry.get("tier") if isinstance(entry, dict) else None
        if code is not None:
            rest = ".".join(map(str, loc[2:]))
            return _("tier {tier}").format(tier=code) + (f": {rest}" if rest else "")
    return ".".join(map(str, loc))
