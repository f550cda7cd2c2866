"""Writes an evaluation in the caller's transaction: tiers now, history with evidence, events."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
from sqlalchemy import Connection, delete, insert, update

from tierwise.db.base import utcnow
from tierwise.db.bulk import insert_arrow
from tierwise.tiering.dynamics import NONE, State
from tierwise.tiering.engine import Evaluation
from tierwise.tiering.explain import RETURN_NOTE
from tierwise.tiering.grading import counts_apart, not_buying
from tierwise.tiering.models import (
    CustomerTier,
    TierEvaluation,
    TierEventKind,
    TierHistory,
    TierOverride,
    TierReason,
)

CHUNK = 10_000


def with_tiers(table: pa.Table, evaluation: Evaluation) -> pa.Table:
    """The snapshot table with each customer's score, qualified tier, tier and basis added."""
    grades = evaluation.grades
    score = np.where(grades.basis == "value", grades.score, grades.prospect_score)
    columns = {
        "tier_score": pa.array(score, mask=np.isnan(score)),
        "qualified_tier": pa.array(list(grades.qualified), pa.string()),
        "tier": pa.array(list(evaluation.tier_codes(evaluation.outcome.state.tier)), pa.string()),
        "tier_basis": pa.array(list(grades.basis), pa.string()),
    }
    for name, values in columns.items():
        table = table.append_column(name, values)
    return table


def write(
    conn: Connection,
    evaluation: Evaluation,
    table: pa.Table,
    run_id: int | None,
    author: str | None = None,
    note: str | None = None,
) -> None:
    """Store state changes, history rows (with evidence), events and, for a recompute's run, the
    evaluation record; `author` and `note` mark a change made by hand."""
    ev, out = evaluation, evaluation.outcome
    _close_lapsed(conn, ev, everyone=run_id is not None)
    changed_state = _state_changed(ev.before, out.state)
    _write_state(conn, ev, changed_state)
    changed = np.flatnonzero(out.changed)
    if len(changed):
        history = _history(ev, table, changed, note)
        if author is not None:
            history = history.append_column(
                "author", pa.array([author] * len(changed), pa.string())
            )
        insert_arrow(conn, TierHistory.__tablename__, history)
    at_risk = np.flatnonzero(out.at_risk)
    insert_arrow(conn, "tier_events", _events(ev, changed, at_risk))
    if run_id is None:
        return
    tiers = ev.tier_codes(out.state.tier)
    conn.execute(
        insert(TierEvaluation.__table__).values(
            run_id=run_id,
            policy_id=ev.policy_id,
            as_of=ev.as_of,
            context=ev.grades.context.as_json(),
            distribution=counts_apart(tiers, prospects_of(ev, table)),
            evaluated_at=utcnow(),
        )
    )


def prospects_of(evaluation: Evaluation, table: pa.Table) -> np.ndarray:
    """Which customers of an evaluated snapshot are prospects, held apart in its distribution."""
    orders = table.column("orders").to_numpy(zero_copy_only=False).astype(np.float64)
    blacklist = evaluation.policy.blacklist
    tiers = evaluation.tier_codes(evaluation.outcome.state.tier)
    return not_buying(evaluation.grades.basis, orders, tiers, blacklist.code if blacklist else None)


def _close_lapsed(conn: Connection, ev: Evaluation, everyone: bool) -> None:
    """End the overrides that ran out, of the customers just evaluated (all of them in a
    recompute): an override ended elsewhere would lose its expiry at the next recompute."""
    o = TierOverride.__table__
    query = update(o).where(o.c.ended_on.is_(None), o.c.until < ev.as_of)
    if not everyone:
        query = query.where(o.c.customer_id.in_([int(i) for i in ev.customer_ids]))
    conn.execute(query.values(ended_on=ev.as_of))


def _differs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    if np.issubdtype(a.dtype, np.datetime64):
        return (a != b) & ~(np.isnat(a) & np.isnat(b))
    return a != b


def _state_changed(before: State, after: State) -> np.ndarray:
    fields = (
        "tier",
        "since",
        "reason",
        "below_since",
        "below_count",
        "counted_on",
        "warned_on",
        "upgraded_from",
    )
    changed = np.zeros(len(before.tier), dtype=bool)
    for name in fields:
        changed |= _differs(getattr(before, name), getattr(after, name))
    return changed


def _dates(values: np.ndarray) -> pa.Array:
    return pa.array(values.astype("datetime64[D]"), pa.date32(), mask=np.isnat(values))


def _write_state(conn: Connection, ev: Evaluation, changed: np.ndarray) -> None:
    t = CustomerTier.__table__
    existing = ev.customer_ids[changed & (ev.before.tier != NONE)]
    for start in range(0, len(existing), CHUNK):
        chunk = [int(i) for i in existing[start : start + CHUNK]]
        conn.execute(delete(t).where(t.c.customer_id.in_(chunk)))
    at = np.flatnonzero(changed)
    if not len(at):
        return
    s = ev.outcome.state
    rows = pa.table(
        {
            "customer_id": pa.array(ev.customer_ids[at], pa.int64()),
            "tier": pa.array(list(ev.tier_codes(s.tier[at])), pa.string()),
            "since": _dates(s.since[at]),
            "reason": pa.array([str(r) for r in s.reason[at]], pa.string()),
            "policy_id": pa.array(np.full(len(at), ev.policy_id), pa.int64()),
            "below_since": _dates(s.below_since[at]),
            "below_count": pa.array(s.below_count[at], pa.int64()),
            "counted_on": _dates(s.counted_on[at]),
            "warned_on": _dates(s.warned_on[at]),
            "upgraded_from": pa.array(list(ev.tier_codes(s.upgraded_from[at])), pa.string()),
        }
    )
    insert_arrow(conn, t.name, rows)


def _history(ev: Evaluation, table: pa.Table, at: np.ndarray, note: str | None) -> pa.Table:
    s, out = ev.outcome.state, ev.outcome
    notes = np.where(out.returned[at], RETURN_NOTE, np.array(note))
    return pa.table(
        {
            "customer_id": pa.array(ev.customer_ids[at], pa.int64()),
            "tier": pa.array(list(ev.tier_codes(s.tier[at])), pa.string()),
            "previous_tier": pa.array(list(ev.tier_codes(ev.before.tier[at])), pa.string()),
            "effective_from": pa.array([ev.as_of] * len(at), pa.date32()),
            "policy_id": pa.array(np.full(len(at), ev.policy_id), pa.int64()),
            "reason": pa.array([str(r) for r in s.reason[at]], pa.string()),
            "note": pa.array(list(notes), pa.string()),
            "explanation": evidence(ev, table, at),
            "recorded_at": pa.array([utcnow()] * len(at), pa.timestamp("us", tz="UTC")),
        }
    )


def evidence(ev: Evaluation, table: pa.Table, at: np.ndarray) -> pa.Array:
    """Each customer's explanation as JSON: the policy version, basis, scores and every value the
    policy read; criteria, thresholds and gaps are rendered from it (tiering.explain)."""
    names = sorted(n for n in ev.policy.indicators() if n in table.column_names)
    grades = ev.grades
    parts = table.select(names).take(pa.array(at))
    score, prospect = grades.score[at], grades.prospect_score[at]
    extra = pa.table(
        {
            "version": pa.array(np.full(len(at), ev.version), pa.int64()),
            "as_of": pa.array([ev.as_of] * len(at), pa.date32()),
            "basis": pa.array(list(grades.basis[at]), pa.string()),
            "qualified": pa.array(list(grades.qualified[at]), pa.string()),
            "score": pa.array(score, mask=np.isnan(score)),
            "prospect_score": pa.array(prospect, mask=np.isnan(prospect)),
        }
    )
    values = pa.StructArray.from_arrays(
        [parts.column(n).combine_chunks() for n in names] or [pa.nulls(len(at))],
        names or ["none"],
    )
    combined = extra.append_column("values", values)
    with duckdb.connect() as db:
        db.register("combined", combined)
        packed = db.sql(
            "SELECT to_json(struct_pack(version, as_of, basis, qualified, score, prospect_score,"
            ' "values")) AS j FROM combined'
        ).to_arrow_table()
    return packed.column("j").cast(pa.string()).combine_chunks()


def _events(ev: Evaluation, changed: np.ndarray, at_risk: np.ndarray) -> pa.Table:
    s, out = ev.outcome.state, ev.outcome
    at = np.concatenate([changed, at_risk])
    kinds = [TierEventKind.TIER_CHANGED.value] * len(changed) + [
        TierEventKind.DOWNGRADE_AT_RISK.value
    ] * len(at_risk)
    tiers = np.concatenate([s.tier[changed], _fitting(ev, at_risk)])
    previous = np.concatenate([ev.before.tier[changed], s.tier[at_risk]])
    reasons = [str(r) for r in s.reason[changed]] + [TierReason.DOWNGRADE.value] * len(at_risk)
    occurs = np.concatenate([np.full(len(changed), np.datetime64(ev.as_of, "D")), out.due[at_risk]])
    return pa.table(
        {
            "customer_id": pa.array(ev.customer_ids[at], pa.int64()),
            "kind": pa.array(kinds, pa.string()),
            "tier": pa.array(list(ev.tier_codes(tiers)), pa.string()),
            "previous_tier": pa.array(list(ev.tier_codes(previous)), pa.string()),
            "reason": pa.array(reasons, pa.string()),
            "occurs_on": _dates(occurs),
            "created_at": pa.array([utcnow()] * len(at), pa.timestamp("us", tz="UTC")),
        }
    )


def _fitting(ev: Evaluation, at: np.ndarray) -> np.ndarray:
    """The tier a warned customer is heading to: one step, or the fitting tier."""
    position = {code: i for i, code in enumerate(ev.codes)}
    fitting = np.array([position[c] for c in ev.grades.qualified[at]], dtype=np.int64)
    if ev.policy.document.downgrade.steps == "one":
        return np.minimum(ev.outcome.state.tier[at] + 1, fitting)
    return fitting
