"""Who owns each customer: by the tier's rules, within each person's capacity, with history.

Capacity is counted in tier weights over the customers a person owns whose status is active;
inactive staff keep nothing and absent staff get nothing new. A run takes a transaction-wide lock
(`lock`), so concurrent runs never double-assign.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, RowMapping, func, insert, select, update

from tierwise.accountability.models import Assignment, AssignmentReason, AssignmentRole, Task
from tierwise.customers.choices import CustomerStatus
from tierwise.customers.models import Customer
from tierwise.i18n import _
from tierwise.jobs.cursors import EventCursor
from tierwise.organisation.models import Staff, StaffAbsence, StaffRole, TaskKind
from tierwise.organisation.rules import OrgRules, OwnerRule
from tierwise.tiering.models import CustomerTier

LOCK_KEY = 7_146_301
"""The advisory lock an assignment run holds on PostgreSQL."""


@dataclass
class Person:
    """A staff member as assignment sees them."""

    id: int
    code: str
    role: str
    level: str
    team: str | None
    capacity: int | None
    active: bool
    absent: bool
    load: float = 0.0
    csr_load: int = 0

    def fits(self, rule: OwnerRule) -> bool:
        """Whether this person may own a customer under the rule."""
        return (
            self.role in rule.roles
            and (rule.level is None or self.level == rule.level)
            and (rule.team is None or self.team == rule.team)
        )

    def room(self, weight: float) -> bool:
        """Whether one more customer of this weight stays within capacity."""
        return self.capacity is None or self.load + weight <= self.capacity


@dataclass
class RunResult:
    """What a run changed."""

    owners: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    csrs: int = 0
    unassigned: list[int] = field(default_factory=list)
    handovers: int = 0


def lock(conn: Connection) -> None:
    """Serialise assignment runs: an advisory lock on PostgreSQL; on SQLite, a write before any
    read, so a second run waits for the first to commit instead of reading what it replaces."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")
    else:
        cursors = EventCursor.__table__
        conn.execute(update(cursors).where(cursors.c.consumer == "assignment").values(last_id=0))


def staff(conn: Connection, today: dt.date) -> dict[int, Person]:
    """Every staff member with whether they are away today and what they carry."""
    s, a = Staff.__table__, StaffAbsence.__table__
    away = set(
        conn.execute(
            select(a.c.staff_id).where(a.c.starts_on <= today, a.c.ends_on >= today)
        ).scalars()
    )
    people = {
        r.id: Person(r.id, r.code, r.role, r.level, r.team, r.capacity, r.active, r.id in away)
        for r in conn.execute(
            select(s.c.id, s.c.code, s.c.role, s.c.level, s.c.team, s.c.capacity, s.c.active)
        )
    }
    return people


def run(
    conn: Connection,
    rules: OrgRules,
    today: dt.date,
    author: str | None = None,
    only: int | None = None,
) -> RunResult:
    """Give every customer (or `only` the one with that id) an owner and CSR consistent with its
    tier, within everyone's capacity; idempotent."""
    lock(conn)
    people = staff(conn, today)
    c, ct = Customer.__table__, CustomerTier.__table__
    rows = conn.execute(
        select(c.c.id, c.c.status, c.c.owner_id, c.c.csr_id, ct.c.tier)
        .select_from(c.outerjoin(ct, ct.c.customer_id == c.c.id))
        .order_by(c.c.id)
    ).all()
    for row in rows:
        rules_of = rules.for_tier(row.tier)
        if row.status == CustomerStatus.ACTIVE and row.owner_id in people:
            people[row.owner_id].load += rules_of.weight if rules_of else 1.0
        if row.csr_id in people:
            people[row.csr_id].csr_load += 1
    open_owner = _open_assignments(conn, AssignmentRole.OWNER)
    open_csr = _open_assignments(conn, AssignmentRole.CSR)
    turn: dict[str, int] = defaultdict(int)
    result = RunResult()
    for row in rows:
        if row.status == CustomerStatus.CHURNED or row.tier is None or only not in (None, row.id):
            continue
        if row.status == CustomerStatus.PROSPECT and row.owner_id in people:
            continue  # prospects stay with whoever is winning them until they buy
        tier_rules = rules.for_tier(row.tier)
        if tier_rules is None or tier_rules.owner is None:
            continue
        current = people.get(row.owner_id) if row.owner_id else None
        if current and current.active and current.fits(tier_rules.owner):
            if row.id not in open_owner:
                _open(conn, row.id, current.id, AssignmentRole.OWNER, today, AssignmentReason.RULE)
        else:
            reason = (
                AssignmentReason.RULE
                if current is None
                else AssignmentReason.STAFF_UNAVAILABLE
                if not current.active
                else AssignmentReason.TIER_CHANGE
            )
            chosen = pick(people, tier_rules.owner, tier_rules.weight, row.tier, turn)
            if chosen is None:
                result.unassigned.append(row.id)
                continue
            move_owner(
                conn, row.id, current, chosen, today, reason, None, author, rules.handover_days
            )
            if row.status == CustomerStatus.ACTIVE:
                chosen.load += tier_rules.weight
                if current:
                    current.load -= tier_rules.weight
            result.owners[row.tier] += 1
            result.handovers += int(current is not None and current.active)
        if tier_rules.csr:
            result.csrs += _ensure_csr(conn, people, row, today, open_csr)
    return result


def _open_assignments(conn: Connection, role: AssignmentRole) -> set[int]:
    a = Assignment.__table__
    return set(
        conn.execute(
            select(a.c.customer_id).where(a.c.role == role, a.c.ends_on.is_(None))
        ).scalars()
    )


def pick(
    people: dict[int, Person], rule: OwnerRule, weight: float, tier: str, turn: dict[str, int]
) -> Person | None:
    """An eligible person with room: the least loaded (for capacity), or the next in turn."""
    eligible = [
        p for p in people.values() if p.active and not p.absent and p.fits(rule) and p.room(weight)
    ]
    if not eligible:
        return None
    if rule.pick == "round_robin":
        eligible.sort(key=lambda p: p.id)
        chosen = eligible[turn[tier] % len(eligible)]
        turn[tier] += 1
        return chosen
    return min(eligible, key=lambda p: (p.load / p.capacity if p.capacity else p.load, p.id))


def _ensure_csr(
    conn: Connection, people: dict[int, Person], row: object, today: dt.date, open_csr: set[int]
) -> int:
    """A dedicated CSR for a tier that has one: keep a working one, else the least loaded."""
    current = people.get(row.csr_id) if row.csr_id else None  # type: ignore[attr-defined]
    customer_id: int = row.id  # type: ignore[attr-defined]
    if current and current.active:
        if customer_id not in open_csr:
            _open(conn, customer_id, current.id, AssignmentRole.CSR, today, AssignmentReason.RULE)
        return 0
    csrs = [
        p
        for p in people.values()
        if p.role == StaffRole.CSR
        and p.active
        and not p.absent
        and (p.capacity is None or p.csr_load < p.capacity)
    ]
    if not csrs:
        return 0
    chosen = min(csrs, key=lambda p: (p.csr_load, p.id))
    _close(conn, customer_id, AssignmentRole.CSR, today)
    _open(conn, customer_id, chosen.id, AssignmentRole.CSR, today, AssignmentReason.RULE)
    conn.execute(
        update(Customer.__table__)
        .where(Customer.__table__.c.id == customer_id)
        .values(csr_id=chosen.id)
    )
    chosen.csr_load += 1
    return 1


def _open(
    conn: Connection,
    customer_id: int,
    staff_id: int,
    role: AssignmentRole,
    today: dt.date,
    reason: AssignmentReason,
    note: str | None = None,
    author: str | None = None,
) -> None:
    conn.execute(
        insert(Assignment.__table__).values(
            customer_id=customer_id,
            staff_id=staff_id,
            role=role,
            starts_on=today,
            reason=reason,
            note=note,
            author=author,
        )
    )


def _close(conn: Connection, customer_id: int, role: AssignmentRole, today: dt.date) -> None:
    a = Assignment.__table__
    conn.execute(
        update(a)
        .where(a.c.customer_id == customer_id, a.c.role == role, a.c.ends_on.is_(None))
        .values(ends_on=today)
    )


def move_owner(
    conn: Connection,
    customer_id: int,
    old: Person | None,
    new: Person,
    today: dt.date,
    reason: AssignmentReason,
    note: str | None,
    author: str | None,
    handover_days: int,
) -> None:
    """Make `new` the owner from today; the old owner, if still working, gets a hand-over task."""
    _close(conn, customer_id, AssignmentRole.OWNER, today)
    _open(conn, customer_id, new.id, AssignmentRole.OWNER, today, reason, note, author)
    c = Customer.__table__
    conn.execute(update(c).where(c.c.id == customer_id).values(owner_id=new.id))
    if old is not None and old.active and old.id != new.id:
        conn.execute(
            insert(Task.__table__).values(
                customer_id=customer_id,
                staff_id=old.id,
                kind=TaskKind.HANDOVER,
                opened_on=today,
                due_on=today + dt.timedelta(days=handover_days),
                source="assignment",
                note=_("hand over to {code}").format(code=new.code),
            )
        )


def load_of(conn: Connection, rules: OrgRules, staff_id: int) -> float:
    """A person's load in tier weights over the active customers they own."""
    c, ct = Customer.__table__, CustomerTier.__table__
    tiers = conn.execute(
        select(ct.c.tier, func.count())
        .select_from(c.outerjoin(ct, ct.c.customer_id == c.c.id))
        .where(c.c.owner_id == staff_id, c.c.status == CustomerStatus.ACTIVE)
        .group_by(ct.c.tier)
    ).all()
    return sum((r.weight if (r := rules.for_tier(t)) else 1.0) * n for t, n in tiers)


def owners_history(conn: Connection, customer_id: int) -> list[RowMapping]:
    """Every owner and CSR a customer has had, newest first."""
    a, s = Assignment.__table__, Staff.__table__
    return list(
        conn.execute(
            select(a, s.c.code, s.c.name)
            .join(s, s.c.id == a.c.staff_id)
            .where(a.c.customer_id == customer_id)
            .order_by(a.c.starts_on.desc(), a.c.id.desc())
        ).mappings()
    )
