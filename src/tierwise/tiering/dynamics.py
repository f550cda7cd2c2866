"""How tiers move: upgrades at once, downgrades by the policy's clock, overrides and the blacklist.

Everything is vectorised over customers (NumPy arrays aligned by customer); tiers are positions
in the policy (0 = best, the blacklist last), and -1 means "none yet". Rules (docs/tiering.md):

1. The target is the qualified tier, raised to a floor override, replaced by a fixed override,
   and the blacklist for a blacklisted customer.
2. A better target takes effect at once (reason upgrade, or manual when an override decides).
3. A worse target caused by the blacklist, a fixed override or an override's expiry takes effect
   at once. Within `return_window_days` of a value upgrade, falling back (e.g. after returns)
   undoes the upgrade at once.
4. Otherwise the customer is "below" from the first evaluation that says so, and goes down when
   the mode's clock runs out: `immediate`; `period` (the first period start after falling below);
   `consecutive` (N evaluations in a row); never before `grace_days`, never twice on one date.
   `steps = "one"` moves one tier and restarts the clock; `"fit"` goes straight to the target.
5. `warn_days` before a dated downgrade (or one evaluation before the last in `consecutive`
   mode) a "downgrade at risk" event is raised, once per clock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from tierwise.tiering.document import Downgrade
from tierwise.tiering.models import TierReason

NAT = np.datetime64("NaT", "D")
NONE = -1


@dataclass(frozen=True)
class State:
    """Each customer's tier position and downgrade clock."""

    tier: np.ndarray
    since: np.ndarray
    reason: np.ndarray
    below_since: np.ndarray
    below_count: np.ndarray
    counted_on: np.ndarray
    warned_on: np.ndarray
    upgraded_from: np.ndarray

    @classmethod
    def empty(cls, n: int) -> State:
        """Customers who have never been graded."""
        return cls(
            tier=np.full(n, NONE),
            since=np.full(n, NAT),
            reason=np.full(n, None, dtype=object),
            below_since=np.full(n, NAT),
            below_count=np.zeros(n, dtype=np.int64),
            counted_on=np.full(n, NAT),
            warned_on=np.full(n, NAT),
            upgraded_from=np.full(n, NONE),
        )


@dataclass(frozen=True)
class Inputs:
    """What decides the target: the grade, the blacklist, and overrides in force or just ended."""

    qualified: np.ndarray
    listed: np.ndarray
    fixed: np.ndarray
    floor: np.ndarray
    expired: np.ndarray


@dataclass(frozen=True)
class Outcome:
    """The new state, who changed and why, and who was warned of a coming downgrade (and when)."""

    state: State
    changed: np.ndarray
    at_risk: np.ndarray
    due: np.ndarray
    returned: np.ndarray


def step(
    state: State,
    inputs: Inputs,
    as_of: dt.date,
    downgrade: Downgrade,
    return_window_days: int,
    blacklist: int,
    allow_downgrade: bool = True,
) -> Outcome:
    """One evaluation as of `as_of`; evaluating the same date again changes nothing.

    Without `allow_downgrade` (one customer between recomputes) the downgrade clocks stand still;
    everything that takes effect at once (rules 2 and 3) still does."""
    today = np.datetime64(as_of, "D")
    n = len(inputs.qualified)
    target = inputs.qualified.copy()
    floored = (inputs.floor != NONE) & (inputs.floor < target)
    target[floored] = inputs.floor[floored]
    has_fixed = inputs.fixed != NONE
    target[has_fixed] = inputs.fixed[has_fixed]
    target[inputs.listed] = blacklist
    manual = floored | has_fixed

    tier = state.tier.copy()
    reason = state.reason.copy()
    since = state.since.copy()
    upgraded_from = state.upgraded_from.copy()
    below_since = state.below_since.copy()
    below_count = state.below_count.copy()
    counted_on = state.counted_on.copy()
    warned_on = state.warned_on.copy()

    new = tier == NONE
    better = ~new & (target < tier)
    worse = ~new & (target > tier)
    was_listed = ~new & (tier == blacklist) & ~inputs.listed
    at_once = worse & (inputs.listed | has_fixed | inputs.expired)
    window = np.timedelta64(return_window_days, "D")
    recent = (state.reason == TierReason.UPGRADE) & (today - since <= window)
    returned = worse & ~at_once & recent & (upgraded_from != NONE)
    clocked = worse & ~at_once & ~returned

    moved = np.full(n, NONE)
    why = np.full(n, None, dtype=object)
    moved[new] = target[new]
    why[new] = np.where(
        inputs.listed[new],
        TierReason.BLACKLIST,
        np.where(manual[new], TierReason.MANUAL, TierReason.NEW),
    )
    moved[better] = target[better]
    why[better] = np.where(
        manual[better] | was_listed[better], TierReason.MANUAL, TierReason.UPGRADE
    )
    moved[at_once] = target[at_once]
    why[at_once] = np.where(
        inputs.listed[at_once],
        TierReason.BLACKLIST,
        np.where(
            inputs.expired[at_once] & ~has_fixed[at_once], TierReason.EXPIRY, TierReason.MANUAL
        ),
    )
    moved[returned] = np.minimum(target[returned], upgraded_from[returned])
    why[returned] = TierReason.DOWNGRADE

    if allow_downgrade:
        starting = clocked & np.isnat(below_since)
        below_since[starting] = today
        counting = clocked & ~(counted_on >= today)  # once per customer per date, reruns too
        below_count[counting] += 1
        counted_on[counting] = today
        ready, _due = _clock(downgrade, below_since[clocked], below_count[clocked], today)
        go = np.zeros(n, dtype=bool)
        go[clocked] = ready & (since[clocked] < today)  # never twice on one date
        one = downgrade.steps == "one"
        moved[go] = np.minimum(tier[go] + 1, target[go]) if one else target[go]
        why[go] = TierReason.DOWNGRADE

    changed = moved != NONE
    upgraded = changed & (why == TierReason.UPGRADE)
    upgraded_from[changed] = NONE
    upgraded_from[upgraded] = tier[upgraded]
    tier[changed] = moved[changed]
    reason[changed] = why[changed]
    since[changed] = today
    settled = changed | (~new & ~worse)
    below_since[settled] = NAT
    below_count[settled] = 0
    warned_on[settled] = NAT
    counted_on[settled] = NAT
    # Still above the target after a one-step downgrade: the next step's clock starts today.
    still_below = changed & (target > tier)
    below_since[still_below] = today
    counted_on[still_below] = today

    due = np.full(n, NAT)
    at_risk = np.zeros(n, dtype=bool)
    pending = (target > tier) & ~np.isnat(below_since)
    if allow_downgrade and pending.any():
        _ready, due[pending] = _clock(downgrade, below_since[pending], below_count[pending], today)
        moved_today = pending & (since >= today)  # never twice on one date: tomorrow at the soonest
        due[moved_today] = np.maximum(due[moved_today], today + np.timedelta64(1, "D"))
        if downgrade.mode == "consecutive":
            near = below_count >= downgrade.evaluations - 1
        else:
            near = (due - today) <= np.timedelta64(downgrade.warn_days, "D")
        at_risk = pending & near & np.isnat(warned_on)
        warned_on[at_risk] = today
    new_state = replace(
        state,
        tier=tier,
        since=since,
        reason=reason,
        below_since=below_since,
        below_count=below_count,
        counted_on=counted_on,
        warned_on=warned_on,
        upgraded_from=upgraded_from,
    )
    return Outcome(new_state, changed, at_risk, due, returned)


def _clock(
    downgrade: Downgrade,
    below_since: npt.NDArray[np.datetime64],
    count: np.ndarray,
    today: np.datetime64,
) -> tuple[np.ndarray, np.ndarray]:
    """Whether each running clock has run out, and the date it runs out (NaT when by count)."""
    earliest = below_since + np.timedelta64(downgrade.grace_days, "D")
    if downgrade.mode == "immediate":
        due = earliest
    elif downgrade.mode == "period":
        due = np.maximum(_next_period_start(below_since, downgrade.period), earliest)
    else:
        enough = count >= downgrade.evaluations
        return enough & (earliest <= today), np.where(enough, earliest, NAT)
    return due <= today, due


def _next_period_start(days: np.ndarray, period: str) -> np.ndarray:
    """The first day of the month, quarter or year after each date."""
    if period == "yearly":
        return (days.astype("datetime64[Y]") + 1).astype("datetime64[D]")
    months = days.astype("datetime64[M]").astype(np.int64)
    step = 3 if period == "quarterly" else 1
    start = (months // step + 1) * step
    return start.astype("datetime64[M]").astype("datetime64[D]")
