"""What a policy would do to the latest snapshot, without writing anything; and value per tier."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Boolean, Date, Float, Integer, Numeric, select
from sqlalchemy.orm import Session

from tierwise.analytics.extract import fetch
from tierwise.analytics.models import AnalyticsRun, CustomerIndicator
from tierwise.analytics.service import NoSnapshot
from tierwise.customers.models import Customer
from tierwise.i18n import _
from tierwise.runtime import App
from tierwise.tiering.engine import active_policy, overrides
from tierwise.tiering.grading import PROSPECTS, grade, not_buying
from tierwise.tiering.kinds import CUSTOMER_FILE_COLUMNS, PROSPECT_FACTORS
from tierwise.tiering.models import TierEvaluation, TierPolicy
from tierwise.tiering.policy import Policy, load_policy
from tierwise.tiering.terms_effect import TermsEffect, terms_effect

VALUE_COLUMNS = ("sales_12m", "gross_profit", "clv")


@dataclass(frozen=True)
class TierShare:
    """How many customers a tier holds and its share of 12-month sales, profit and CLV; the
    prospects' line (tier PROSPECTS) also counts their grades."""

    tier: str
    customers: int
    sales_share: float | None
    profit_share: float | None
    clv_share: float | None
    grades: dict[str, int] = field(default_factory=dict)


def value_shares(
    tiers: np.ndarray, table: pa.Table, order: list[str], prospects: np.ndarray | None = None
) -> list[TierShare]:
    """Customers and value shares per tier, in the policy's order; the prospects, if given, on a
    line of their own after the tiers."""
    sums = {n: np.nan_to_num(_numbers(table, n)) for n in VALUE_COLUMNS}
    totals = {n: float(v.sum()) for n, v in sums.items()}
    apart = np.zeros(len(tiers), dtype=bool) if prospects is None else prospects

    def share(code: str, member: np.ndarray, grades: dict[str, int]) -> TierShare:
        part = {n: float(sums[n][member].sum()) / totals[n] if totals[n] else None for n in sums}
        customers = int(member.sum())
        return TierShare(
            code, customers, part["sales_12m"], part["gross_profit"], part["clv"], grades
        )

    shares = [share(code, (tiers == code) & ~apart, {}) for code in order]
    if prospects is not None:
        grades = {code: int((tiers[apart] == code).sum()) for code in order}
        shares.append(share(PROSPECTS, apart, {c: n for c, n in grades.items() if n}))
    return shares


def prospects_in(
    table: pa.Table, basis: np.ndarray, tiers: np.ndarray, policy: Policy
) -> np.ndarray:
    """The prospects of a snapshot table graded `basis`, placed in `tiers`."""
    blacklist = policy.blacklist.code if policy.blacklist else None
    return not_buying(basis, _numbers(table, "orders"), tiers, blacklist)


def _numbers(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)


def _arrow_type(sql_type: object) -> pa.DataType:
    if isinstance(sql_type, Boolean):
        return pa.bool_()
    if isinstance(sql_type, Integer):
        return pa.int64()
    if isinstance(sql_type, Numeric | Float):
        return pa.float64()
    if isinstance(sql_type, Date):
        return pa.date32()
    return pa.string()


def snapshot_table(app: App, run: AnalyticsRun) -> pa.Table:
    """A stored run's indicators with the customer-file columns a policy reads, by customer id."""
    ci, c = CustomerIndicator.__table__, Customer.__table__
    indicator_columns = [col for col in ci.columns if col.name != "run_id"]
    file_columns = [c.c[n] for n in ("code", "name", *CUSTOMER_FILE_COLUMNS, *PROSPECT_FACTORS)]
    file_columns = [col for col in file_columns if col.name not in ci.c]
    columns = [*indicator_columns, *file_columns]
    query = (
        select(*columns)
        .select_from(ci.join(c, c.c.id == ci.c.customer_id))
        .where(ci.c.run_id == run.id)
        .order_by(ci.c.customer_id)
    )
    schema = pa.schema([(col.name, _arrow_type(col.type)) for col in columns])
    return fetch(app.engine, {"run": (query, schema)})["run"]


@dataclass(frozen=True)
class Simulation:
    """The proposed grading next to the current one."""

    as_of: dt.date
    policy: Policy
    current: list[TierShare]
    proposed: list[TierShare]
    matrix: dict[tuple[str | None, str], int]
    movers: pa.Table
    terms_now: dict[str, TermsEffect] = field(default_factory=dict)
    terms_proposed: dict[str, TermsEffect] = field(default_factory=dict)


def simulate(app: App, source: str, source_name: str, as_of: dt.date | None = None) -> Simulation:
    """Grade the latest (or the as-of) snapshot under a proposed policy; nothing is written."""
    policy = load_policy(source, source_name)
    with app.uow(reads=True) as uow:
        run = _run(uow.session, as_of)
    table = snapshot_table(app, run)
    grades = grade(policy, table, run.as_of)
    proposed = grades.qualified.copy()
    codes = [t.code for t in policy.tiers]
    position = {code: i for i, code in enumerate(codes)}
    ids = table.column("customer_id").to_numpy(zero_copy_only=False)
    with app.uow(reads=True) as uow:
        fixed, floor, _expired = overrides(uow.connection, ids, run.as_of, position)
        active = active_policy(uow.connection)
    lookup = np.array(codes, dtype=object)
    held = floor >= 0
    lifted = held & (floor < np.array([position[q] for q in proposed]))
    proposed[lifted] = lookup[floor[lifted]]
    proposed[fixed >= 0] = lookup[fixed[fixed >= 0]]
    if policy.blacklist is not None:
        listed = np.asarray(table.column("status").to_pylist(), dtype=object) == "blacklisted"
        proposed[listed] = policy.blacklist.code
    current = np.asarray(table.column("tier").to_pylist(), dtype=object)
    current_order = [*codes, *sorted({c for c in current if c and c not in codes})]
    basis_now = np.asarray(table.column("tier_basis").to_pylist(), dtype=object)
    prospects_now = prospects_in(table, basis_now, current, policy)
    return Simulation(
        as_of=run.as_of,
        policy=policy,
        current=value_shares(current, table, current_order, prospects_now),
        proposed=value_shares(
            proposed, table, codes, prospects_in(table, grades.basis, proposed, policy)
        ),
        matrix=dict(Counter(zip(current.tolist(), proposed.tolist(), strict=True))),
        movers=_movers(table, current, proposed, position),
        terms_now=terms_effect(active.policy if active else None, current, table),
        terms_proposed=terms_effect(policy, proposed, table),
    )


def _run(session: Session, as_of: dt.date | None) -> AnalyticsRun:
    query = select(AnalyticsRun).order_by(AnalyticsRun.as_of.desc()).limit(1)
    if as_of is not None:
        query = select(AnalyticsRun).where(AnalyticsRun.as_of == as_of)
    run = session.scalar(query)
    if run is None and as_of is not None:
        raise LookupError(
            _("no snapshot as of {as_of}; run: tierwise recompute --as-of {as_of}").format(
                as_of=as_of
            )
        )
    if run is None:
        raise NoSnapshot()
    return run


def _movers(
    table: pa.Table, current: np.ndarray, proposed: np.ndarray, position: dict[str, int]
) -> pa.Table:
    """Customers whose tier would change, the most valuable first."""
    moved = np.flatnonzero(current != proposed)
    before = np.array([position.get(c, -1) if c else -1 for c in current[moved]])
    after = np.array([position[c] for c in proposed[moved]])
    profit = np.nan_to_num(_numbers(table, "gross_profit")[moved])
    order = np.argsort(-np.abs(profit), kind="stable")
    picked = pa.array(moved[order], pa.int64())
    direction = np.select(
        [before[order] < 0, after[order] < before[order]], ["new", "up"], default="down"
    )
    return pa.table(
        {
            "code": table.column("code").take(picked),
            "name": table.column("name").take(picked),
            "current_tier": pa.array(current[moved[order]].tolist(), pa.string()),
            "proposed_tier": pa.array(proposed[moved[order]].tolist(), pa.string()),
            "direction": pa.array(direction.tolist(), pa.string()),
            **{n: pc.round(table.column(n).take(picked), 2) for n in VALUE_COLUMNS},
        }
    )


def distribution(app: App) -> tuple[Policy, list[TierShare], dt.date]:
    """Customers and value shares per tier in the latest graded snapshot."""
    ci = CustomerIndicator.__table__
    with app.uow(reads=True) as uow:
        run = _run(uow.session, None)
        evaluation = uow.session.scalar(
            select(TierEvaluation).where(TierEvaluation.run_id == run.id)
        )
        if evaluation is None:
            raise LookupError(
                _("the snapshot of {as_of} has no tiers; apply a policy and recompute").format(
                    as_of=run.as_of
                )
            )
        policy_row = uow.session.get(TierPolicy, evaluation.policy_id)
        assert policy_row is not None
    policy = load_policy(policy_row.source, f"version {policy_row.version}")
    columns = ("tier", "tier_basis", "orders", *VALUE_COLUMNS)
    query = select(*(ci.c[n] for n in columns)).where(ci.c.run_id == run.id)
    schema = pa.schema(
        [("tier", pa.string()), ("tier_basis", pa.string()), ("orders", pa.float64())]
        + [(n, pa.float64()) for n in VALUE_COLUMNS]
    )
    table = fetch(app.engine, {"tiers": (query, schema)})["tiers"]
    tiers = np.asarray(table.column("tier").to_pylist(), dtype=object)
    basis = np.asarray(table.column("tier_basis").to_pylist(), dtype=object)
    prospects = prospects_in(table, basis, tiers, policy)
    codes = [t.code for t in policy.tiers]
    return policy, value_shares(tiers, table, codes, prospects), run.as_of
