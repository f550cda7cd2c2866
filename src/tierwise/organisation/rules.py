"""The organisation rules per tier as a TOML document: owners, capacity weights, obligations."""

from __future__ import annotations

import datetime as dt
import tomllib
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tierwise.documents import parse_toml
from tierwise.i18n import _
from tierwise.organisation.choices import InteractionChannel
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
    business_hours: BusinessHours = BusinessHours()
    ageing_seconds: int | None = Field(default=None, ge=1, description="queue ageing, normal lane")
    loyal_after_years: int | None = Field(
        default=None, ge=1, le=100, description="callers buying from us this long go first"
    )
    loyal_head_start_seconds: int = Field(
        default=300, ge=1, le=86_400, description="how far ahead, within their tier"
    )
    departments: list[str] = Field(default=[], description="where a complaint can be assigned")
    macros: list[Macro] = []
    tiers: list[TierRules] = Field(min_length=1)

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
        problems = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()]
        raise RulesError(f"{source_name}: " + "; ".join(problems)) from None
    named = [t.tier for t in rules.tiers] + rules.key_tiers
    named += [tier for macro in rules.macros for tier in macro.tiers]
    unknown = sorted({t for t in named if tier_codes is not None and t not in tier_codes})
    repeated = sorted(
        {t.tier for t in rules.tiers if [r.tier for r in rules.tiers].count(t.tier) > 1}
    )
    if unknown or repeated:
        problems = []
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
