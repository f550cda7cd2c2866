"""Use cases of the tier engine: apply a policy, grade in the recompute, explain, override."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from enum import Enum
from typing import Any

import pyarrow as pa
from sqlalchemy import Connection, exists, func, select, update
from sqlalchemy.orm import Session

from tierwise.analytics.models import AnalyticsRun, CustomerIndicator
from tierwise.analytics.service import latest_run
from tierwise.customers.choices import CustomerStatus
from tierwise.customers.models import Customer
from tierwise.customers.scopes import visible_customer
from tierwise.customers.service import get_customer
from tierwise.db.base import plain
from tierwise.db.session import UnitOfWork
from tierwise.i18n import _, current_language
from tierwise.identity.access import Principal, require
from tierwise.identity.audit import record
from tierwise.identity.operator import UNMASKED
from tierwise.identity.roles import Permission
from tierwise.sales.models import Order
from tierwise.tiering import engine, store
from tierwise.tiering.explain import Explanation, progress, reads, shown_gap, tier_checks
from tierwise.tiering.grading import PROSPECT, VALUE, counts_apart
from tierwise.tiering.kinds import CUSTOMER_FILE_COLUMNS, PROSPECT_FACTORS
from tierwise.tiering.models import (
    CustomerTier,
    TierEvaluation,
    TierHistory,
    TierOverride,
    TierPolicy,
)
from tierwise.tiering.policy import Policy, PolicyError, load_policy
from tierwise.tiering.regrade import grade_now, regrade_now


class NoPolicy(LookupError):
    """No tier policy has been applied."""

    def __init__(self) -> None:
        super().__init__(_("no tier policy yet; apply one: tierwise tiers policy apply FILE"))


@dataclass
class TierStep:
    """The tier step of a recompute: grade before the snapshot is stored, write after."""

    name = "tiers"
    engine_backend: Any | None = None
    evaluation: engine.Evaluation | None = None
    table: pa.Table | None = None

    def prepare(self, conn: Connection, table: pa.Table, as_of: dt.date) -> pa.Table:
        """Grade the snapshot and add the tier columns; unchanged when no policy is active."""
        self.evaluation = engine.evaluate(conn, table, as_of, self.engine_backend)
        if self.evaluation is None:
            return table
        self.table = store.with_tiers(table, self.evaluation)
        return self.table

    def finish(self, conn: Connection, run_id: int) -> None:
        """Write state, history and events for the stored run."""
        if self.evaluation is not None and self.table is not None:
            store.write(conn, self.evaluation, self.table, run_id)
            if conn.dialect.name == "postgresql":
                # Fresh planner statistics for the rewritten tier state (0.15 s at 1M rows): a
                # stale estimate made the tier filter of the customer list walk every customer.
                conn.exec_driver_sql("ANALYZE customer_tiers")

    def summary(self) -> dict[str, Any] | None:
        """Customers per tier and changes per reason, for the closing message."""
        ev = self.evaluation
        if ev is None or self.table is None:
            return None
        out = ev.outcome
        tiers = ev.tier_codes(out.state.tier)
        return {
            "version": ev.version,
            "tiers": counts_apart(tiers, store.prospects_of(ev, self.table)),
            "changes": Counter(str(r) for r in out.state.reason[out.changed]),
            "at_risk": int(out.at_risk.sum()),
        }


def apply_policy(
    uow: UnitOfWork,
    principal: Principal,
    source: str,
    source_name: str,
    author: str | None = None,
    strict: bool = False,
) -> TierPolicy:
    """Validate a policy document and make it the active version (PolicyError if invalid, or
    with `strict` if it warns); audited with who applied it."""
    require(principal, Permission.TIERS_APPLY)
    policy = load_policy(source, source_name)
    if strict and policy.warnings:
        raise PolicyError(source_name, list(policy.warnings))
    policies = TierPolicy.__table__
    latest = uow.session.scalar(select(func.max(TierPolicy.version))) or 0
    uow.connection.execute(update(policies).where(policies.c.active).values(active=False))
    row = TierPolicy(
        version=latest + 1,
        name=policy.document.name,
        source=source,
        document=policy.document.model_dump(mode="json"),
        applied_by=author or principal.username,
        active=True,
    )
    uow.session.add(row)
    uow.session.flush()
    record(uow.session, principal, "apply", "tier_policy", str(row.version), note=source_name)
    return row


def policy_version(session: Session, version: int | None = None) -> tuple[TierPolicy, Policy]:
    """The active policy, or the given version."""
    query = select(TierPolicy)
    query = (
        query.where(TierPolicy.version == version) if version else query.where(TierPolicy.active)
    )
    row = session.scalar(query)
    if row is None:
        if version:
            raise LookupError(_("there is no policy version {version}").format(version=version))
        raise NoPolicy()
    return row, load_policy(row.source, f"version {row.version}")


def policy_versions(session: Session) -> list[TierPolicy]:
    """Every version applied, newest first."""
    return list(session.scalars(select(TierPolicy).order_by(TierPolicy.version.desc())))


def _evidence_row(session: Session, run: AnalyticsRun, customer: Customer) -> dict[str, object]:
    """A customer's indicators of a run plus the customer-file columns the policy can read."""
    row = session.get(CustomerIndicator, (run.id, customer.id))
    values: dict[str, object] = {}
    if row is not None:
        values = {c.name: getattr(row, c.name) for c in CustomerIndicator.__table__.columns}
    for name in (*CUSTOMER_FILE_COLUMNS, *PROSPECT_FACTORS):
        value = values.setdefault(name, getattr(customer, name))
        if isinstance(value, Enum):
            values[name] = value.value
    values["status"] = customer.status.value
    return values


def explanation(session: Session, code: str) -> tuple[Policy, Explanation, CustomerTier | None]:
    """Why the customer holds its tier: the evidence of the assignment in force when it is newer
    than the latest evaluation (an order, an override), else that evaluation's; and what the next
    tier needs."""
    customer = get_customer(session, code)
    run = latest_run(session)
    evaluation = session.scalar(select(TierEvaluation).where(TierEvaluation.run_id == run.id))
    if evaluation is None:
        raise LookupError(
            _("the snapshot of {as_of} has no tiers; apply a policy and recompute").format(
                as_of=run.as_of
            )
        )
    state = session.get(CustomerTier, customer.id)
    assigned = _assignment_after(session, state, evaluation)
    if assigned is None:
        policy_id, as_of, context = evaluation.policy_id, run.as_of, evaluation.context
        values = _evidence_row(session, run, customer)
        basis = str(values.get("tier_basis") or "value")
        score = values.get("tier_score")
        qualified = values.get("qualified_tier")
        if "tier_basis" not in values:  # not in the snapshot yet: graded as an order would
            values, grade, _context = grade_now(
                session.connection(), active_policy(session, evaluation), customer.id, run.as_of
            )
            basis, qualified = grade.basis, grade.qualified
            score = grade.score if basis == VALUE else grade.prospect_score
    else:
        evidence = assigned.explanation
        policy_id = assigned.policy_id or evaluation.policy_id
        as_of = dt.date.fromisoformat(str(evidence["as_of"]))
        context = _context_on(session, as_of) or evaluation.context
        values = {**(evidence.get("values") or {}), "status": customer.status.value}
        basis = str(evidence.get("basis") or "value")
        score = evidence.get("score" if basis == "value" else "prospect_score")
        qualified = evidence.get("qualified")
    row = session.get(TierPolicy, policy_id)
    assert row is not None
    policy = load_policy(row.source, f"version {row.version}")
    score = float(score) if isinstance(score, int | float) else None
    checks = tier_checks(policy, values, as_of, context, basis, score)
    qualified = str(qualified or policy.value_tiers[-1].code)
    current = state.tier if state else None
    listed = policy.blacklist is not None and current == policy.blacklist.code
    prospect = (
        basis == PROSPECT
        and not listed
        and not session.scalar(select(exists().where(Order.customer_id == customer.id)))
    )
    result = Explanation(current, qualified, basis, score, as_of, row.version, checks, prospect)
    return policy, result, state


def active_policy(session: Session, evaluation: TierEvaluation) -> Policy:
    """The policy an evaluation graded with."""
    row = session.get(TierPolicy, evaluation.policy_id)
    assert row is not None
    return load_policy(row.source, f"version {row.version}")


def _assignment_after(
    session: Session, state: CustomerTier | None, evaluation: TierEvaluation
) -> TierHistory | None:
    """The history row that put the customer in its tier, if it came after the evaluation (the
    evaluation's snapshot then predates the tier and cannot explain it)."""
    if state is None or state.since < evaluation.as_of:
        return None  # held since before the evaluation, which therefore explains it
    row = session.scalar(
        select(TierHistory)
        .where(TierHistory.customer_id == state.customer_id)
        .order_by(TierHistory.effective_from.desc(), TierHistory.id.desc())
        .limit(1)
    )
    if row is None or row.tier != state.tier or "as_of" not in (row.explanation or {}):
        return None
    as_of = dt.date.fromisoformat(str(row.explanation["as_of"]))
    if as_of > evaluation.as_of or (
        as_of == evaluation.as_of and _aware(row.recorded_at) > _aware(evaluation.evaluated_at)
    ):
        return row
    return None


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _context_on(session: Session, as_of: dt.date) -> dict[str, Any] | None:
    """The cut-offs of the latest evaluation on or before a date: those an assignment made
    between recomputes was graded against."""
    return session.scalar(
        select(TierEvaluation.context)
        .where(TierEvaluation.as_of <= as_of)
        .order_by(TierEvaluation.as_of.desc())
        .limit(1)
    )


def explanation_view(session: Session, code: str) -> dict[str, Any]:
    """The explanation as plain data for the API and the console: tier names in the reader's
    language, each criterion with value, threshold, pass or fail and the gap as text."""
    policy, result, state = explanation(session, code)
    names = {t.code: t.name(current_language()) for t in policy.tiers}
    return {
        "tier": result.tier,
        "qualified": result.qualified,
        "basis": result.basis,
        "score": result.score,
        "as_of": result.as_of,
        "policy_version": result.version,
        "prospect": result.prospect,
        "since": state.since if state else None,
        "below_since": state.below_since if state else None,
        "below_count": state.below_count if state else 0,
        "checks": [
            {
                "tier": check.tier.code,
                "name": names.get(check.tier.code, check.tier.code),
                "passed": check.passed,
                "criteria": [
                    {
                        "text": c.text,
                        "reads": reads(c),
                        "progress": progress(c),
                        "passed": c.passed,
                        "value": plain(c.value),
                        "threshold": plain(c.threshold),
                        "gap": shown_gap(c),
                    }
                    for c in check.criteria
                ],
            }
            for check in result.checks
        ],
    }


@dataclass(frozen=True)
class HistoryEntry:
    """One tier a customer held, from when until when, and why."""

    row: TierHistory
    effective_to: dt.date | None


def tier_of(session: Session, principal: Principal, code: str) -> dict[str, Any]:
    """The explanation of the tier of a customer the principal may open."""
    return explanation_view(session, visible_customer(session, principal, code).code)


def tier_history_of(session: Session, principal: Principal, code: str) -> list[HistoryEntry]:
    """The tiers of a customer the principal may open, newest first."""
    return history(session, visible_customer(session, principal, code).code)


def movers_taken(uow: UnitOfWork, principal: Principal, file_name: str) -> None:
    """Put on record who takes a simulation's movers, with customers' names, before the file
    exists."""
    note = f"{UNMASKED}, to {file_name}"
    record(uow.session, principal, "export", "tier_movers", None, ["name"], note=note)


def history(session: Session, code: str) -> list[HistoryEntry]:
    """The customer's tiers, newest first, with the date each one ended."""
    customer = get_customer(session, code)
    rows = list(
        session.scalars(
            select(TierHistory)
            .where(TierHistory.customer_id == customer.id)
            .order_by(TierHistory.effective_from, TierHistory.id)
        )
    )
    ends = [r.effective_from for r in rows[1:]] + ([None] if rows else [])
    return [HistoryEntry(r, end) for r, end in zip(rows, ends, strict=True)][::-1]


def override(
    uow: UnitOfWork,
    principal: Principal,
    code: str,
    tier: str,
    reason: str,
    today: dt.date,
    until: dt.date | None = None,
    floor: bool = False,
) -> str:
    """Set the tier of a customer in scope by hand (fixed, or a floor) and apply it at once, with
    what a tier change brings; the audit keeps the old and new tier. Returns the new tier."""
    require(principal, Permission.TIERS_APPLY)
    if not reason.strip():
        raise ValueError(_("an override needs a reason"))
    _row, policy = policy_version(uow.session)
    if tier not in [t.code for t in policy.value_tiers]:
        known = ", ".join(t.code for t in policy.value_tiers)
        raise ValueError(
            _(
                "tier {tier!r} is not a tier of the policy ({known}); "
                "blacklisting is done with `tiers blacklist`"
            ).format(tier=tier, known=known)
        )
    if until is not None and until < today:
        raise ValueError(_("--until {until} is in the past").format(until=until))
    customer = visible_customer(uow.session, principal, code)
    before = _tier_of(uow.session, customer.id)
    _end_overrides(uow.connection, customer.id, today)
    uow.session.add(
        TierOverride(
            customer_id=customer.id,
            tier=tier,
            floor=floor,
            reason=reason.strip(),
            author=principal.username,
            until=until,
        )
    )
    uow.session.flush()
    new_tier = _regrade(uow, customer.id, today, principal.username, reason.strip())
    change = {"tier": [before, new_tier]}
    record(
        uow.session,
        principal,
        "override",
        "customer",
        customer.code,
        changes=change,
        note=reason.strip(),
    )
    return new_tier


def blacklist(
    uow: UnitOfWork, principal: Principal, code: str, reason: str, today: dt.date, lift: bool
) -> str:
    """Put a customer in scope on the blacklist (a manual status) or take them off, applied at
    once with what a tier change brings; audited. Returns the new tier."""
    require(principal, Permission.TIERS_APPLY)
    if not reason.strip():
        raise ValueError(_("blacklisting needs a reason"))
    customer = visible_customer(uow.session, principal, code)
    before = _tier_of(uow.session, customer.id)
    customer.status = CustomerStatus.ACTIVE if lift else CustomerStatus.BLACKLISTED
    customer.version += 1
    uow.session.flush()
    new_tier = _regrade(uow, customer.id, today, principal.username, reason.strip())
    change = {"tier": [before, new_tier]}
    action = "lift_blacklist" if lift else "blacklist"
    record(
        uow.session,
        principal,
        action,
        "customer",
        customer.code,
        changes=change,
        note=reason.strip(),
    )
    return new_tier


def _tier_of(session: Session, customer_id: int) -> str | None:
    return session.scalar(select(CustomerTier.tier).where(CustomerTier.customer_id == customer_id))


def _regrade(uow: UnitOfWork, customer_id: int, today: dt.date, author: str, note: str) -> str:
    tier = regrade_now(uow, customer_id, today, author, note)
    if tier is None:
        raise NoPolicy()
    return tier


def _end_overrides(conn: Connection, customer_id: int, today: dt.date) -> None:
    o = TierOverride.__table__
    conn.execute(
        update(o)
        .where(o.c.customer_id == customer_id, o.c.ended_on.is_(None))
        .values(ended_on=today)
    )
