"""The signed-in user's notifications (console and API alike): only their own, in their words."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from tierwise.db.session import UnitOfWork
from tierwise.desk import warnings
from tierwise.i18n import _
from tierwise.identity.access import Principal
from tierwise.identity.audit import record
from tierwise.organisation import inbox

WORDING: dict[str, Callable[[str, dict[str, Any]], str]] = {
    warnings.WARNING: warnings.describe,
    warnings.BREACH: warnings.describe,
}
"""How each kind of notification is put into words."""


def words(kind: str, parameters: dict[str, Any]) -> str:
    """A notification in the reader's language."""
    wording = WORDING.get(kind)
    return wording(kind, parameters) if wording else _("A notification")


def my_notifications(
    uow: UnitOfWork, principal: Principal, unread_only: bool = False
) -> list[dict[str, Any]]:
    """The principal's own notifications, newest first; none for a user who is not staff."""
    if principal.staff_id is None:
        return []
    return [
        {
            "id": n.id,
            "kind": n.kind,
            "text": words(n.kind, n.parameters),
            "parameters": n.parameters,
            "link": n.link,
            "created_at": n.created_at,
            "read_at": n.read_at,
        }
        for n in inbox.notifications(uow.connection, principal.staff_id, unread_only)
    ]


def unread(uow: UnitOfWork, principal: Principal) -> int:
    """How many of the principal's notifications are unread."""
    if principal.staff_id is None:
        return 0
    return inbox.unread_count(uow.connection, principal.staff_id)


def read_notification(
    uow: UnitOfWork, principal: Principal, notification_id: int, now: dt.datetime
) -> None:
    """Mark one of the principal's notifications read; someone else's looks as if absent."""
    if principal.staff_id is None:
        raise LookupError(_("no notification {id}").format(id=notification_id))
    inbox.mark_read(uow.connection, principal.staff_id, notification_id, now)
    record(uow.session, principal, "read", "notification", str(notification_id))


def read_all(uow: UnitOfWork, principal: Principal, now: dt.datetime) -> int:
    """Mark every unread notification of the principal read; returns how many."""
    if principal.staff_id is None:
        return 0
    marked = inbox.mark_all_read(uow.connection, principal.staff_id, now)
    record(uow.session, principal, "read_all", "notification", None, note=str(marked))
    return marked
