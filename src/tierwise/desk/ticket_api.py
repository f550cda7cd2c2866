"""Tickets over HTTP: views, opening, moves, assignment, comments and the timeline of steps."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from tierwise.customers.choices import ChurnType
from tierwise.customers.models import Customer
from tierwise.db.base import utcnow
from tierwise.desk import usecases, work
from tierwise.desk.models import Ticket, TicketComment, TicketStep
from tierwise.desk.usecases import visible_ticket
from tierwise.desk.views import View, ticket_view
from tierwise.desk.workflow import TicketKind, TicketStatus, Urgency, urgency_of
from tierwise.i18n import _, current_language
from tierwise.identity.access import Principal
from tierwise.identity.roles import Permission
from tierwise.organisation.models import Staff
from tierwise.web.deps import AppDep, UowDep, allowed
from tierwise.web.pagination import CursorQuery, LimitQuery, Page
from tierwise.web.problems import error_responses
from tierwise.web.types import RowId

router = APIRouter(tags=["service desk"])


class TicketIn(BaseModel):
    """A service request or complaint to open."""

    customer: str = Field(min_length=1, max_length=64)
    kind: TicketKind
    subject: str = Field(min_length=1, max_length=200)
    channel: str = Field(default="phone", min_length=1, max_length=20)
    override_reason: str | None = Field(
        default=None,
        max_length=500,
        description="why to open it by a channel the customer's tier does not take (else 409)",
    )


class MoveIn(BaseModel):
    """A move along the ticket's workflow."""

    to: TicketStatus
    note: str | None = Field(default=None, max_length=2000)
    department: str | None = Field(
        default=None, max_length=100, description="one of the organisation rules' departments"
    )
    csat: int | None = Field(default=None, ge=1, le=5)
    nps: int | None = Field(default=None, ge=0, le=10)
    churn_type: ChurnType | None = Field(
        default=None, description="on closing: why the customer was lost, recorded on it"
    )


class AssignIn(BaseModel):
    """Who works the ticket: a staff code or user name, or the desk's queue."""

    to: str | None = Field(default=None, min_length=1, max_length=64)
    queue: bool = Field(default=False, strict=True, description="true: back to the desk's queue")

    @model_validator(mode="after")
    def one_of(self) -> AssignIn:
        """Either a person or the queue, not both and not neither."""
        if (self.to is None) == (not self.queue):
            raise ValueError(_("give either to (a staff code or user name) or queue = true"))
        return self


class CommentIn(BaseModel):
    """A reply for the customer, or an internal note."""

    body: str = Field(min_length=1, max_length=work.COMMENT_LENGTH)
    internal: bool = Field(default=False, strict=True, description="true: staff only")


class CommentOut(BaseModel):
    """A comment on a ticket."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    at: dt.datetime
    author: str
    body: str
    internal: bool


class TicketOut(BaseModel):
    """A ticket with its tier's priority (in words too), who works it, and its SLA clocks."""

    id: int
    customer: str
    kind: TicketKind
    status: TicketStatus
    subject: str
    tier: str | None
    priority: int = Field(description="lane × 100 + tier rank: lower is more urgent")
    urgency: Urgency
    urgency_label: str = Field(description="the priority in words, in the request's language")
    assignee: str | None = Field(description="the staff code; null is the desk's queue")
    assignee_name: str | None
    department: str | None
    opened_at: dt.datetime
    first_response_due: dt.datetime
    resolution_due: dt.datetime
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None


_COLUMNS = [
    "id",
    "kind",
    "status",
    "subject",
    "tier",
    "priority",
    "department",
    "opened_at",
    "first_response_due",
    "resolution_due",
    "first_response_at",
    "resolved_at",
    "closed_at",
]


def _out(t: Ticket, customer: str, assignee: tuple[str, str] | None) -> dict[str, Any]:
    """A ticket as the API shows it; `assignee` is the staff code and name."""
    urgency = urgency_of(t.priority)
    return {
        **{name: getattr(t, name) for name in _COLUMNS},
        "customer": customer,
        "urgency": urgency,
        "urgency_label": urgency.label(current_language()),
        "assignee": assignee[0] if assignee else None,
        "assignee_name": assignee[1] if assignee else None,
    }


def _one(session: Session, principal: Principal, ticket_id: int) -> dict[str, Any]:
    """A ticket in scope as the API shows it, read afresh."""
    session.expire_all()
    t = visible_ticket(session, principal, ticket_id)
    staff = session.get(Staff, t.assignee_id) if t.assignee_id else None
    code = session.get_one(Customer, t.customer_id).code
    return _out(t, code, (staff.code, staff.name) if staff else None)


@router.get("/tickets", response_model=Page[TicketOut], responses=error_responses(401, 403, 422))
def list_tickets(
    app: AppDep,
    uow: UowDep,
    cursor: CursorQuery = None,
    limit: LimitQuery = 50,
    view: Annotated[View, Query(description="mine, team, unassigned, breaching or all")] = View.ALL,
    status: TicketStatus | None = None,
    tier: Annotated[str | None, Query(max_length=16)] = None,
    kind: TicketKind | None = None,
    principal: Principal = allowed(Permission.TICKETS_READ),
) -> dict[str, Any]:
    """Tickets of a view in your scope, most urgent first: open ones unless `status` asks for
    another (closed included); `breaching` keeps open clocks with under a quarter of their
    business-time target left or already past due."""
    lines, next_cursor = ticket_view(
        uow, principal, app.settings.timezone, utcnow(), view, status, tier, kind, cursor, limit
    )
    items = [
        _out(
            line.ticket,
            line.customer_code,
            (line.assignee_code, line.assignee or "") if line.assignee_code else None,
        )
        for line in lines
    ]
    return {"items": items, "next_cursor": next_cursor}


@router.get(
    "/tickets/{ticket_id}", response_model=TicketOut, responses=error_responses(401, 403, 404)
)
def get_ticket(
    ticket_id: RowId, uow: UowDep, principal: Principal = allowed(Permission.TICKETS_READ)
) -> dict[str, Any]:
    """One ticket."""
    return _one(uow.session, principal, ticket_id)


@router.post(
    "/tickets",
    response_model=TicketOut,
    status_code=201,
    responses=error_responses(401, 403, 404, 422),
)
def open_ticket(
    body: TicketIn,
    app: AppDep,
    uow: UowDep,
    principal: Principal = allowed(Permission.TICKETS_WRITE),
) -> dict[str, Any]:
    """Open a request or complaint; its clocks run in business hours from now, and it goes to
    the customer's CSR or owner. A channel the customer's tier does not take gets 409 unless
    `override_reason` says why."""
    ticket_id = usecases.open_ticket(
        uow,
        principal,
        app.settings.timezone,
        body.customer,
        body.kind,
        body.subject,
        body.channel,
        body.override_reason,
    )
    uow.commit()
    return _one(uow.session, principal, ticket_id)


@router.post(
    "/tickets/{ticket_id}/moves",
    response_model=TicketOut,
    responses=error_responses(401, 403, 404, 409, 422),
)
def move_ticket(
    ticket_id: RowId,
    body: MoveIn,
    app: AppDep,
    uow: UowDep,
    principal: Principal = allowed(Permission.TICKETS_WRITE),
) -> dict[str, Any]:
    """Move a ticket along its workflow; an illegal move gets 409 naming the allowed ones."""
    survey = (body.csat, body.nps) if body.csat is not None or body.nps is not None else None
    usecases.move_ticket(
        uow,
        principal,
        app.settings.timezone,
        ticket_id,
        body.to,
        body.note,
        body.department,
        survey,
        body.churn_type,
    )
    uow.commit()
    return _one(uow.session, principal, ticket_id)


@router.post(
    "/tickets/{ticket_id}/assign",
    response_model=TicketOut,
    responses=error_responses(401, 403, 404, 422),
)
def assign_ticket(
    ticket_id: RowId,
    body: AssignIn,
    uow: UowDep,
    principal: Principal = allowed(Permission.TICKETS_WRITE),
) -> dict[str, Any]:
    """Give the ticket to a staff member who works tickets, or back to the desk's queue."""
    work.assign_ticket(uow, principal, ticket_id, None if body.queue else body.to)
    uow.commit()
    return _one(uow.session, principal, ticket_id)


@router.get(
    "/tickets/{ticket_id}/comments",
    response_model=list[CommentOut],
    responses=error_responses(401, 403, 404),
)
def ticket_comments(
    ticket_id: RowId, uow: UowDep, principal: Principal = allowed(Permission.TICKETS_READ)
) -> list[TicketComment]:
    """The ticket's comments, oldest first."""
    return work.comments_of(uow.session, principal, ticket_id)


@router.post(
    "/tickets/{ticket_id}/comments",
    response_model=CommentOut,
    status_code=201,
    responses=error_responses(401, 403, 404, 422),
)
def add_comment(
    ticket_id: RowId,
    body: CommentIn,
    uow: UowDep,
    principal: Principal = allowed(Permission.TICKETS_WRITE),
) -> TicketComment:
    """Comment on a ticket: a reply for the customer, or an internal note."""
    comment = work.comment_on(uow, principal, ticket_id, body.body, body.internal, utcnow())
    uow.commit()
    return comment


@router.get(
    "/tickets/{ticket_id}/steps",
    response_model=list[dict[str, Any]],
    responses=error_responses(401, 403, 404),
)
def ticket_steps(
    ticket_id: RowId, uow: UowDep, principal: Principal = allowed(Permission.TICKETS_READ)
) -> list[dict[str, Any]]:
    """Every move of the ticket: when, from, to, who and why."""
    visible_ticket(uow.session, principal, ticket_id)
    steps = uow.session.scalars(
        select(TicketStep).where(TicketStep.ticket_id == ticket_id).order_by(TicketStep.id)
    )
    return [
        {
            "at": s.at.isoformat(),
            "from": s.from_status,
            "to": s.to_status,
            "actor": s.actor,
            "note": s.note,
        }
        for s in steps
    ]
