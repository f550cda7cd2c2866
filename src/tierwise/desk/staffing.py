"""How many agents each tier's service level needs: Erlang C and Erlang A, checked by simulating
the queue.

Erlang C (M/M/N): with offered load A = λ·AHT Erlangs and N agents, the probability a caller
waits is C(N, A) = N·B / (N − A·(1 − B)) with B the Erlang B blocking probability (computed by
its stable recursion), and the service level — the share answered within T seconds — is
1 − C·exp(−(N − A)·T / AHT). Each tier is sized as its own queue; the priority queue the agents
really serve (green channel first, the blacklist last) is simulated event by event to check that
the pooled agents meet every tier's target.

Erlang A (M/M/N+M, Palm; Garnett, Mandelbaum & Reiman 2002) adds callers who hang up after an
exponential patience: the queue is the birth-death chain with birth rate λ and death rate
min(n, N)·μ + max(n − N, 0)·θ (θ = 1 / mean patience), solved exactly on a truncated state space.
P(abandon) = θ·E[queue] / λ; the service level is the share of all callers answered within T: those
who find an agent free, plus those who find k callers ahead and see k + 1 places free up (rate
N·μ + j·θ with j ahead) before T and before their own patience runs out — one matrix exponential
of the chain of places ahead serves every k.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.linalg import expm_multiply

from tierwise.i18n import _

TAIL = 1e-14  # the chain is cut where its states' probabilities fall below this
FEWEST_HANG_UPS = 10  # a tier's patience is estimated from at least this many hang-ups


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
class Abandoning:
    """What Erlang A predicts for one queue."""

    waits: float  # share of callers who find every agent busy
    abandons: float  # share of callers who hang up before an answer
    service_level: float  # share of all callers answered within the threshold
    mean_wait: float  # seconds, over every caller


def erlang_a(
    agents: int,
    per_hour: float,
    handle_seconds: float,
    patience_seconds: float,
    answer_seconds: float,
) -> Abandoning:
    """Erlang A for `agents` answering `per_hour` calls of `handle_seconds` from callers who wait
    `patience_seconds` on average."""
    lam, mu, theta = per_hour / 3600.0, 1.0 / handle_seconds, 1.0 / patience_seconds
    if lam <= 0:
        return Abandoning(0.0, 0.0, 1.0, 0.0)
    # The chain's probabilities in logs (at hundreds of agents the products overflow), cut where
    # they fall below TAIL of the largest.
    logs = [0.0]
    n, peak, cut = 0, 0.0, math.log(TAIL)
    while n < agents or logs[-1] > peak + cut:
        n += 1
        logs.append(logs[-1] + math.log(lam / (min(n, agents) * mu + max(n - agents, 0) * theta)))
        peak = max(peak, logs[-1])
    weights = np.exp(np.array(logs) - peak)
    p = weights / weights.sum()
    queued = p[agents:]
    ahead = np.arange(len(queued), dtype=np.float64)
    queue_length = float((ahead * queued).sum())
    answered = _answered_within(len(queued), agents * mu, theta, answer_seconds)
    return Abandoning(
        waits=float(queued.sum()),
        abandons=theta * queue_length / lam,
        service_level=float(p[:agents].sum() + (queued * answered).sum()),
        mean_wait=queue_length / lam,
    )


def _answered_within(places: int, free_rate: float, theta: float, seconds: float) -> np.ndarray:
    """For a caller who finds k = 0 … places − 1 callers waiting ahead: the chance an agent takes
    it within `seconds`, before it hangs up (one column of the chain's matrix exponential)."""
    answered, gone = places, places + 1
    rows, columns, rates = [], [], []
    for j in range(places):
        for column, rate in (
            (j - 1 if j else answered, free_rate + j * theta),
            (gone, theta),
            (j, -(free_rate + (j + 1) * theta)),
        ):
            rows.append(j)
            columns.append(column)
            rates.append(rate * seconds)
    chain = csr_matrix((rates, (rows, columns)), shape=(places + 2, places + 2))
    target = np.zeros(places + 2)
    target[answered] = 1.0
    return np.asarray(expm_multiply(chain, target))[:places]


def agents_needed_abandoning(
    per_hour: float,
    handle_seconds: float,
    patience_seconds: float,
    answer_seconds: float,
    target: float,
) -> int:
    """The fewest agents whose Erlang A service level reaches the target (it rises with every
    agent added), searched from Erlang C's answer."""
    if per_hour <= 0:
        return 0
    if not 0 < target < 1:
        raise ValueError(
            _("a service-level target is a share between 0 and 1: {value}").format(value=target)
        )

    def meets(agents: int) -> bool:
        level = erlang_a(agents, per_hour, handle_seconds, patience_seconds, answer_seconds)
        return bool(level.service_level >= target)

    return fewest(meets, agents_needed(per_hour, handle_seconds, answer_seconds, target))


def fewest(enough: Callable[[int], bool], guess: int) -> int:
    """The fewest agents that are `enough` (more agents never serve worse), searched from a
    guess: doubled until enough, then halved down."""
    low, high = 1, max(1, guess)
    while not enough(high):
        low, high = high + 1, high * 2
    while low < high:
        middle = (low + high) // 2
        if enough(middle):
            high = middle
        else:
            low = middle + 1
    return high


def mm_ss(seconds: float) -> str:
    """A duration as minutes:seconds, the way a call centre reads waits and patience."""
    whole = round(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


def patience(hung_up: int, seconds_waited: float) -> float | None:
    """Mean patience from a queue's history: callers who hung up over the time every caller
    waited (those answered waited without hanging up: exponential patience, censored); None
    while fewer than FEWEST_HANG_UPS hung up, too few to say."""
    if hung_up < FEWEST_HANG_UPS or seconds_waited <= 0:
        return None
    return seconds_waited / hung_up


@dataclass(frozen=True)
class Stream:
    """One tier's calls: arrival rate, handle time, lane and rank, and its answer threshold."""

    tier: str
    per_hour: float
    handle_seconds: float
    answer_seconds: float
    lane: int
    priority: int
    patience_seconds: float | None = None  # mean patience; None: nobody hangs up


@dataclass(frozen=True)
class Simulated:
    """What the simulation saw for one tier."""

    offered: int
    within: int
    mean_wait: float
    abandoned: int = 0

    @property
    def level(self) -> float:
        """Share answered within the threshold."""
        return self.within / self.offered if self.offered else 1.0


def simulate(
    streams: list[Stream], agents: int, hours: float, seed: int = 7
) -> dict[str, Simulated]:
    """Poisson arrivals and exponential handle times into one priority queue served by `agents`,
    callers hanging up after an exponential patience where their stream has one: per tier, calls
    offered, answered within threshold, mean wait (of the answered), hung up."""
    rng = random.Random(seed)
    horizon = hours * 3600.0
    events: list[tuple[float, int, int, int]] = []  # (time, order, kind 0=arrival 1=free, stream)
    order = 0
    for i, stream in enumerate(streams):
        t = rng.expovariate(stream.per_hour / 3600.0) if stream.per_hour > 0 else horizon + 1
        heapq.heappush(events, (t, order, 0, i))
        order += 1
    # (lane, priority, arrival, order, stream, hangs up at): a caller who hung up is dropped when
    # it would have been answered, which frees its place exactly as hanging up does.
    waiting: list[tuple[int, int, float, int, int, float]] = []
    free = agents
    offered = [0] * len(streams)
    within = [0] * len(streams)
    waits = [0.0] * len(streams)
    answered = [0] * len(streams)
    abandoned = [0] * len(streams)
    while events:
        now, _order, kind, i = heapq.heappop(events)
        if kind == 0:
            if now > horizon:
                continue
            stream = streams[i]
            offered[i] += 1
            patient = stream.patience_seconds
            gives_up = now + rng.expovariate(1.0 / patient) if patient else math.inf
            heapq.heappush(waiting, (stream.lane, stream.priority, now, order, i, gives_up))
            order += 1
            heapq.heappush(events, (now + rng.expovariate(stream.per_hour / 3600.0), order, 0, i))
            order += 1
        else:
            free += 1
        while free and waiting:
            _lane, _rank, arrived, _o, j, gives_up = heapq.heappop(waiting)
            if gives_up < now:
                abandoned[j] += 1
                continue
            free -= 1
            answered[j] += 1
            wait = now - arrived
            waits[j] += wait
            within[j] += wait <= streams[j].answer_seconds
            heapq.heappush(
                events, (now + rng.expovariate(1.0 / streams[j].handle_seconds), order, 1, j)
            )
            order += 1
    return {
        s.tier: Simulated(
            offered[i], within[i], waits[i] / answered[i] if answered[i] else 0.0, abandoned[i]
        )
        for i, s in enumerate(streams)
    }
