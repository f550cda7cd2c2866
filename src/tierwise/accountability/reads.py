"""Accountability as a signed-in reader may see and work it: rows in scope, answers, scorecards."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from tierwise.accountability.scorecard import Card, Scorecards, scorecards
from tierwise.customers.models import Customer
from tierwise.customers.scopes import customer_filter
from tierwise.i18n import _
from tierwise.identity.access import Principal
from tierwise.identity.roles import RowScope
from tierwise.organisation.models import Staff
from tierwise.tiering.engine import active_policy


def visible(session: Session, principal: Principal, model: Any, row_id: int) -> Any:
    """A task or item whose customer is in the principal's scope; others look as if absent."""
    row = session.scalar(
        select(model)
        .join(Customer, Customer.id == model.customer_id)
        .where(model.id == row_id, customer_filter(principal))
    )
    if row is None:
        raise LookupError(_("no {what} {id}").format(what=model.__tablename__, id=row_id))
    return row


def visible_scorecards(
    conn: Connection, session: Session, principal: Principal, period: str, today: dt.date
) -> tuple[Scorecards, list[Card]]:
    """The period's scorecards (for comparisons) and the owners' cards the principal may read."""
    policy = active_policy(conn)
    order = [t.code for t in policy.policy.tiers] if policy else []
    result = scorecards(conn, period, order, today)
    me = session.get(Staff, principal.staff_id) if principal.staff_id else None
    if principal.row_scope is RowScope.OWN:
        return result, [c for c in result.owners if me is not None and c.code == me.code]
    if principal.row_scope is RowScope.TEAM:
        team = me.team if me is not None else None
        return result, [c for c in result.owners if team is not None and c.team == team]
    return result, result.owners
