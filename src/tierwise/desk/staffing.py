"""How many agents each tier's service level needs: Erlang C, checked by simulating the queue.

Erlang C (M/M/N): with offered load A = λ·AHT Erlangs and N agents, the probability a caller
waits is C(N, A) = N·B / (N − A·(1 − B)) with B the Erlang B blocking probability (computed by
its stable recursion), and the service level — the share answered within T seconds — is
1 − C·exp(−(N − A)·T / AHT). Each tier is sized as its own queue; the priority queue the agents
really serve (green channel first, the blacklist last) is simulated event by event to check that
the pooled agents meet every tier's target.
"""

from __future__ import annotations

import heapq
import math
import random
from dataclasses import dataclass


def erlang_b(agents: int, load: float) -> float:
    """Blocking probability of `agents` servers offered `load` Erlangs (recursion, stable)."""
    blocking = 1.0
    for n in range(1, agents + 1):
        blocking = load * blocking / (n + load * blocking)
    return blocking


def erlang_c(agents: int, load: float) -> float:
    """Probability that a caller has to wait; 1 when the agents cannot keep up."""
    if agents <= load:
        return 1.0
    blocking = erlang_b(agents, load)
    return agents * blocking / (agents - load * (1.0 - blocking))


def service_level(
    agents: int, per_hour: float, handle_seconds: float, answer_seconds: float
) -> float:
    """Share of calls answered within `answer_seconds` (Erlang C)."""
    load = per_hour * handle_seconds / 3600.0
    if agents <= load:
        return 0.0
    wait = erlang_c(agents, load)
    return 1.0 - wait * math.exp(-(agents - load) * answer_seconds / handle_seconds)


def agents_needed(
    per_hour: float, handle_seconds: float, answer_seconds: float, target: float
) -> int:
    """The fewest agents whose service level reaches the target."""
    if per_hour <= 0:
        return 0
    agents = max(1, math.floor(per_hour * handle_seconds / 3600.0) + 1)
    while service_level(agents, per_hour, handle_seconds, answer_seconds) < target:
        agents += 1
    return agents


@dataclass(frozen=True)
class Stream:
    """One tier's calls: arrival rate, handle time, lane and rank, and its answer threshold."""

    tier: str
    per_hour: float
    handle_seconds: float
    answer_seconds: float
    lane: int
    priority: int


@dataclass(frozen=True)
class Simulated:
    """What the simulation saw for one tier."""

    offered: int
    within: int
    mean_wait: float

    @property
    def level(self) -> float:
        """Share answered within the threshold."""
        return self.within / self.offered if self.offered else 1.0


def simulate(
    streams: list[Stream], agents: int, hours: float, seed: int = 7
) -> dict[str, Simulated]:
    """Poisson arrivals and exponential handle times into one priority queue served by `agents`
    (no abandonment): per tier, calls offered, answered within threshold, mean wait."""
    rng = random.Random(seed)
    horizon = hours * 3600.0
    events: list[tuple[float, int, int, int]] = []  # (time, order, kind 0=arrival 1=free, stream)
    order = 0
    for i, stream in enumerate(streams):
        t = rng.expovariate(stream.per_hour / 3600.0) if stream.per_hour > 0 else horizon + 1
        heapq.heappush(events, (t, order, 0, i))
        order += 1
    waiting: list[tuple[int, int, float, int, int]] = []  # (lane, priority, arrival, order, stream)
    free = agents
    offered = [0] * len(streams)
    within = [0] * len(streams)
    waits = [0.0] * len(streams)
    while events:
        now, _order, kind, i = heapq.heappop(events)
        if kind == 0:
            if now > horizon:
                continue
            stream = streams[i]
            offered[i] += 1
            heapq.heappush(waiting, (stream.lane, stream.priority, now, order, i))
            order += 1
            heapq.heappush(events, (now + rng.expovariate(stream.per_hour / 3600.0), order, 0, i))
            order += 1
        else:
            free += 1
        while free and waiting:
            _lane, _rank, arrived, _o, j = heapq.heappop(waiting)
            free -= 1
            wait = now - arrived
            waits[j] += wait
            within[j] += wait <= streams[j].answer_seconds
            heapq.heappush(
                events, (now + rng.expovariate(1.0 / streams[j].handle_seconds), order, 1, j)
            )
            order += 1
    return {
        s.tier: Simulated(offered[i], within[i], waits[i] / offered[i] if offered[i] else 0.0)
        for i, s in enumerate(streams)
    }
