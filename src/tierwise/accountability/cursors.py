"""Where each consumer of an event stream stands, so every event is handled once."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from tierwise.accountability.models import EventCursor


def read_cursor(conn: Connection, consumer: str) -> int:
    """The last id the consumer has read (a new consumer starts at 0)."""
    e = EventCursor.__table__
    last = conn.execute(select(e.c.last_id).where(e.c.consumer == consumer)).scalar()
    if last is None:
        conn.execute(insert(e).values(consumer=consumer, last_id=0))
        return 0
    return int(last)


def advance_cursor(conn: Connection, consumer: str, last_id: int) -> None:
    """Remember that the consumer has read up to `last_id`."""
    e = EventCursor.__table__
    conn.execute(update(e).where(e.c.consumer == consumer).values(last_id=last_id))
