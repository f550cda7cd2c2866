"""Durable events read with cursors: how far each consumer has read an event table."""

from __future__ import annotations

from sqlalchemy import Connection, String, insert, select, update
from sqlalchemy.orm import Mapped, mapped_column

from tierwise.db.base import Base


class EventCursor(Base):
    """How far a consumer has read an event table (tier events today, service events later)."""

    __tablename__ = "event_cursors"

    consumer: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_id: Mapped[int] = mapped_column(default=0)


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
