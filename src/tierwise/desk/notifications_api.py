"""Your notifications over HTTP: SLA warnings and breaches, worded in your language."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from tierwise.db.base import utcnow
from tierwise.desk import notifications
from tierwise.web.deps import PrincipalDep, UowDep
from tierwise.web.problems import error_responses
from tierwise.web.types import RowId

router = APIRouter(tags=["notifications"])


class NotificationOut(BaseModel):
    """One notification: its kind and parameters for programs, its words for people."""

    id: int
    kind: str = Field(examples=["sla_warning"])
    text: str = Field(examples=["Ticket 12 “账单金额有误” has used 75% of its resolution time."])
    parameters: dict[str, Any]
    link: str | None
    created_at: dt.datetime
    read_at: dt.datetime | None


class Inbox(BaseModel):
    """Your notifications, newest first, and how many you have not read."""

    unread: int
    items: list[NotificationOut]


class Marked(BaseModel):
    """How many notifications were marked read."""

    marked: int


@router.get("/notifications", response_model=Inbox, responses=error_responses(401, 403))
def list_notifications(
    uow: UowDep, principal: PrincipalDep, unread_only: bool = False
) -> dict[str, Any]:
    """Your own notifications (the staff member your user is linked to), newest first."""
    return {
        "unread": notifications.unread(uow, principal),
        "items": notifications.my_notifications(uow, principal, unread_only),
    }


@router.post(
    "/notifications/{notification_id}/read",
    status_code=204,
    responses=error_responses(401, 403, 404),
)
def read_notification(notification_id: RowId, uow: UowDep, principal: PrincipalDep) -> None:
    """Mark one of your notifications read; another's is not found."""
    notifications.read_notification(uow, principal, notification_id, utcnow())
    uow.commit()


@router.post("/notifications/read", response_model=Marked, responses=error_responses(401, 403))
def read_all(uow: UowDep, principal: PrincipalDep) -> dict[str, int]:
    """Mark all your notifications read."""
    marked = notifications.read_all(uow, principal, utcnow())
    uow.commit()
    return {"marked": marked}
