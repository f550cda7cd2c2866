"""Why a customer holds its tier and what it lacks for the next one up (服务升级规划)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

from sqlalchemy import Numeric

from tierwise.analytics.labels import indicator_names
from tierwise.analytics.models import CustomerIndicator
from tierwise.i18n import _, current_language
from tierwise.tiering.document import SCORE, Tier
from tierwise.tiering.expressions import Criterion, explain
from tierwise.tiering.grading import PROSPECT
from tierwise.tiering.policy import Policy

RETURN_NOTE = "returned within the return window"
"""The note on a downgrade that undoes a recent upgrade (store writes it, note_text reads it)."""

MONEY_COLUMNS = frozenset(
    {c.name for c in CustomerIndicator.__table__.columns if isinstance(c.type, Numeric)}
    | {"asset_scale", "annual_revenue", "potential_demand", "wallet_estimate"}
)


@dataclass(frozen=True)
class TierCheck:
    """One tier's criteria for one customer."""

    tier: Tier
    passed: bool
    criteria: list[Criterion]


@dataclass(frozen=True)
class Explanation:
    """The customer's tier, the grade behind it, and the checks of its tier and the next up."""

    tier: str | None
    qualified: str
    basis: str
    score: float | None
    as_of: dt.date
    version: int
    checks: list[TierCheck]
    prospect: bool = False
    """No order yet: graded on the prospect scorecard, held apart from the tiers."""

    def next_up(self, policy: Policy) -> TierCheck | None:
        """The check of the tier just above the qualified one, if there is one."""
        codes = [t.code for t in policy.value_tiers]
        at = codes.index(self.qualified) if self.qualified in codes else 0
        return next((c for c in self.checks if c.tier.code == codes[at - 1]), None) if at else None


def tier_checks(
    policy: Policy,
    values: Mapping[str, object],
    as_of: dt.date,
    context: Mapping[str, object],
    basis: str,
    score: float | None,
) -> list[TierCheck]:
    """Every value tier's criteria for a customer whose evidence is `values`."""
    cutoffs = context.get("cutoffs", {})
    assert isinstance(cutoffs, Mapping)
    checks = []
    for tier in policy.value_tiers:
        criteria = _criteria(policy, tier, values, as_of, cutoffs, basis, score)
        checks.append(TierCheck(tier, all(c.passed for c in criteria), criteria))
    return checks


def _criteria(
    policy: Policy,
    tier: Tier,
    values: Mapping[str, object],
    as_of: dt.date,
    cutoffs: Mapping[str, object],
    basis: str,
    score: float | None,
) -> list[Criterion]:
    if basis == PROSPECT:
        if tier.prospect_min_score is None:
            if tier is policy.value_tiers[-1]:
                return []
            return [Criterion(_("prospects do not reach this tier"), False)]
        return [_at_least(_("prospect score"), "prospect_score", score, tier.prospect_min_score)]
    criteria: list[Criterion] = []
    node = policy.conditions.get(tier.code)
    if node is not None:
        criteria += explain(node, {k: values.get(k) for k in policy.indicators()}, as_of)
    if tier.min_score is not None:
        criteria.append(_at_least(_("score"), "score", score, tier.min_score))
    if tier.by is not None:
        key = score if tier.by == SCORE else values.get(tier.by)
        cutoff = cutoffs.get(tier.code)
        size = f"{tier.top_percent:g}%" if tier.top_percent is not None else str(tier.top_n)
        by = _("tier score") if tier.by == SCORE else subject_name(tier.by)
        text = _("top {size} by {by}").format(size=size, by=by)
        criteria.append(replace(_at_least(text, tier.by, key, cutoff), label=text))
    return criteria


def _at_least(text: str, subject: str, value: object, threshold: object) -> Criterion:
    number = float(value) if isinstance(value, int | float | Decimal) else None
    limit = float(threshold) if isinstance(threshold, int | float | Decimal) else None
    passed = number is not None and limit is not None and number >= limit
    gap = limit - number if not passed and number is not None and limit is not None else None
    return Criterion(text, passed, subject, ">=", number, limit, gap)


def shown_value(subject: str | None, value: object) -> str:
    """A criterion's value as read: money with ¥, shares as %, nothing as "—"."""
    if value is None:
        return "—"
    if isinstance(value, list):
        return ", ".join(shown_value(subject, v) for v in value)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    number = float(value)
    if subject in MONEY_COLUMNS:
        return f"¥{number:,.0f}" if abs(number) >= 100 else f"¥{number:,.2f}"
    if subject in {"margin", "growth_12m", "growth_rate", "returns_ratio", "p_alive"}:
        return f"{number:.1%}"
    return f"{number:,.2f}".rstrip("0").rstrip(".") if number % 1 else f"{number:,.0f}"


def reads(criterion: Criterion) -> str:
    """A criterion in business words, e.g. "近12个月销售额 ¥2,272，门槛：至少 ¥40,000": the
    indicator by its name, the customer's value and what the tier asks, no policy syntax."""
    if criterion.subject is None or criterion.operator is None:
        return criterion.text
    name = subject_name(criterion.subject)
    value = shown_value(_indicator(criterion.subject), criterion.value)
    threshold = shown_value(_indicator(criterion.subject), criterion.threshold)
    asks = {
        ">=": _("at least {threshold}"),
        ">": _("more than {threshold}"),
        "<=": _("at most {threshold}"),
        "<": _("less than {threshold}"),
        "==": _("exactly {threshold}"),
        "!=": _("anything but {threshold}"),
        "in": _("one of {threshold}"),
        "not in": _("none of {threshold}"),
    }.get(criterion.operator)
    if asks is None:
        return criterion.text
    asked = asks.format(threshold=threshold)
    if criterion.label:
        return _("{label} ({name}: {value}; the cut-off is {asks})").format(
            label=criterion.label, name=name, value=value, asks=asked
        )
    return _("{name}: {value}; the tier asks {asks}").format(name=name, value=value, asks=asked)


def progress(criterion: Criterion) -> float | None:
    """How far the customer is towards an "at least" threshold (0–1), for a progress bar."""
    if criterion.operator not in (">=", ">"):
        return None
    value, threshold = criterion.value, criterion.threshold
    if (
        not isinstance(value, int | float)
        or not isinstance(threshold, int | float)
        or threshold <= 0
    ):
        return None
    return 1.0 if criterion.passed else max(0.0, min(1.0, float(value) / float(threshold)))


def subject_name(subject: str) -> str:
    """What a criterion tests, by its name: an indicator's meaning, the tier score, or the
    indicator inside an expression such as coalesce(credit_rating, "")."""
    names = {**indicator_names(), "score": _("Tier score"), "prospect_score": _("Prospect score")}
    return names.get(_indicator(subject), subject)


def _indicator(subject: str) -> str:
    """The indicator a criterion's subject reads (the first known name in an expression)."""
    known = {*indicator_names(), "score", "prospect_score"}
    if subject in known:
        return subject
    return next(
        (word for word in re.findall(r"[a-z_][a-z0-9_]*", subject) if word in known), subject
    )


def shown_gap(criterion: Criterion) -> str | None:
    """What is missing to pass, e.g. "+¥12,300 近12个月销售额"; None if passed or unknown."""
    if criterion.passed or criterion.gap is None or criterion.subject is None:
        return None
    gap = criterion.gap
    amount = shown_value(criterion.subject, abs(gap))
    sign = "+" if gap >= 0 else "−"
    name = indicator_names().get(criterion.subject, criterion.subject)
    if criterion.operator in (">", "<"):
        return _("more than {gap} in {subject}").format(gap=sign + amount, subject=name)
    return _("{gap} in {subject}").format(gap=sign + amount, subject=name)


def tier_name(policy: Policy, code: str | None) -> str:
    """A tier code with its name in the interface language, e.g. "A 关键客户"."""
    if code is None:
        return "—"
    try:
        return f"{code} {policy.tier(code).name(current_language())}"
    except KeyError:
        return code


def note_text(note: str | None) -> str:
    """A history note as read; the engine's own notes are translated."""
    if note == RETURN_NOTE:
        return _("returns within the return window undid the upgrade")
    return note or ""
