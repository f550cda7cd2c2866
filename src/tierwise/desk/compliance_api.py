"""SLA compliance over HTTP: per agent or team, the clocks kept and the calls answered in time."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from tierwise.desk.compliance import compliance
from tierwise.identity.access import Principal
from tierwise.identity.roles import Permission
from tierwise.web.deps import AppDep, UowDep, allowed
from tierwise.web.problems import error_responses
from tierwise.web.types import IsoDate

router = APIRouter(tags=["service desk"])


class ComplianceLine(BaseModel):
    """One agent or team: clocks due in the period, on time and late; breaches; calls."""

    name: str = Field(description="the agent's or the team's name")
    team: str
    agents: int
    first_due: int
    first_met: int
    first_late: int
    first_share: float | None = Field(description="on time over on time plus late")
    resolution_due: int
    resolution_met: int
    resolution_late: int
    resolution_share: float | None
    breaches: int
    calls_answered: int
    calls_within: int = Field(description="answered within the tier's answer threshold")
    calls_share: float | None


@router.get(
    "/service/compliance",
    response_model=list[ComplianceLine],
    responses=error_responses(401, 403, 422),
)
def compliance_lines(
    app: AppDep,
    uow: UowDep,
    first: Annotated[IsoDate, Query(alias="from", description="first day, company time zone")],
    last: Annotated[IsoDate, Query(alias="to", description="last day, included")],
    by: Literal["agent", "team"] = "agent",
    principal: Principal = allowed(Permission.TICKETS_READ),
) -> list[ComplianceLine]:
    """Per agent (managers: their team; others: themselves) or per team, over the period."""
    found = compliance(
        uow.connection, principal, app.settings.timezone, (first, last), by, dt.datetime.now(dt.UTC)
    )
    return [
        ComplianceLine.model_validate(
            {name: getattr(row, name) for name in ComplianceLine.model_fields}
        )
        for row in found.rows
    ]
