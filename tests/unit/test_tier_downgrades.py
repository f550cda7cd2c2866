"""Tier movement over simulated months: every downgrade mode, grace, warnings, overrides and their
expiry, the blacklist, returns inside the window, and idempotence (tiering/dynamics.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tierwise.tiering.dynamics import NONE, Inputs, Outcome, State, step
from tierwise.tiering.models import TierReason
from tierwise.tiering.policy import Downgrade

A, B, C, D, X = range(5)  # positions; X is the blacklist


@dataclass
class Seen:
    """One customer's tier after one evaluation."""

    day: dt.date
    tier: int
    reason: str | None
    changed: bool
    at_risk: bool
    due: dt.date | None


def inputs(
    qualified: int,
    listed: bool = False,
    fixed: int = NONE,
    floor: int = NONE,
    expired: bool = False,
) -> Inputs:
    """The inputs of one customer."""
    return Inputs(
        qualified=np.array([qualified]),
        listed=np.array([listed]),
        fixed=np.array([fixed]),
        floor=np.array([floor]),
        expired=np.array([expired]),
    )


def simulate(
    days: list[dt.date],
    qualified: list[int],
    downgrade: Downgrade,
    window: int = 0,
    start: int = A,
) -> list[Seen]:
    """Grade one customer into `start` on the day before the first, then evaluate on each day."""
    first = days[0] - dt.timedelta(days=1)
    state = step(State.empty(1), inputs(start), first, downgrade, window, X).state
    seen = []
    for day, q in zip(days, qualified, strict=True):
        out = step(state, inputs(q), day, downgrade, window, X)
        seen.append(_seen(day, out))
        state = out.state
    return seen


def _seen(day: dt.date, out: Outcome) -> Seen:
    due = out.due[0]
    return Seen(
        day,
        int(out.state.tier[0]),
        None if out.state.reason[0] is None else str(out.state.reason[0]),
        bool(out.changed[0]),
        bool(out.at_risk[0]),
        None if np.isnat(due) else due.astype(dt.date),
    )


def firsts_of_month(n: int, year: int = 2026, month: int = 1) -> list[dt.date]:
    """The first day of n consecutive months."""
    return [dt.date(year + (month - 1 + i) // 12, (month - 1 + i) % 12 + 1, 1) for i in range(n)]


def tiers(seen: list[Seen]) -> list[int]:
    """The tier after each evaluation."""
    return [s.tier for s in seen]


def test_new_customers_get_their_grade_the_blacklist_or_their_fixed_tier() -> None:
    out = step(
        State.empty(3),
        Inputs(
            qualified=np.array([B, A, C]),
            listed=np.array([False, True, False]),
            fixed=np.array([NONE, NONE, A]),
            floor=np.full(3, NONE),
            expired=np.zeros(3, dtype=bool),
        ),
        dt.date(2026, 1, 1),
        Downgrade(),
        30,
        X,
    )
    assert out.state.tier.tolist() == [B, X, A]
    assert [str(r) for r in out.state.reason] == ["new", "blacklist", "manual"]
    assert out.changed.all()


def test_upgrades_take_effect_at_once_and_remember_where_they_came_from() -> None:
    seen = simulate(firsts_of_month(2), [C, A], Downgrade(), start=C)
    assert tiers(seen) == [C, A] and seen[1].reason == TierReason.UPGRADE and seen[1].changed


def test_immediate_mode_goes_down_one_tier_per_evaluation() -> None:
    days = firsts_of_month(4)
    seen = simulate(days, [D, D, D, D], Downgrade(mode="immediate", steps="one"))
    assert tiers(seen) == [B, C, D, D]
    assert [s.reason for s in seen[:3]] == ["downgrade"] * 3


def test_immediate_mode_with_fit_goes_straight_to_the_fitting_tier() -> None:
    seen = simulate(firsts_of_month(2), [D, D], Downgrade(mode="immediate", steps="fit"))
    assert tiers(seen) == [D, D] and seen[0].changed and not seen[1].changed


def test_period_mode_waits_for_the_next_month_quarter_or_year() -> None:
    days = [dt.date(2026, 2, 15), dt.date(2026, 2, 28), dt.date(2026, 3, 1), dt.date(2026, 4, 1)]
    days += [dt.date(2026, 12, 31), dt.date(2027, 1, 1)]
    below = [B] * len(days)
    monthly = simulate(days, below, Downgrade(mode="period", period="monthly", steps="fit"))
    quarterly = simulate(days, below, Downgrade(mode="period", period="quarterly", steps="fit"))
    yearly = simulate(days, below, Downgrade(mode="period", period="yearly", steps="fit"))
    assert tiers(monthly) == [A, A, B, B, B, B]
    assert tiers(quarterly) == [A, A, A, B, B, B]
    assert tiers(yearly) == [A, A, A, A, A, B]
    assert quarterly[0].due == dt.date(2026, 4, 1)


def test_consecutive_mode_needs_n_evaluations_below_in_a_row() -> None:
    mode = Downgrade(mode="consecutive", evaluations=3, steps="fit")
    straight = simulate(firsts_of_month(3), [C, C, C], mode)
    assert tiers(straight) == [A, A, C]
    interrupted = simulate(firsts_of_month(6), [C, C, A, C, C, C], mode)
    assert tiers(interrupted) == [A, A, A, A, A, C]  # the good month restarts the count


def test_grace_days_delay_even_an_immediate_downgrade() -> None:
    days = [dt.date(2026, 1, 1), dt.date(2026, 1, 20), dt.date(2026, 1, 31), dt.date(2026, 2, 1)]
    seen = simulate(days, [B] * 4, Downgrade(mode="immediate", grace_days=30, warn_days=0))
    assert tiers(seen) == [A, A, B, B]  # below since 01-01: not before 01-31
    assert seen[0].due == dt.date(2026, 1, 31)


def test_the_downgrade_warning_comes_once_warn_days_before_with_its_date() -> None:
    days = [dt.date(2026, 2, 1), dt.date(2026, 3, 10), dt.date(2026, 3, 20), dt.date(2026, 4, 1)]
    mode = Downgrade(mode="period", period="quarterly", warn_days=30, steps="fit")
    seen = simulate(days, [B] * 4, mode)
    assert [s.at_risk for s in seen] == [False, True, False, False]
    assert seen[1].due == dt.date(2026, 4, 1) and tiers(seen) == [A, A, A, B]


def test_the_warning_in_consecutive_mode_is_one_evaluation_before_the_last() -> None:
    mode = Downgrade(mode="consecutive", evaluations=3, steps="fit")
    seen = simulate(firsts_of_month(3), [B, B, B], mode)
    assert [s.at_risk for s in seen] == [False, True, False] and seen[2].tier == B


def test_recovering_stops_the_clock_and_the_next_fall_warns_again() -> None:
    mode = Downgrade(mode="consecutive", evaluations=3, steps="fit")
    seen = simulate(firsts_of_month(6), [B, B, A, B, B, B], mode)
    assert [s.at_risk for s in seen] == [False, True, False, False, True, False]
    assert tiers(seen) == [A, A, A, A, A, B]


def test_a_fixed_override_applies_at_once_either_way_and_its_expiry_too() -> None:
    mode, day = Downgrade(), dt.date(2026, 1, 1)
    base = step(State.empty(1), inputs(B), day, mode, 30, X).state
    up = step(base, inputs(B, fixed=A), day, mode, 30, X)
    assert up.state.tier[0] == A and up.state.reason[0] == TierReason.MANUAL
    down = step(up.state, inputs(B, fixed=D), day, mode, 30, X)
    assert down.state.tier[0] == D and down.state.reason[0] == TierReason.MANUAL
    expired = step(up.state, inputs(C, expired=True), dt.date(2026, 2, 1), mode, 30, X)
    assert expired.state.tier[0] == C and expired.state.reason[0] == TierReason.EXPIRY


def test_a_floor_holds_the_customer_up_but_lets_it_rise() -> None:
    mode = Downgrade(mode="immediate", steps="fit")
    days = firsts_of_month(3)
    state = step(State.empty(1), inputs(B), days[0], mode, 0, X).state
    held = step(state, inputs(D, floor=B), days[1], mode, 0, X)
    assert held.state.tier[0] == B and not held.changed[0]
    rose = step(held.state, inputs(A, floor=B), days[2], mode, 0, X)
    assert rose.state.tier[0] == A and rose.state.reason[0] == TierReason.UPGRADE


def test_the_blacklist_applies_at_once_whatever_the_value_and_lifting_restores() -> None:
    mode, day = Downgrade(), dt.date(2026, 1, 1)
    state = step(State.empty(1), inputs(A), day, mode, 30, X).state
    listed = step(state, inputs(A, listed=True), day, mode, 30, X)
    assert listed.state.tier[0] == X and listed.state.reason[0] == TierReason.BLACKLIST
    lifted = step(listed.state, inputs(A), dt.date(2026, 1, 2), mode, 30, X)
    assert lifted.state.tier[0] == A and lifted.state.reason[0] == TierReason.MANUAL


def test_falling_back_inside_the_return_window_undoes_the_upgrade_at_once() -> None:
    mode = Downgrade(mode="period", period="yearly", steps="one")
    days = [dt.date(2026, 1, 1), dt.date(2026, 1, 10), dt.date(2026, 1, 25)]
    seen = simulate(days, [A, C, C], mode, window=30, start=C)
    assert tiers(seen) == [A, C, C] and seen[1].reason == TierReason.DOWNGRADE
    late = simulate([days[0], dt.date(2026, 3, 1)], [A, C], mode, window=30, start=C)
    assert tiers(late) == [A, A]  # after the window the yearly clock applies


def test_without_allow_downgrade_clocks_stand_still_but_the_at_once_rules_apply() -> None:
    mode, day = Downgrade(mode="immediate"), dt.date(2026, 1, 1)
    state = step(State.empty(1), inputs(A), day, mode, 0, X).state
    later = dt.date(2026, 2, 1)
    held = step(state, inputs(D), later, mode, 0, X, allow_downgrade=False)
    assert held.state.tier[0] == A and not held.changed[0] and np.isnat(held.state.below_since[0])
    listed = step(state, inputs(D, listed=True), later, mode, 0, X, allow_downgrade=False)
    assert listed.state.tier[0] == X


@settings(max_examples=200, deadline=None)
@given(
    grades=st.lists(st.lists(st.integers(A, D), min_size=6, max_size=6), min_size=1, max_size=8),
    mode=st.sampled_from(["immediate", "period", "consecutive"]),
    steps=st.sampled_from(["one", "fit"]),
    grace=st.sampled_from([0, 20, 45]),
)
def test_invariants_over_random_months(
    grades: list[list[int]], mode: str, steps: str, grace: int
) -> None:
    """Every change has a reason; one step at a time never drops more than one tier; nobody is
    ever below what they qualify for; rerunning a date changes nothing."""
    policy = Downgrade(mode=mode, steps=steps, grace_days=grace, evaluations=2, period="monthly")
    n = len(grades)
    days = firsts_of_month(6)
    state = State.empty(n)
    previous: dt.date | None = None
    for month, day in enumerate(days):
        q = np.array([g[month] for g in grades])
        each = Inputs(q, np.zeros(n, bool), np.full(n, NONE), np.full(n, NONE), np.zeros(n, bool))
        out = step(state, each, day, policy, 0, X)
        assert all(r is not None for r in out.state.reason[out.changed])
        assert (out.state.tier <= np.maximum(q, state.tier)).all()  # never below the grade
        if steps == "one" and previous is not None:
            assert (out.state.tier - state.tier <= 1).all()
        again = step(out.state, each, day, policy, 0, X)
        assert not again.changed.any() and not again.at_risk.any()
        assert (again.state.tier == out.state.tier).all()
        assert (again.state.below_count == out.state.below_count).all()
        state, previous = out.state, day
