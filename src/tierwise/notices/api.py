"""Notices to customers over HTTP: read the outbox, approve drafts."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, StrictInt

from tierwise.identity.access import Principal
from tierwise.identity.roles import Permission
from tierwise.notices import service
from tierwise.notices.models import NoticeEvent, NoticeStatus
from tierwise.web.deps import UowDep, allowed
from tierwise.web.problems import error_responses
from tierwise.web.types import MAX_ID

router = APIRouter(tags=["notices"])
MAX_IDS = 1000


class NoticeOut(BaseModel):
    """One notice to a customer and where it is on its way."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    customer: str
    event: NoticeEvent
    language: str
    subject: str
    body: str
    status: NoticeStatus
    error: str | None
    created_at: dt.datetime
    approved_by: str | None
    sent_at: dt.datetime | None


class ApprovalIn(BaseModel):
    """The drafts to approve, by number."""

    ids: list[Annotated[StrictInt, Field(ge=1, le=MAX_ID)]] = Field(
        min_length=1, max_length=MAX_IDS
    )


class ApprovalOut(BaseModel):
    """The drafts approved, and the numbers that named no draft."""

    approved: list[int]
    refused: list[int]


@router.get("/notices", response_model=list[NoticeOut], responses=error_responses(401, 403, 422))
def notices(
    uow: UowDep,
    status: Annotated[NoticeStatus | None, Query()] = None,
    principal: Principal = allowed(Permission.CUSTOMERS_READ),
) -> list[NoticeOut]:
    """The latest notices of the customers the caller sees, newest first."""
    return [
        NoticeOut.model_validate({**n.__dict__, "customer": c.code})
        for n, c in service.list_notices(uow.session, principal, status)
    ]


@router.post(
    "/notices/approvals", response_model=ApprovalOut, responses=error_responses(401, 403, 422)
)
def approve(
    body: ApprovalIn, uow: UowDep, principal: Principal = allowed(Permission.CUSTOMERS_WRITE)
) -> ApprovalOut:
    """Approve drafts for sending; numbers that are not drafts the caller sees are refused."""
    result = service.approve(uow, principal, body.ids)
    uow.commit()
    return ApprovalOut(approved=result.approved, refused=result.refused)
