"""Tier movement one evaluation at a time (tiering/dynamics.py): each rule of its docstring, with
the expected tiers, dates and reasons worked out by hand."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tierwise.tiering.document import Downgrade
from tierwise.tiering.dynamics import NONE, Inputs, Outcome, State, step
from tierwise.tiering.models import TierReason as R

A, B, C, D, X = range(5)  # four value tiers, best first, and the blacklist
JAN1 = dt.date(2026, 1, 1)
YEARLY = Downgrade(mode="period", period="yearly", steps="one")  # a clock that hardly ever runs out


@dataclass(frozen=True)
class Seen:
    """Customer 0 after one evaluation (`out` keeps the whole outcome)."""

    day: dt.date
    tier: int
    reason: str | None
    changed: bool
    at_risk: bool
    due: dt.date | None
    out: Outcome = field(repr=False, compare=False)


def on(month: int, day: int, year: int = 2026) -> dt.date:
    """A date in 2026 unless told."""
    return dt.date(year, month, day)


def months(n: int) -> list[dt.date]:
    """The first day of n consecutive months from February 2026 (n < 12)."""
    return [on(m, 1) for m in range(2, n + 2)]


def facts(qualified, listed=False, fixed=NONE, floor=NONE, expired=False) -> Inputs:
    """Inputs for one customer (scalars) or several (lists; a scalar applies to all)."""
    q = np.atleast_1d(np.array(qualified))

    def each(x: object, kind: type = int) -> np.ndarray:
        return np.broadcast_to(np.array(x, dtype=kind), q.shape).copy()

    return Inputs(q, each(listed, bool), each(fixed), each(floor), each(expired, bool))


def graded(tier: int | list[int], day: dt.date = JAN1) -> State:
    """Customers graded into `tier` on `day` (reason NEW, no clock running)."""
    tiers = np.atleast_1d(tier)
    return step(State.empty(len(tiers)), facts(tiers), day, Downgrade(), 0, X).state


def run(state: State, days: list, each: list, mode: Downgrade, window: int = 0) -> list[Seen]:
    """Evaluate on each day (an int is customer 0's qualified tier), feeding each state back in."""
    seen = []
    for day, given_ in zip(days, each, strict=True):
        inputs = facts(given_) if isinstance(given_, int) else given_
        out = step(state, inputs, day, mode, window, X)
        state, due = out.state, out.due[0]
        due = None if np.isnat(due) else due.astype(dt.date)
        flags = bool(out.changed[0]), bool(out.at_risk[0])
        seen.append(Seen(day, int(state.tier[0]), state.reason[0], *flags, due, out))
    return seen


def col(seen: list[Seen], name: str) -> list:
    """One attribute of every evaluation."""
    return [getattr(s, name) for s in seen]


def same_state(a: State, b: State) -> bool:
    """Whether two states hold identical arrays (NaT equal to NaT)."""
    pairs = [(getattr(a, f.name), getattr(b, f.name)) for f in fields(State)]
    return all(np.array_equal(x, y, equal_nan=x.dtype.kind == "M") for x, y in pairs)


def test_new_customers_get_their_grade_the_blacklist_or_their_override() -> None:
    four = facts([B, A, C, D], listed=[0, 1, 0, 0], fixed=[NONE, NONE, A, NONE])
    four.floor[3] = B  # and a floor above the last one's grade
    out = step(State.empty(4), four, JAN1, Downgrade(), 30, X)
    assert out.state.tier.tolist() == [B, X, A, B]
    assert out.state.reason.tolist() == [R.NEW, R.BLACKLIST, R.MANUAL, R.MANUAL]
    assert out.changed.all() and not out.at_risk.any() and not out.returned.any()
    assert (out.state.since == np.datetime64(JAN1)).all()
    assert (out.state.upgraded_from == NONE).all() and np.isnat(out.state.below_since).all()


def test_a_value_upgrade_is_immediate_even_under_a_yearly_clock_and_records_its_origin() -> None:
    seen = run(graded(D), [on(1, 20), on(1, 21)], [B, A], YEARLY)
    assert col(seen, "tier") == [B, A] and col(seen, "reason") == [R.UPGRADE, R.UPGRADE]
    assert col(seen, "changed") == [True, True]
    assert [s.out.state.upgraded_from[0] for s in seen] == [D, B]
    assert seen[1].out.state.since[0] == np.datetime64(on(1, 21))


def test_immediate_one_step_goes_down_one_tier_per_evaluation_date() -> None:
    mode = Downgrade(mode="immediate", steps="one")
    seen = run(graded(A), months(5), [D] * 5, mode)
    assert col(seen, "tier") == [B, C, D, D, D]
    assert col(seen, "changed") == [True, True, True, False, False]
    assert col(seen, "reason") == [R.DOWNGRADE] * 5
    again = step(seen[0].out.state, facts(D), on(2, 1), mode, 0, X)  # the same date once more
    assert again.state.tier[0] == B and not again.changed[0]


def test_immediate_fit_goes_straight_to_the_fitting_tier() -> None:
    seen = run(graded(A), months(2), [C, C], Downgrade(mode="immediate", steps="fit"))
    assert col(seen, "tier") == [C, C] and col(seen, "changed") == [True, False]
    assert seen[0].reason == R.DOWNGRADE


PERIOD_DAYS = [on(2, 15), on(2, 28), on(3, 1), on(3, 31), on(4, 1), on(12, 31), on(1, 1, 2027)]


@pytest.mark.parametrize(
    ("period", "due", "expected"),
    [
        ("monthly", on(3, 1), [A, A, B, B, B, B, B]),
        ("quarterly", on(4, 1), [A, A, A, A, B, B, B]),
        ("yearly", on(1, 1, 2027), [A, A, A, A, A, A, B]),
    ],
)
def test_period_mode_goes_down_at_the_next_period_start_not_before(
    period: str, due: dt.date, expected: list[int]
) -> None:
    mode = Downgrade(mode="period", period=period, steps="fit", warn_days=0)
    seen = run(graded(A), PERIOD_DAYS, [B] * len(PERIOD_DAYS), mode)
    assert col(seen, "tier") == expected
    went = expected.index(B)
    assert seen[went].day == due and seen[went].changed and seen[went].reason == R.DOWNGRADE
    assert col(seen[:went], "due") == [due] * went and not any(col(seen, "at_risk"))


def test_period_mode_waits_for_an_evaluation_and_a_fall_on_a_period_start_waits_a_period() -> None:
    quarterly = Downgrade(mode="period", period="quarterly", steps="fit")
    late = run(graded(A), [on(2, 15), on(3, 31), on(4, 10)], [B] * 3, quarterly)
    assert col(late, "tier") == [A, A, B]  # nobody evaluated on 04-01: the next evaluation does it
    on_start = run(graded(A), [on(4, 1), on(6, 30), on(7, 1)], [B] * 3, quarterly)
    assert col(on_start, "tier") == [A, A, B] and on_start[0].due == on(7, 1)


def test_period_one_step_restarts_the_clock_at_each_step() -> None:
    mode = Downgrade(mode="period", period="monthly", steps="one", warn_days=0)
    seen = run(graded(A), [on(2, 15), on(3, 1), on(3, 31), on(4, 1), on(5, 1)], [D] * 5, mode)
    assert col(seen, "tier") == [A, B, B, C, D]
    assert col(seen, "due") == [on(3, 1), on(4, 1), on(4, 1), on(5, 1), None]


def test_consecutive_mode_goes_down_at_the_nth_evaluation_below_in_a_row() -> None:
    mode = Downgrade(mode="consecutive", evaluations=3, steps="fit")
    straight = run(graded(A), months(4), [C] * 4, mode)
    assert col(straight, "tier") == [A, A, C, C] and col(straight, "changed")[2]
    assert col(straight, "at_risk") == [False, True, False, False]  # one evaluation before
    broken = run(graded(A), months(6), [C, C, A, C, C, C], mode)
    assert col(broken, "tier") == [A, A, A, A, A, C]  # the good month starts the count again


def test_consecutive_one_step_needs_n_evaluations_for_every_step() -> None:
    mode = Downgrade(mode="consecutive", evaluations=3, steps="one")
    seen = run(graded(A), months(6), [C] * 6, mode)
    assert col(seen, "tier") == [A, A, B, B, B, C]
    assert col(seen, "at_risk") == [False, True, False, False, True, False]


PAST_MARCH = [on(3, 1), on(3, 31), on(4, 1)]


@pytest.mark.parametrize(
    ("mode", "days"),
    [
        (Downgrade(mode="immediate", grace_days=30), [on(1, 10), on(2, 8), on(2, 9), on(2, 10)]),
        # 03-01 starts the next month but is too soon
        (Downgrade(mode="period", period="monthly", grace_days=45), [on(2, 15), *PAST_MARCH]),
        # two in a row by 03-01, but not 60 days
        (Downgrade(mode="consecutive", evaluations=2, grace_days=60), [*months(3), on(4, 2)]),
    ],
)
def test_grace_days_hold_every_mode_until_below_since_plus_grace(
    mode: Downgrade, days: list[dt.date]
) -> None:
    seen = run(graded(A), days, [B] * 4, mode)
    went = col(seen, "changed").index(True)
    assert seen[went].day == days[0] + dt.timedelta(days=mode.grace_days)
    assert seen[went].tier == B and col(seen[:went], "tier") == [A] * went
    assert seen[went - 1].due == seen[went].day


def test_the_warning_is_raised_once_warn_days_before_the_downgrade_with_its_date() -> None:
    days = [on(2, 15), on(3, 1), on(3, 17), on(3, 18), on(3, 25), on(4, 1)]
    mode = Downgrade(mode="period", period="quarterly", steps="fit", warn_days=14)
    seen = run(graded(A), days, [B] * 6, mode)
    assert col(seen, "at_risk") == [False, False, False, True, False, False]  # 03-17 is 15 days
    assert col(seen, "due") == [on(4, 1)] * 5 + [None]
    assert col(seen, "tier") == [A] * 5 + [B]


def test_the_warning_in_consecutive_mode_comes_one_evaluation_before_the_last() -> None:
    mode = Downgrade(mode="consecutive", evaluations=3, steps="fit")
    seen = run(graded(A), months(3), [B, B, B], mode)
    assert col(seen, "at_risk") == [False, True, False] and col(seen, "tier") == [A, A, B]


def test_recovering_stops_the_clock_and_clears_the_warning() -> None:
    mode = Downgrade(mode="period", period="monthly", steps="fit", warn_days=31)
    days = [on(2, 15), on(2, 20), on(3, 1), on(3, 20), on(4, 1)]
    seen = run(graded(A), days, [B, A, B, B, B], mode)
    assert col(seen, "at_risk") == [True, False, True, False, False]
    assert col(seen, "due") == [on(3, 1), None, on(4, 1), on(4, 1), None]
    assert col(seen, "tier") == [A, A, A, A, B]  # without the recovery it would go on 03-01
    back = seen[1].out.state
    assert np.isnat(back.below_since[0]) and np.isnat(back.warned_on[0])
    assert back.below_count[0] == 0


def test_a_fixed_override_applies_at_once_worse_or_better_and_stops_the_clock() -> None:
    each = [facts(A, fixed=C), facts(A, fixed=B), facts(D, fixed=A)]
    seen = run(graded(A), [on(1, 5), on(1, 6), on(1, 7)], each, YEARLY)
    assert col(seen, "tier") == [C, B, A] and col(seen, "reason") == [R.MANUAL] * 3
    assert all(col(seen, "changed")) and np.isnat(seen[2].out.state.below_since[0])


def test_a_floor_holds_the_customer_up_but_lets_it_rise() -> None:
    each = [facts(D, floor=B), facts(A, floor=B), facts(D, floor=B), facts(D, floor=B)]
    seen = run(graded(C), months(4), each, Downgrade(mode="immediate", steps="one"))
    assert col(seen, "tier") == [B, A, B, B]
    assert col(seen, "reason") == [R.MANUAL, R.UPGRADE, R.DOWNGRADE, R.DOWNGRADE]
    assert col(seen, "changed") == [True, True, True, False]
    assert np.isnat(seen[3].out.state.below_since[0])  # at the floor: no clock for D


def test_an_override_that_ran_out_with_a_worse_value_goes_down_at_once() -> None:
    each = [facts(C, fixed=A), facts(C, expired=True), facts(C)]
    seen = run(graded(A), [on(1, 10), on(2, 1), on(2, 2)], each, YEARLY)
    assert col(seen, "tier") == [A, C, C] and col(seen, "changed") == [False, True, False]
    assert seen[1].reason == R.EXPIRY and np.isnat(seen[0].out.state.below_since[0])
    floor = run(
        graded(B), [on(1, 10), on(2, 1)], [facts(D, floor=B), facts(D, expired=True)], YEARLY
    )
    assert col(floor, "tier") == [B, D] and floor[1].reason == R.EXPIRY  # all the way, not one step
    up = run(graded(C), [on(2, 1)], [facts(A, expired=True)], YEARLY)
    assert up[0].tier == A and up[0].reason == R.UPGRADE  # a better value is an upgrade


def test_the_blacklist_applies_at_once_whatever_the_value_and_lifting_restores_the_target() -> None:
    each = [facts(A, listed=True), facts(A, listed=True, fixed=A), facts(B), facts(A)]
    seen = run(graded(A), [on(1, 10), on(1, 11), on(1, 12), on(1, 13)], each, YEARLY)
    assert col(seen, "tier") == [X, X, B, A]
    assert col(seen, "reason") == [R.BLACKLIST, R.BLACKLIST, R.MANUAL, R.UPGRADE]
    assert col(seen, "changed") == [True, False, True, True]
    assert seen[2].out.state.upgraded_from[0] == NONE and seen[3].out.state.upgraded_from[0] == B


def test_falling_back_inside_the_return_window_undoes_the_upgrade_at_once() -> None:
    def after(day: dt.date, qualified: int) -> Seen:
        """Upgraded C -> A on 01-10 (window 30 days), then evaluated on `day`."""
        return run(graded(C), [on(1, 10), day], [A, qualified], YEARLY, window=30)[-1]

    last_day = after(on(2, 9), C)  # 30 days later: still inside
    assert last_day.tier == C and last_day.reason == R.DOWNGRADE and last_day.out.returned[0]
    assert last_day.out.state.upgraded_from[0] == NONE
    assert np.isnat(last_day.out.state.below_since[0])
    late = after(on(2, 10), C)  # 31 days: the yearly clock applies
    assert late.tier == A and not late.changed and not late.out.returned[0]
    assert late.out.state.below_since[0] == np.datetime64(on(2, 10)) and late.due == on(1, 1, 2027)
    between = after(on(1, 20), B)
    assert between.tier == B and between.out.returned[0]  # no further down than its grade
    deeper = after(on(1, 20), D)
    assert deeper.tier == C and deeper.out.returned[0]  # back where it came from; D waits
    assert deeper.out.state.below_since[0] == np.datetime64(on(1, 20))
    assert deeper.due == on(1, 1, 2027)


MIX_DAYS = [JAN1, on(2, 1), on(2, 20), on(3, 1), on(4, 1)]
MIX = [  # one customer per row, its inputs on each of MIX_DAYS
    [B, B, B, B, B],  # new, then steady
    [C, C, A, A, A],  # a value upgrade
    [A, D, D, D, D],  # a value downgrade
    [A, B, A, B, B],  # falls, recovers, falls again
    [B, dict(listed=True), dict(listed=True), B, B],  # blacklisted, then lifted
    [A, dict(q=C, fixed=A), dict(q=C, fixed=A), dict(q=C, expired=True), C],  # override ends
    [D, A, C, C, C],  # upgrade then a return inside the window
    [B, A, D, D, D],  # a return that stops half-way, with a clock for the rest
    [D, dict(q=D, floor=B), dict(q=A, floor=B), dict(q=D, floor=B), dict(q=D, floor=B)],
]


def mix_inputs(k: int) -> Inputs:
    """Every MIX customer's inputs on MIX_DAYS[k]."""
    cells = [r[k] if isinstance(r[k], dict) else dict(q=r[k]) for r in MIX]
    unset = dict(q=B, listed=False, fixed=NONE, floor=NONE, expired=False)
    return facts(*([c.get(key, value) for c in cells] for key, value in unset.items()))


@pytest.mark.parametrize(
    ("mode", "allow"),
    [
        (Downgrade(mode="immediate", steps="one", warn_days=14), True),
        (Downgrade(mode="period", period="monthly", steps="one", warn_days=40), True),
        (Downgrade(mode="consecutive", evaluations=2, steps="one"), True),
        (Downgrade(mode="period", period="quarterly", steps="fit", grace_days=20), True),
        (Downgrade(mode="immediate", steps="one"), False),
    ],
)
def test_evaluating_the_same_date_again_changes_nothing(mode: Downgrade, allow: bool) -> None:
    state, moves = State.empty(len(MIX)), 0
    for k, day in enumerate(MIX_DAYS):
        out = step(state, mix_inputs(k), day, mode, 30, X, allow)
        again = step(out.state, mix_inputs(k), day, mode, 30, X, allow)
        assert not again.changed.any() and not again.at_risk.any() and not again.returned.any()
        assert same_state(again.state, out.state)
        assert np.array_equal(again.due, out.due, equal_nan=True)
        moves += int(out.changed.sum()) if k else 0
        state = out.state
    assert moves >= 8  # the mix really moves: upgrades, blacklist, override, returns


def test_without_allow_downgrade_the_clocks_stand_still_but_the_at_once_rules_apply() -> None:
    mode = Downgrade(mode="consecutive", evaluations=3, steps="fit")
    ticking = step(graded([A, A, C, A, A]), facts([A, D, C, A, A]), on(2, 1), mode, 0, X).state
    assert ticking.below_count.tolist() == [0, 1, 0, 0, 0]
    five = facts([D, D, A, B, B], listed=[0, 0, 0, 0, 1], fixed=[NONE, NONE, NONE, C, NONE])
    held = step(ticking, five, on(2, 10), mode, 0, X, allow_downgrade=False)
    assert held.state.tier.tolist() == [A, A, A, C, X]
    assert held.state.reason[2:].tolist() == [R.UPGRADE, R.MANUAL, R.BLACKLIST]
    assert held.changed.tolist() == [False, False, True, True, True] and not held.at_risk.any()
    assert np.isnat(held.state.below_since[0])  # no clock starts
    assert held.state.below_count[1] == 1 and held.state.below_since[1] == np.datetime64(on(2, 1))
    later = step(held.state, facts([D, D, A, C, B], listed=[0, 0, 0, 0, 1]), on(3, 1), mode, 0, X)
    assert later.state.below_count[1] == 2 and later.at_risk[1]  # 02-10 was not counted


def test_the_warned_due_date_is_a_date_the_downgrade_can_still_happen() -> None:
    seen = run(graded(A), months(2), [C, C], Downgrade(mode="immediate", steps="one", warn_days=14))
    assert col(seen, "tier") == [B, C] and seen[0].at_risk
    assert seen[0].due is not None and seen[0].due > seen[0].day


@settings(max_examples=150, deadline=None)
@given(
    grades=st.lists(st.lists(st.integers(A, D), min_size=8, max_size=8), min_size=1, max_size=5),
    gaps=st.lists(st.integers(1, 45), min_size=8, max_size=8),
    mode=st.sampled_from(["immediate", "period", "consecutive"]),
    period=st.sampled_from(["monthly", "quarterly", "yearly"]),
    steps=st.sampled_from(["one", "fit"]),
    grace=st.sampled_from([0, 15, 40]),
    window=st.sampled_from([0, 30]),
)
def test_invariants_hold_over_random_qualified_sequences(
    grades: list[list[int]],
    gaps: list[int],
    mode: str,
    period: str,
    steps: str,
    grace: int,
    window: int,
) -> None:
    """Never below the grade; changes have a reason; one step at a time; clocks only when above the
    grade; at most one warning per clock; reruns change nothing."""
    policy = Downgrade(mode=mode, period=period, steps=steps, grace_days=grace, evaluations=2)
    n = len(grades)
    state, day, warnings = State.empty(n), JAN1, np.zeros(n, dtype=int)
    for k, q in enumerate(np.array(grades).T):
        out = step(state, facts(q), day, policy, window, X)
        new, changed = out.state, out.changed
        assert (new.tier <= q).all()
        assert set(new.reason[changed]) <= set(R)  # np.where stores plain strings
        assert (new.since[changed] == np.datetime64(day)).all()
        assert (new.tier[~changed] == state.tier[~changed]).all()
        fits = new.tier == q
        assert np.isnat(new.below_since[fits]).all() and not new.below_count[fits].any()
        assert np.isnat(new.warned_on[fits]).all() and not out.at_risk[fits].any()
        assert not np.isnat(new.below_since[~fits]).any()
        if steps == "one":
            fell = changed & (state.tier != NONE) & (new.tier > state.tier) & ~out.returned
            assert (new.tier[fell] - state.tier[fell] == 1).all()
        warnings[changed | fits] = 0
        warnings += out.at_risk
        assert (warnings <= 1).all()
        again = step(new, facts(q), day, policy, window, X)
        assert not again.changed.any() and not again.at_risk.any() and same_state(again.state, new)
        state, day = new, day + dt.timedelta(days=gaps[k])
