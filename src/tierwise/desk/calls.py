"""The call in hand: an agent answers the next caller, tells who is calling, and wraps it up.

One place for the desk page, the API and the command line. An answered call stays in the agent's
hand until its wrap-up (what came of it, a memo, a follow-up) completes the entry written on the
customer's log when it was answered; the wrap-up is a logged contact like any other, so the
owner's matching tasks are done by it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, select, update

from tierwise.customers.choices import InteractionOutcome
from tierwise.customers.models import Customer, Interaction
from tierwise.customers.scopes import visible_customer
from tierwise.customers.service import ContactLogged
from tierwise.customers.usecases import create_prospect
from tierwise.db.base import as_utc
from tierwise.db.session import UnitOfWork
from tierwise.desk import queue
from tierwise.desk.models import ContactStatus, QueueContact
from tierwise.errors import Conflict
from tierwise.i18n import _
from tierwise.identity.access import Principal, require
from tierwise.identity.audit import record
from tierwise.identity.roles import Permission
from tierwise.tiering.models import CustomerTier


def agent_of(principal: Principal) -> int:
    """The staff member who answers: a user not linked to one cannot take calls."""
    if principal.staff_id is None:
        raise ValueError(_("your user is not linked to a staff member, so it cannot take calls"))
    return principal.staff_id


def take_call(uow: UnitOfWork, principal: Principal, now: dt.datetime) -> dict[str, object] | None:
    """Answer the next caller (best lane, best tier, longest waiting); None when nobody waits."""
    require(principal, Permission.QUEUE_WORK)
    return queue.take_next(uow.connection, agent_of(principal), now)


def calls_in_hand(conn: Connection, agent_id: int) -> list[int]:
    """The agent's answered calls not yet wrapped up, the latest first."""
    q = QueueContact.__table__
    return list(
        conn.execute(
            select(q.c.id)
            .where(
                q.c.taken_by == agent_id,
                q.c.status == ContactStatus.TAKEN,
                q.c.wrapped_at.is_(None),
            )
            .order_by(q.c.taken_at.desc(), q.c.id.desc())
        ).scalars()
    )


def _in_hand(conn: Connection, principal: Principal, contact_id: int) -> dict[str, object]:
    """The call if it is in this agent's hand; any other looks absent."""
    q = QueueContact.__table__
    row = (
        conn.execute(
            select(q).where(
                q.c.id == contact_id,
                q.c.taken_by == agent_of(principal),
                q.c.status == ContactStatus.TAKEN,
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise LookupError(_("call {id} is not in your hand").format(id=contact_id))
    if row["wrapped_at"] is not None:
        raise Conflict(_("call {id} is already wrapped up").format(id=contact_id))
    return dict(row)


def _attach(
    uow: UnitOfWork, principal: Principal, call: dict[str, object], customer_id: int, code: str
) -> dict[str, object]:
    """Make the customer the caller of the call in hand, and log the call on its file."""
    conn = uow.connection
    contact_id = int(str(call["id"]))
    tier = conn.execute(
        select(CustomerTier.tier).where(CustomerTier.customer_id == customer_id)
    ).scalar()
    q = QueueContact.__table__
    said = conn.execute(
        update(q)
        .where(q.c.id == contact_id, q.c.customer_id.is_(None))
        .values(customer_id=customer_id, tier=tier)
    )
    if said.rowcount != 1:  # another request said it first
        raise Conflict(_("call {id} already has its customer").format(id=contact_id))
    taken_at = as_utc(call["taken_at"])  # type: ignore[arg-type]
    queue.log_answered(
        conn, contact_id, customer_id, agent_of(principal), taken_at, _("call answered")
    )
    record(
        uow.session,
        principal,
        "update",
        "queue_contact",
        str(contact_id),
        changes={"customer": code},
    )
    return {"id": contact_id, "customer": code, "tier": tier}


def _unknown_in_hand(conn: Connection, principal: Principal, contact_id: int) -> dict[str, object]:
    """The call in hand, refused if its caller is known already."""
    call = _in_hand(conn, principal, contact_id)
    if call["customer_id"] is not None:
        raise Conflict(_("call {id} already has its customer").format(id=contact_id))
    return call


def attach_caller(
    uow: UnitOfWork, principal: Principal, contact_id: int, code: str
) -> dict[str, object]:
    """Say who an unknown caller is: a customer in scope; the call is logged on its file."""
    require(principal, Permission.QUEUE_WORK)
    call = _unknown_in_hand(uow.connection, principal, contact_id)
    customer = visible_customer(uow.session, principal, code)
    return _attach(uow, principal, call, customer.id, customer.code)


def prospect_from_call(
    uow: UnitOfWork, principal: Principal, contact_id: int, name: str
) -> dict[str, object]:
    """An unknown caller added in place as a prospect with the number they called from; the
    agent who answered serves them (their CSR, unless the new customer has one already)."""
    require(principal, Permission.QUEUE_WORK)
    call = _unknown_in_hand(uow.connection, principal, contact_id)
    code = create_prospect(uow, principal, name, str(call["caller"]))
    c = Customer.__table__
    customer_id = uow.connection.execute(select(c.c.id).where(c.c.code == code)).scalar_one()
    served = uow.connection.execute(
        update(c)
        .where(c.c.id == customer_id, c.c.csr_id.is_(None))
        .values(csr_id=agent_of(principal))
    )
    if served.rowcount:
        record(
            uow.session,
            principal,
            "update",
            "customer",
            code,
            changes={"csr_id": [None, agent_of(principal)]},
        )
    return _attach(uow, principal, call, int(customer_id), code)


def wrap_up(
    uow: UnitOfWork,
    principal: Principal,
    contact_id: int,
    outcome: InteractionOutcome,
    memo: str | None,
    follow_up: dt.datetime | None,
    now: dt.datetime,
) -> int:
    """Finish the call in hand: what came of it and the memo go on the customer's log with the
    minutes it took, a follow-up becomes a callback due then; returns the open tasks it did."""
    require(principal, Permission.QUEUE_WORK)
    conn = uow.connection
    call = _in_hand(conn, principal, contact_id)
    if follow_up is not None and follow_up <= now:
        raise ValueError(
            _("Follow-up: {value} has passed; give a time from now on").format(
                value=f"{follow_up:%Y-%m-%d %H:%M}"
            )
        )
    customer_id = call["customer_id"]
    # A caller whose file the agent may not open is wrapped up as an unknown one: nothing is
    # written on a file they cannot see.
    known = isinstance(customer_id, int) and queue.visible_code(conn, principal, customer_id)
    if follow_up is not None and not known:
        raise ValueError(_("Follow-up: say who the caller is first, so the callback has a file"))
    taken_at = as_utc(call["taken_at"])  # type: ignore[arg-type]
    q = QueueContact.__table__
    wrapped = conn.execute(
        update(q)
        .where(q.c.id == contact_id, q.c.wrapped_at.is_(None))
        .values(wrapped_at=now, memo=memo, callback_due=follow_up)
    )
    if wrapped.rowcount != 1:  # another request wrapped it up first
        raise Conflict(_("call {id} is already wrapped up").format(id=contact_id))
    record(uow.session, principal, "update", "queue_contact", str(contact_id), ["wrap_up"])
    interaction_id = call["interaction_id"]
    if not known or not isinstance(interaction_id, int) or not isinstance(customer_id, int):
        return 0
    i = Interaction.__table__
    conn.execute(
        update(i)
        .where(i.c.id == interaction_id)
        .values(
            outcome=outcome,
            memo=memo or _("call answered"),
            minutes=round(max((now - taken_at).total_seconds(), 0.0) / 60, 2),
        )
    )
    done = uow.happened(ContactLogged(customer_id, interaction_id))
    return int(done.get("tasks_done", 0))
