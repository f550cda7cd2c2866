"""Erlang C against values worked by hand and published, and the simulation against Erlang C."""

from __future__ import annotations

import math

import pytest

from tierwise.desk.staffing import (
    Stream,
    agents_needed,
    erlang_b,
    erlang_c,
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
