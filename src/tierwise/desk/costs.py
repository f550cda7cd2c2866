"""What the desk tells the read side about serving a customer: its tickets and complaints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, Select, case, cast, func, null, select

from tierwise.desk.models import Ticket
from tierwise.desk.workflow import TicketKind


def service_events(as_of: dt.date, day_ends: dt.datetime) -> Select[Any]:
    """Tickets and complaints opened per customer before the as-of day ends, for its
    cost-to-serve."""
    t = Ticket.__table__
    kind = case((t.c.kind == TicketKind.COMPLAINT, "complaint"), else_="ticket")
    return (
        select(t.c.customer_id, kind, cast(func.count(), Float), cast(null(), Float))
        .where(t.c.opened_at < day_ends)
        .group_by(t.c.customer_id, kind)
    )
