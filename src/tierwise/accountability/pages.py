"""My portfolio: customers by tier, obligations due and overdue, items to answer, scorecards."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tierwise.accountability import items as item_rules
from tierwise.accountability.models import (
    AccountabilityItem,
    ItemStatus,
    ReasonCode,
    Staff,
    Task,
    TaskStatus,
)
from tierwise.accountability.scorecard import scorecards
from tierwise.customers.models import Customer
from tierwise.i18n import _
from tierwise.identity.access import Principal, customer_filter, require
from tierwise.identity.audit import record
from tierwise.identity.roles import Permission, RowScope
from tierwise.tiering.engine import active_policy
from tierwise.tiering.models import CustomerTier
from tierwise.web.deps import UowDep, as_of_today
from tierwise.web.pages import PagePrincipal, redirect_with
from tierwise.web.render import render
from tierwise.web.types import RowId

router = APIRouter(include_in_schema=False)
SHOWN = 100


@router.get("/portfolio", response_class=HTMLResponse)
def portfolio(request: Request, uow: UowDep, principal: PagePrincipal) -> HTMLResponse:
    """The reader's customers by tier, their open obligations and the items awaiting an answer."""
    require(principal, Permission.TASKS_READ)
    session, today = uow.session, as_of_today()
    by_tier = session.execute(
        select(CustomerTier.tier, func.count())
        .join(Customer, Customer.id == CustomerTier.customer_id)
        .where(customer_filter(principal))
        .group_by(CustomerTier.tier)
        .order_by(CustomerTier.tier)
    ).all()
    tasks = list(
        session.scalars(
            select(Task)
            .join(Customer, Customer.id == Task.customer_id)
            .where(customer_filter(principal), Task.status == TaskStatus.OPEN)
            .order_by(Task.due_on)
            .limit(SHOWN)
        )
    )
    items = list(
        session.scalars(
            select(AccountabilityItem)
            .join(Customer, Customer.id == AccountabilityItem.customer_id)
            .where(
                customer_filter(principal),
                AccountabilityItem.status.in_(
                    [ItemStatus.OPEN, ItemStatus.ACTION_REQUIRED, ItemStatus.ANSWERED]
                ),
            )
            .order_by(AccountabilityItem.raised_on.desc())
            .limit(SHOWN)
        )
    )
    ids = {t.customer_id for t in tasks} | {i.customer_id for i in items}
    codes = dict(
        session.execute(select(Customer.id, Customer.code).where(Customer.id.in_(ids))).all()
    )
    cards = []
    changes: dict[str, float | None] = {}
    if principal.can(Permission.SCORECARDS_READ):
        policy = active_policy(uow.connection)
        order = [t.code for t in policy.policy.tiers] if policy else []
        period = f"{today:%Y-%m}"
        result = scorecards(uow.connection, period, order, today)
        changes = {c.code: result.change(c.code, "profit") for c in result.owners}
        cards = result.owners
        if principal.row_scope is not RowScope.ALL:
            cards = (
                [c for c in cards if principal.team is not None and c.team == principal.team]
                if principal.row_scope is RowScope.TEAM
                else [c for c in cards if _mine(session, principal, c.code)]
            )
    return render(
        request,
        "portfolio.html",
        principal,
        by_tier=by_tier,
        changes=changes,
        tasks=tasks,
        items=items,
        codes=codes,
        today=today,
        reasons=list(ReasonCode),
        cards=cards,
        can_answer=principal.can(Permission.ITEMS_ANSWER),
        can_review=principal.can(Permission.ITEMS_REVIEW),
    )


def _mine(session: Session, principal: Principal, code: str) -> bool:
    """Whether the scorecard with staff `code` is the reader's own."""
    me = session.get(Staff, principal.staff_id) if principal.staff_id else None
    return me is not None and me.code == code


@router.post("/portfolio/items/{item_id}/answer")
def answer(
    request: Request,
    item_id: RowId,
    uow: UowDep,
    principal: PagePrincipal,
    reason: Annotated[ReasonCode, Form()],
    explanation: Annotated[str, Form(min_length=1, max_length=5000)],
) -> RedirectResponse:
    """The owner's reason and explanation for an item."""
    require(principal, Permission.ITEMS_ANSWER)
    visible = uow.session.scalar(
        select(AccountabilityItem.id)
        .join(Customer, Customer.id == AccountabilityItem.customer_id)
        .where(AccountabilityItem.id == item_id, customer_filter(principal))
    )
    if visible is None:
        raise LookupError(_("no accountability item {id}").format(id=item_id))
    item_rules.answer(uow.session, item_id, reason, explanation)
    record(uow.session, principal, "answer", "accountability_item", str(item_id))
    uow.commit()
    return redirect_with(request, "/portfolio", _("Answer sent for review."))
