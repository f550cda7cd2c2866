"""What the desk tells the read side about serving a customer: its tickets and complaints."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, Select, case, cast, func, null, select

from tierwise.desk.models import Ticket
from tierwise.desk.workflow import TicketKind


def service_events(as_of: dt.date) -> Select[Any]:
    """Tickets and complaints opened per customer up to `as_of`, for its cost-to-serve."""
    t = Ticket.__table__
    kind = case((t.c.kind == TicketKind.COMPLAINT, "complaint"), else_="ticket")
    next_day = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time(), dt.UTC)
    return (
        select(t.c.customer_id, kind, cast(func.count(), Float), cast(null(), Float))
        .where(t.c.opened_at < next_day)
        .group_by(t.c.customer_id, kind)
    )
