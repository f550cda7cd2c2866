"""The tier step of a recompute: grade the snapshot, move tiers by the policy, keep the evidence."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa
from sqlalchemy import Connection, or_, select

from tierwise.db.bulk import select_arrow
from tierwise.errors import Conflict
from tierwise.tiering import dynamics
from tierwise.tiering.grading import Grades, grade
from tierwise.tiering.models import CustomerTier, TierEvaluation, TierOverride, TierPolicy
from tierwise.tiering.policy import Policy, load_policy


class EvaluatedLater(Conflict, RuntimeError):
    """Tiers move forward in time only: an older as-of date cannot be evaluated again."""


@dataclass(frozen=True)
class Evaluation:
    """A policy applied to one snapshot: grades, moves, and everyone's state before and after."""

    policy_id: int
    version: int
    policy: Policy
    as_of: dt.date
    customer_ids: np.ndarray
    grades: Grades
    before: dynamics.State
    outcome: dynamics.Outcome
    codes: list[str]

    def tier_codes(self, positions: np.ndarray) -> np.ndarray:
        """Tier positions as codes (None where there is none)."""
        lookup = np.array([*self.codes, None], dtype=object)
        return lookup[np.where(positions == dynamics.NONE, len(self.codes), positions)]


@dataclass(frozen=True)
class ActivePolicy:
    """The policy in force: its row id, version number and parsed document."""

    id: int
    version: int
    policy: Policy


def active_policy(conn: Connection) -> ActivePolicy | None:
    """The policy in force, if one has been applied."""
    policies = TierPolicy.__table__
    row = conn.execute(
        select(policies.c.id, policies.c.version, policies.c.source).where(policies.c.active)
    ).first()
    if row is None:
        return None
    return ActivePolicy(row.id, row.version, _parsed(row.source, row.version))


@lru_cache(maxsize=8)
def _parsed(source: str, version: int) -> Policy:
    """Versions never change once applied, so each is parsed and validated once per process."""
    return load_policy(source, f"version {version}")


def evaluate(
    conn: Connection, table: pa.Table, as_of: dt.date, backend: Any | None = None
) -> Evaluation | None:
    """Grade a snapshot table (sorted by customer_id) and move tiers; writes nothing."""
    active = active_policy(conn)
    if active is None:
        return None
    evaluations = TierEvaluation.__table__
    latest = conn.execute(select(evaluations.c.as_of).order_by(evaluations.c.as_of.desc())).scalar()
    if latest is not None and as_of < latest:
        raise EvaluatedLater(latest)
    grades = grade(active.policy, table, as_of, backend)
    return evaluate_rows(conn, active, table, grades, as_of, allow_downgrade=True)


def evaluate_rows(
    conn: Connection,
    active: ActivePolicy,
    table: pa.Table,
    grades: Grades,
    as_of: dt.date,
    allow_downgrade: bool = False,
) -> Evaluation:
    """Move the tiers of the graded customers in `table` (sorted by customer_id); writes nothing.

    Without `allow_downgrade` only what takes effect at once moves: upgrades, overrides and the
    blacklist (a manual change or an order recorded between two recomputes)."""
    policy = active.policy
    codes = [t.code for t in policy.tiers]
    ids = table.column("customer_id").to_numpy(zero_copy_only=False)
    position = {code: i for i, code in enumerate(codes)}
    qualified = np.array([position[c] for c in grades.qualified], dtype=np.int64)
    status = np.asarray(table.column("status").to_pylist(), dtype=object)
    fixed, floor, expired = overrides(conn, ids, as_of, position)
    state = load_state(conn, ids, position)
    blacklist = policy.blacklist
    inputs = dynamics.Inputs(
        qualified=qualified,
        listed=(status == "blacklisted") & (blacklist is not None),
        fixed=fixed,
        floor=floor,
        expired=expired,
    )
    outcome = dynamics.step(
        state,
        inputs,
        as_of,
        policy.document.downgrade,
        policy.document.return_window_days,
        position[blacklist.code] if blacklist else len(codes),
        allow_downgrade,
    )
    return Evaluation(active.id, active.version, policy, as_of, ids, grades, state, outcome, codes)


def _positions(ids: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Where each of `found` (customer ids) sits in the sorted `ids`; -1 when absent."""
    at = np.searchsorted(ids, found)
    inside = at < len(ids)
    at[~inside] = 0
    return np.where(inside & (ids[at] == found), at, -1)


STATE_SCHEMA = pa.schema(
    [
        ("customer_id", pa.int64()),
        ("tier", pa.string()),
        ("since", pa.date32()),
        ("reason", pa.string()),
        ("below_since", pa.date32()),
        ("below_count", pa.int64()),
        ("counted_on", pa.date32()),
        ("warned_on", pa.date32()),
        ("upgraded_from", pa.string()),
    ]
)


def load_state(conn: Connection, ids: np.ndarray, position: dict[str, int]) -> dynamics.State:
    """Every customer's current tier and downgrade clock, aligned with `ids` (read in bulk)."""
    state = dynamics.State.empty(len(ids))
    t = CustomerTier.__table__
    table = select_arrow(conn, select(*(t.c[n] for n in STATE_SCHEMA.names)), STATE_SCHEMA)
    if table.num_rows == 0:
        return state
    at = _positions(ids, table.column("customer_id").to_numpy())
    keep = at >= 0
    at = at[keep]

    def column(name: str) -> np.ndarray:
        return table.column(name).to_numpy(zero_copy_only=False)[keep]

    def positions(name: str) -> list[int]:
        return [position.get(c, dynamics.NONE) if c else dynamics.NONE for c in column(name)]

    state.tier[at] = positions("tier")
    state.reason[at] = column("reason")
    state.upgraded_from[at] = positions("upgraded_from")
    state.below_count[at] = column("below_count")
    for name in ("since", "below_since", "counted_on", "warned_on"):
        getattr(state, name)[at] = column(name).astype("datetime64[D]")
    return state


def overrides(
    conn: Connection, ids: np.ndarray, as_of: dt.date, position: dict[str, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fixed and floor tiers in force, and who has one that ran out by `as_of` (still open)."""
    n = len(ids)
    fixed, floor = np.full(n, dynamics.NONE), np.full(n, dynamics.NONE)
    expired = np.zeros(n, dtype=bool)
    o = TierOverride.__table__
    open_ = o.c.ended_on.is_(None)
    lapsed = conn.execute(select(o.c.customer_id).where(open_, o.c.until < as_of)).scalars()
    gone = _positions(ids, np.array(list(lapsed), dtype=np.int64))
    expired[gone[gone >= 0]] = True
    current = conn.execute(
        select(o.c.customer_id, o.c.tier, o.c.floor)
        .where(open_, or_(o.c.until.is_(None), o.c.until >= as_of))
        .order_by(o.c.created_at, o.c.id)
    ).all()
    for customer_id, tier, is_floor in current:  # the latest override of a customer wins
        at = _positions(ids, np.array([customer_id]))[0]
        if at < 0 or tier not in position:
            continue
        (floor if is_floor else fixed)[at] = position[tier]
        (fixed if is_floor else floor)[at] = dynamics.NONE
    return fixed, floor, expired
