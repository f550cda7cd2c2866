"""Each staff member's inbox: notifications raised once per key, counted, listed, marked read.

A notification keeps its kind and parameters, not a sentence: the capability that raises a kind
words it in the reader's language when it is shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tierwise.i18n import _
from tierwise.organisation.models import StaffNotification

NEWEST = 100


@dataclass(frozen=True)
class Notification:
    """One notification as its recipient reads it."""

    id: int
    kind: str
    parameters: dict[str, Any]
    link: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None


def notify(
    conn: Connection,
    recipient_id: int,
    kind: str,
    parameters: dict[str, Any],
    key: str,
    now: dt.datetime,
    link: str | None = None,
) -> bool:
    """Raise a notification unless the recipient already has one with this key; True if new.
    Two runs at once raise it once: the second insert yields to the first."""
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    n = StaffNotification.__table__
    made = conn.execute(
        dialect.insert(n)
        .values(
            recipient_id=recipient_id,
            kind=kind,
            parameters=parameters,
            link=link,
            key=key,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["recipient_id", "key"])
        .returning(n.c.id)
    ).first()
    return made is not None


def raised(conn: Connection, keys: set[str]) -> set[str]:
    """Which of these keys some notification already carries (for anyone)."""
    if not keys:
        return set()
    n = StaffNotification.__table__
    return set(conn.execute(select(n.c.key).where(n.c.key.in_(keys)).distinct()).scalars())


def unread_count(conn: Connection, recipient_id: int) -> int:
    """How many notifications the staff member has not read yet."""
    n = StaffNotification.__table__
    return int(
        conn.execute(
            select(func.count()).where(n.c.recipient_id == recipient_id, n.c.read_at.is_(None))
        ).scalar_one()
    )


def notifications(
    conn: Connection, recipient_id: int, unread_only: bool = False, limit: int = NEWEST
) -> list[Notification]:
    """The staff member's notifications, newest first."""
    n = StaffNotification.__table__
    query = select(n.c.id, n.c.kind, n.c.parameters, n.c.link, n.c.created_at, n.c.read_at).where(
        n.c.recipient_id == recipient_id
    )
    if unread_only:
        query = query.where(n.c.read_at.is_(None))
    rows = conn.execute(query.order_by(n.c.created_at.desc(), n.c.id.desc()).limit(limit))
    return [Notification(**row._mapping) for row in rows]


def mark_read(conn: Connection, recipient_id: int, notification_id: int, now: dt.datetime) -> None:
    """Mark one of the staff member's notifications read; another's looks as if absent."""
    n = StaffNotification.__table__
    found = conn.execute(
        select(n.c.read_at).where(n.c.id == notification_id, n.c.recipient_id == recipient_id)
    ).first()
    if found is None:
        raise LookupError(_("no notification {id}").format(id=notification_id))
    if found.read_at is None:
        conn.execute(update(n).where(n.c.id == notification_id).values(read_at=now))


def mark_all_read(conn: Connection, recipient_id: int, now: dt.datetime) -> int:
    """Mark every unread notification of the staff member read; returns how many."""
    n = StaffNotification.__table__
    result = conn.execute(
        update(n).where(n.c.recipient_id == recipient_id, n.c.read_at.is_(None)).values(read_at=now)
    )
    return int(result.rowcount)
