"""Tier policies: a TOML document of ordered tiers, scorecards, quotas and downgrade rules."""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import resources

from pydantic import ValidationError

from tierwise.documents import parse_toml
from tierwise.i18n import _
from tierwise.sales.terms import comparison_warnings
from tierwise.tiering.document import SCORE, Document, Factor, Tier
from tierwise.tiering.expressions import (
    ConditionError,
    Kind,
    check,
    evaluate,
    indicator_schema,
    parse,
)
from tierwise.tiering.nodes import Node, referenced_indicators, suggest

NO_DATE = dt.date(2000, 1, 1)
"""A condition without indicators has no dates either; any day evaluates it."""


class PolicyError(ValueError):
    """A policy that cannot be applied; every problem is listed with where it is."""

    def __init__(self, source_name: str, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            _("{file}: the policy cannot be applied:").format(file=source_name)
            + "".join(f"\n  - {p}" for p in problems)
        )


@dataclass(frozen=True)
class Policy:
    """A validated policy: tiers from the top, parsed conditions, and the text it came from.

    `warnings` name what is allowed but probably not meant, such as a condition that always holds.
    """

    document: Document
    source: str
    warnings: tuple[str, ...] = ()

    @cached_property
    def tiers(self) -> list[Tier]:
        """Tiers from the best (rank 1) to the blacklist."""
        return sorted(self.document.tiers, key=lambda t: (t.blacklist, t.rank))

    @cached_property
    def conditions(self) -> dict[str, Node]:
        """The parsed condition of every tier that has one, by tier code."""
        return {t.code: parse(t.when) for t in self.tiers if t.when}

    @property
    def value_tiers(self) -> list[Tier]:
        """The tiers a customer can reach by value, best first."""
        return [t for t in self.tiers if not t.blacklist]

    @property
    def blacklist(self) -> Tier | None:
        """The tier of blacklisted customers, if the policy has one."""
        return next((t for t in self.tiers if t.blacklist), None)

    def tier(self, code: str) -> Tier:
        """The tier with this code."""
        for tier in self.tiers:
            if tier.code == code:
                return tier
        raise KeyError(code)

    def indicators(self) -> set[str]:
        """Every indicator the policy reads."""
        names = {n for node in self.conditions.values() for n in referenced_indicators(node)}
        for card in (self.document.scorecard, self.document.prospects):
            names |= {f.indicator for f in card.factors} if card else set()
        names |= {t.by for t in self.tiers if t.by and t.by != SCORE}
        if self.document.prospects:
            names |= {"orders", "tenure_days"}
        return names


def default_policy_text() -> str:
    """The policy shipped for the demo (A 关键客户 … D 小客户 and 黑名单)."""
    return resources.files("tierwise.tiering").joinpath("default_policy.toml").read_text("utf-8")


def load_policy(source: str, source_name: str = "policy.toml") -> Policy:
    """Parse and validate a policy document; PolicyError lists every problem found.

    A document over the size, key or nesting limits is refused whole (DocumentRefused).
    """
    try:
        raw = parse_toml(source, source_name)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(source_name, [str(error)]) from None
    try:
        document = Document.model_validate(raw)
    except ValidationError as error:
        raise PolicyError(source_name, [_pydantic_problem(e) for e in error.errors()]) from None
    validator = _Validator(document, source)
    problems = validator.problems()
    if problems:
        raise PolicyError(source_name, problems)
    return Policy(document, source, tuple(validator.warned))


def _pydantic_problem(error: Mapping[str, object]) -> str:
    location = ".".join(str(part) for part in error["loc"])  # type: ignore[attr-defined]
    return f"{location}: {error['msg']}"


class _Validator:
    """The checks no schema can express: conditions, names, reachability, overlapping quotas."""

    def __init__(self, document: Document, source: str) -> None:
        self.document = document
        self.source = source
        self.schema = indicator_schema()
        self.found: list[str] = []
        self.warned: list[str] = []

    def problems(self) -> list[str]:
        tiers = self.document.tiers
        self._unique([t.code for t in tiers], "code")
        self._unique([t.rank for t in tiers], "rank")
        for card, key in (
            (self.document.scorecard, "scorecard"),
            (self.document.prospects, "prospects"),
        ):
            for i, factor in enumerate(card.factors if card else []):
                self._factor(factor, f"{key}.factors[{i}]")
                if key == "prospects" and factor.method == "percentile":
                    self.found.append(
                        _(
                            "prospects.factors[{i}]: prospect factors score by bands or points"
                        ).format(i=i)
                    )
        for tier in tiers:
            self._tier(tier)
        self._order()
        self._unique_rewards()
        ranked = sorted((t for t in tiers if not t.blacklist), key=lambda t: t.rank)
        self.warned += comparison_warnings([(t.code, t.terms) for t in ranked])
        return self.found

    def _unique_rewards(self) -> None:
        codes = {t.code for t in self.document.tiers}
        seen: set[str] = set()
        for i, rule in enumerate(self.document.rewards):
            if rule.code in seen:
                self.found.append(
                    _("rewards[{i}]: the code {code} is used twice").format(i=i, code=rule.code)
                )
            seen.add(rule.code)
            unknown = sorted(set(rule.tiers) - codes)
            if unknown:
                self.found.append(
                    _("rewards[{i}]: no tier {tiers}").format(i=i, tiers=", ".join(unknown))
                )

    def _unique(self, values: list[object], field: str) -> None:
        repeated = sorted({str(v) for v in values if values.count(v) > 1})
        if repeated:
            self.found.append(
                _("tiers: {field} {values} is used by more than one tier").format(
                    field=field, values=", ".join(repeated)
                )
            )

    def _known(self, name: str, where: str, kinds: tuple[Kind, ...]) -> bool:
        if name not in self.schema:
            message = _("unknown indicator {name}").format(name=name)
            self.found.append(f"{where}: " + suggest(message, name, sorted(self.schema)))
            return False
        if self.schema[name] not in kinds:
            self.found.append(
                _("{where}: {name} is {kind}, which cannot be scored or ranked this way").format(
                    where=where, name=name, kind=self.schema[name].shown()
                )
            )
            return False
        return True

    def _factor(self, factor: Factor, where: str) -> None:
        wanted = (Kind.TEXT,) if factor.method == "points" else (Kind.NUMBER,)
        self._known(factor.indicator, f"{where}.indicator", wanted)
        if factor.bands is not None and factor.points is not None:
            self.found.append(_("{where}: give bands or points, not both").format(where=where))

    def _tier(self, tier: Tier) -> None:
        where = f"tiers[{tier.code}]"
        if tier.blacklist and (tier.has_criteria or tier.prospect_min_score is not None):
            self.found.append(
                _("{where}: the blacklist tier is set by hand and takes no criteria").format(
                    where=where
                )
            )
        if tier.when is not None:
            self._condition(tier, where)
        if tier.min_score is not None and self.document.scorecard is None:
            self.found.append(_("{where}: min_score needs a [scorecard]").format(where=where))
        if tier.prospect_min_score is not None and self.document.prospects is None:
            self.found.append(
                _("{where}: prospect_min_score needs a [prospects] scorecard").format(where=where)
            )
        quota = tier.top_percent is not None or tier.top_n is not None
        if tier.top_percent is not None and tier.top_n is not None:
            self.found.append(_("{where}: give top_percent or top_n, not both").format(where=where))
        if quota != (tier.by is not None):
            self.found.append(
                _("{where}: a quota needs both `by` and top_percent or top_n").format(where=where)
            )
        elif tier.by == SCORE and self.document.scorecard is None:
            self.found.append(_('{where}: by = "score" needs a [scorecard]').format(where=where))
        elif tier.by and tier.by != SCORE:
            self._known(tier.by, f"{where}.by", (Kind.NUMBER,))

    def _condition(self, tier: Tier, where: str) -> None:
        assert tier.when is not None
        try:
            node = parse(tier.when)
            check(node, self.schema)
        except ConditionError as error:
            line, column = self._locate(tier, error)
            self.found.append(
                _("{where}.when, line {line}, column {column}: {message}").format(
                    where=where, line=line, column=column, message=error.message
                )
                + "\n"
                + str(error).split("\n", 1)[-1]
            )
            return
        if referenced_indicators(node):
            return
        if evaluate(node, {}, as_of=NO_DATE):
            self.warned.append(
                _("{where}: the condition always holds, so it asks nothing of a customer").format(
                    where=where
                )
            )
        else:
            self.found.append(
                _("{where}: the condition never holds, so the tier is unreachable").format(
                    where=where
                )
            )

    def _locate(self, tier: Tier, error: ConditionError) -> tuple[int, int]:
        """The error's line and column in the policy file (the condition's own when not found)."""
        assert tier.when is not None
        start = self.source.find(f'"{tier.code}"')
        at = self.source.find(tier.when, max(start, 0))
        if at < 0:
            return error.line, error.column
        line = self.source.count("\n", 0, at) + error.line
        if error.line == 1:
            return line, at - (self.source.rfind("\n", 0, at) + 1) + error.column
        return line, error.column

    def _order(self) -> None:
        tiers = sorted(self.document.tiers, key=lambda t: (t.blacklist, t.rank))
        value = [t for t in tiers if not t.blacklist]
        blacklists = [t for t in tiers if t.blacklist]
        if len(blacklists) > 1:
            self.found.append(_("tiers: only one tier can be the blacklist"))
        if blacklists and value and blacklists[0].rank < value[-1].rank:
            self.found.append(
                _("tiers[{code}]: the blacklist tier must rank lowest").format(
                    code=blacklists[0].code
                )
            )
        if len(value) < 2:
            self.found.append(_("tiers: a policy needs at least two tiers graded by value"))
            return
        if value[-1].has_criteria:
            self.found.append(
                _(
                    "tiers[{code}]: the lowest tier takes everyone left and asks nothing; "
                    "remove its criteria or add a tier below"
                ).format(code=value[-1].code)
            )
        for i, tier in enumerate(value[:-1]):
            if not tier.has_criteria:
                below = ", ".join(t.code for t in value[i + 1 :])
                self.found.append(
                    _(
                        "tiers[{code}] asks nothing, so every customer stops there and "
                        "{below} are unreachable"
                    ).format(code=tier.code, below=below)
                )
        self._quotas(value)

    def _quotas(self, value: list[Tier]) -> None:
        """Quotas count from the top of the population, so each must exceed the one above it."""
        previous: dict[tuple[str, str], Tier] = {}
        for tier in value:
            if tier.by is None:
                continue
            size_kind = "percent" if tier.top_percent is not None else "n"
            key = (tier.by, size_kind)
            above = previous.get(key)
            if above is not None and _size(tier) <= _size(above):
                self.found.append(
                    _(
                        "tiers[{code}]: its quota overlaps tier {above}'s: top {size} by {by} "
                        "is not more than the top {above_size} taken above, so the quota can "
                        "never admit anyone"
                    ).format(
                        code=tier.code,
                        above=above.code,
                        size=_shown_size(tier),
                        above_size=_shown_size(above),
                        by=tier.by,
                    )
                )
            previous[key] = tier


def _size(tier: Tier) -> float:
    return tier.top_percent if tier.top_percent is not None else float(tier.top_n or 0)


def _shown_size(tier: Tier) -> str:
    return f"{tier.top_percent:g}%" if tier.top_percent is not None else str(tier.top_n)


def quota_size(tier: Tier, population: int) -> int:
    """How many places a quota has in a population (top X% rounds up, so 1% of 50 is 1)."""
    if tier.top_n is not None:
        return tier.top_n
    assert tier.top_percent is not None
    return math.ceil(population * tier.top_percent / 100 - 1e-9)
