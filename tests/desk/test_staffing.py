"""Erlang C and Erlang A against values worked by hand and published, and the simulation against
both."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from tierwise.desk.report import Line, tier_patience
from tierwise.desk.staffing import (
    FEWEST_HANG_UPS,
    Stream,
    agents_needed,
    agents_needed_abandoning,
    erlang_a,
    erlang_b,
    erlang_c,
    patience,
    service_level,
    simulate,
)


def test_erlang_b_and_c_match_values_worked_by_hand() -> None:
    # B(3, 2) = (2³/3!) / (1 + 2 + 2²/2! + 2³/3!) = (4/3) / (19/3) = 4/19
    assert erlang_b(3, 2.0) == pytest.approx(4 / 19)
    # C = N·B / (N − A(1 − B)) = 3·(4/19) / (3 − 2·15/19) = (12/19) / (27/19) = 4/9
    assert erlang_c(3, 2.0) == pytest.approx(4 / 9)
    assert erlang_c(2, 2.0) == 1.0 and service_level(2, 1800, 4, 20) == 0.0  # overloaded


def test_erlang_c_matches_the_published_table() -> None:
    # Probability of waiting for 10 Erlangs offered to 11 and 12 agents (standard tables).
    assert erlang_c(11, 10.0) == pytest.approx(0.6821, abs=5e-5)
    assert erlang_c(12, 10.0) == pytest.approx(0.4494, abs=5e-5)


def test_service_level_and_the_agents_a_target_needs() -> None:
    # 360 calls an hour of 240 s: 24 Erlangs; with 30 agents, 1 − C·e^(−6·20/240).
    level = service_level(30, 360, 240, 20)
    assert level == pytest.approx(1 - erlang_c(30, 24.0) * math.exp(-0.5))
    needed = agents_needed(360, 240, 20, 0.80)
    assert service_level(needed, 360, 240, 20) >= 0.80 > service_level(needed - 1, 360, 240, 20)
    assert agents_needed(0, 240, 20, 0.8) == 0


@pytest.mark.parametrize(("per_hour", "agents"), [(60, 7), (120, 11)])
def test_the_simulated_queue_agrees_with_erlang_c(per_hour: float, agents: int) -> None:
    stream = Stream("A", per_hour, 240, 20, lane=0, priority=0)
    simulated = simulate([stream], agents, hours=3000, seed=11)["A"]
    assert simulated.level == pytest.approx(service_level(agents, per_hour, 240, 20), abs=0.01)


def test_the_green_channel_is_served_first_in_the_simulation() -> None:
    vip = Stream("A", 20, 240, 20, lane=0, priority=0)
    normal = Stream("C", 100, 240, 20, lane=1, priority=2)
    result = simulate([vip, normal], agents=8, hours=2000, seed=3)
    assert result["A"].mean_wait < result["C"].mean_wait / 3
    assert result["A"].level > result["C"].level


def test_erlang_a_matches_the_reference_values() -> None:
    # pyworkforce's Erlang A case: 100 calls per 30 minutes, 3 minutes each, 14 agents, an answer
    # within 20 s, callers waiting 5 minutes on average.
    result = erlang_a(14, 200, 180, 300, 20)
    assert result.abandons == pytest.approx(0.01398, abs=5e-6)
    assert result.service_level == pytest.approx(0.9168, abs=5e-5)
    # The same calls with nobody hanging up wait more often (Erlang C) and fewer are answered in
    # time: abandonment shortens the queue for those who stay.
    assert result.waits < erlang_c(14, 10.0)
    assert result.service_level > service_level(14, 200, 180, 20)


def test_erlang_a_tends_to_erlang_c_as_callers_grow_patient() -> None:
    patient = erlang_a(12, 200, 180, 1e9, 20)
    assert patient.abandons == pytest.approx(0.0, abs=1e-6)
    assert patient.waits == pytest.approx(erlang_c(12, 10.0), rel=1e-6)
    assert patient.service_level == pytest.approx(service_level(12, 200, 180, 20), rel=1e-6)


def test_erlang_a_staffing_is_the_fewest_agents_meeting_the_target() -> None:
    needed = agents_needed_abandoning(200, 180, 300, 20, 0.9)
    assert erlang_a(needed, 200, 180, 300, 20).service_level >= 0.9
    assert erlang_a(needed - 1, 200, 180, 300, 20).service_level < 0.9
    assert agents_needed_abandoning(0, 180, 300, 20, 0.9) == 0


def test_the_simulated_queue_with_hang_ups_agrees_with_erlang_a() -> None:
    stream = Stream("B", 200, 180, 20, lane=1, priority=0, patience_seconds=300)
    seen = simulate([stream], agents=12, hours=600, seed=11)["B"]
    model = erlang_a(12, 200, 180, 300, 20)
    assert seen.abandoned / seen.offered == pytest.approx(model.abandons, abs=0.006)
    assert seen.level == pytest.approx(model.service_level, abs=0.01)


def test_patience_is_the_waiting_time_over_the_callers_who_hung_up() -> None:
    # Ten hung up after 1,500 s of waiting between them, others waited 500 s and were answered.
    assert patience(10, 1500 + 500) == pytest.approx(200.0)
    assert patience(FEWEST_HANG_UPS - 1, 5000.0) is None  # too few hang-ups to say


def test_erlang_a_stays_finite_and_below_erlang_c_at_a_large_centre() -> None:
    # 720 Erlangs offered: the chain's products would overflow without logs.
    needed = agents_needed_abandoning(14_400, 180, 300, 20, 0.8)
    assert erlang_a(needed, 14_400, 180, 300, 20).service_level >= 0.8
    assert erlang_a(needed - 1, 14_400, 180, 300, 20).service_level < 0.8
    assert 650 <= needed < agents_needed(14_400, 180, 20, 0.8)  # hang-ups shorten the queue
    # very patient callers: Erlang A needs what Erlang C needs, never a single agent
    assert agents_needed_abandoning(200, 180, 50_000, 20, 0.8) == agents_needed(200, 180, 20, 0.8)


def test_each_tier_s_patience_counts_only_callers_who_hung_up() -> None:
    start = dt.datetime(2026, 10, 30, tzinfo=dt.UTC)
    lines = [
        Line("A", start, 0.9, 20, offered=3, answered=3, wait_total=30.0),
        # B: 12 left the queue, 2 of them taken out by the system for a callback (they waited
        # without hanging up); 10 hung up. 600 s answered + 1,400 s until leaving: 2,000 s.
        Line(
            "B",
            start,
            0.8,
            30,
            offered=14,
            answered=8,
            abandoned=6,
            hung_up=5,
            wait_total=400.0,
            waited_to_abandon=600.0,
        ),
        Line(
            "B",
            start + dt.timedelta(hours=1),
            0.8,
            30,
            offered=10,
            answered=4,
            abandoned=6,
            hung_up=5,
            wait_total=200.0,
            waited_to_abandon=800.0,
        ),
    ]
    assert tier_patience(lines) == {"A": None, "B": pytest.approx(200.0)}
