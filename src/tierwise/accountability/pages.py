"""My portfolio: customers by tier, obligations due and overdue, items to answer, scorecards."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from tierwise.accountability.models import (
    AccountabilityItem,
    ItemStatus,
    ReasonCode,
    Task,
    TaskStatus,
)
from tierwise.accountability.reads import visible_scorecards
from tierwise.accountability.scorecard import Card
from tierwise.accountability.usecases import answer_item, change_owner
from tierwise.customers.models import Customer
from tierwise.customers.pages import PAGE_ROWS
from tierwise.customers.scopes import customer_filter
from tierwise.i18n import _
from tierwise.identity.access import require
from tierwise.identity.roles import Permission
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
    cards: list[Card] = []
    changes: dict[str, float | None] = {}
    if principal.can(Permission.SCORECARDS_READ):
        period = f"{today:%Y-%m}"
        result, cards = visible_scorecards(uow.connection, session, principal, period, today)
        changes = {c.code: result.change(c.code, "profit") for c in cards}
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
    answer_item(uow, principal, item_id, reason, explanation)
    uow.commit()
    return redirect_with(request, "/portfolio", _("Answer sent for review."))


@router.post("/customers/reassign", response_model=None)
async def reassign(request: Request, uow: UowDep, principal: PagePrincipal) -> Response:
    """Hand the ticked customers to another owner, each within capacity; report what moved."""
    require(principal, Permission.ASSIGNMENTS_WRITE)
    form = await request.form()
    codes = [str(c) for c in form.getlist("codes")][:PAGE_ROWS]
    staff, reason = str(form.get("staff") or ""), str(form.get("reason") or "").strip()
    moved, refused = [], []
    for code in codes:
        try:
            with uow.session.begin_nested():
                change_owner(uow, principal, code, staff, reason, as_of_today())
            moved.append(code)
        except (ValueError, LookupError) as exc:
            refused.append(f"{code}: {exc}")
    uow.commit()
    message = _("{moved} customers moved to {staff}.").format(moved=len(moved), staff=staff)
    if refused:
        message += " " + _("Not moved: {refused}").format(refused="; ".join(refused[:5]))
    return redirect_with(request, "/customers", message)
