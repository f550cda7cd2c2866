"""Console forms of sales: an order (or a return) recorded from the customer's 360 page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from tierwise.customers.pages import render_360
from tierwise.i18n import _
from tierwise.sales.pricing import TermsRefused
from tierwise.sales.service import add_order, money, quantity_of, terms_line
from tierwise.sales.terms import Payment
from tierwise.web.deps import AppDep, UowDep
from tierwise.web.pages import PagePrincipal, redirect_with

router = APIRouter(include_in_schema=False)


@router.post("/customers/{code}/orders", response_model=None)
def record_order(
    code: str,
    request: Request,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    amount: Annotated[str, Form(max_length=30)] = "",
    quantity: Annotated[str, Form(max_length=30)] = "1",
    payment: Annotated[str, Form(max_length=20)] = "",
    override: Annotated[str, Form(max_length=5)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    cost: Annotated[str, Form(max_length=30)] = "",
    order_date: Annotated[str, Form(max_length=10)] = "",
    product: Annotated[str, Form(max_length=64)] = "",
    returns: Annotated[str, Form(max_length=130)] = "",
) -> Response:
    """Record an order (or a return) for the customer on its tier terms; the tier follows at
    once. Terms that refuse it come back on the customer's page, saying what would allow it."""
    if override and not reason.strip():
        raise ValueError(_("override needs a reason: why the tier terms are overridden"))
    try:
        recorded = add_order(
            uow,
            principal,
            code,
            dt.date.fromisoformat(order_date) if order_date else None,
            money(amount, _("Amount (yuan)")) if amount.strip() else None,
            money(cost, _("Cost")) if cost else None,
            product or None,
            None,
            returns or None,
            today=app.settings.today(),
            latest_date=app.settings.latest_order_date(),
            quantity=quantity_of(quantity or "1"),
            payment=Payment(payment) if payment in set(Payment) else None,
            override=reason if override else None,
        )
    except TermsRefused as exc:
        uow.session.rollback()
        return render_360(code, request, app, uow, principal, error=str(exc), status_code=409)
    uow.commit()
    message = _("Order {code} recorded.").format(code=recorded.order.code)
    if recorded.in_force is not None:
        message = f"{message} {terms_line(recorded)}"
    if recorded.tier is not None:
        tier = _("{customer} is in tier {tier}.").format(customer=code, tier=recorded.tier)
        message = f"{message} {tier}"
    return redirect_with(request, f"/customers/{code}", message)
