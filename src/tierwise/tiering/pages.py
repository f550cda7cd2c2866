"""The tier policy page: the active policy, a draft to simulate, activation with confirmation."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import pyarrow as pa
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from tierwise.customers.models import Customer
from tierwise.customers.scopes import customer_filter
from tierwise.documents import DocumentRefused
from tierwise.i18n import _, current_language
from tierwise.identity.access import Principal, require
from tierwise.identity.roles import Permission
from tierwise.tiering import service
from tierwise.tiering.benefits import terms_table
from tierwise.tiering.policy import PolicyError
from tierwise.tiering.simulate import simulate
from tierwise.web.deps import AppDep, UowDep, release
from tierwise.web.pages import PagePrincipal, redirect_with
from tierwise.web.render import render

router = APIRouter(include_in_schema=False)
MOVERS = 20


def _page(
    request: Request, uow: Any, principal: Any, draft: str | None = None, **context: Any
) -> HTMLResponse:
    terms = None
    try:
        row, active_terms = service.policy_version(uow.session)
        active = row
        terms = terms_table(active_terms, current_language())
    except LookupError:
        active = None
    versions = service.policy_versions(uow.session)
    return render(
        request,
        "policy.html",
        principal,
        active=active,
        versions=versions,
        draft=draft if draft is not None else (active.source if active else ""),
        can_apply=principal.can(Permission.TIERS_APPLY),
        can_simulate=principal.can(Permission.TIERS_SIMULATE),
        terms_table=terms if terms and len(terms[0]) > 1 else None,
        **context,
    )


def _in_scope(uow: Any, principal: Principal, movers: pa.Table) -> list[dict[str, Any]]:
    """The biggest movers the reader may see (they name customers)."""
    rows = movers.slice(0, MOVERS * 20).to_pylist()
    visible = set(
        uow.session.scalars(
            select(Customer.code).where(
                Customer.code.in_([r["code"] for r in rows]), customer_filter(principal)
            )
        )
    )
    return [r for r in rows if r["code"] in visible][:MOVERS]


@router.get("/policy", response_class=HTMLResponse)
def policy(request: Request, uow: UowDep, principal: PagePrincipal) -> HTMLResponse:
    """The active policy and its versions; the draft starts as a copy of the active one."""
    require(principal, Permission.TIERS_READ)
    return _page(request, uow, principal)


@router.post("/policy/simulate", response_class=HTMLResponse)
def simulate_draft(
    request: Request,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    source: Annotated[str, Form(max_length=200_000)],
) -> HTMLResponse:
    """Grade the latest snapshot under the draft; nothing is written."""
    require(principal, Permission.TIERS_SIMULATE)
    release(uow)
    try:
        result = simulate(app, source, _("draft"))
    except (PolicyError, DocumentRefused, LookupError) as exc:
        return _page(request, uow, principal, source, status=422, error=str(exc))
    codes = [t.code for t in result.policy.tiers]
    matrix = [[result.matrix.get((old, new), 0) for new in codes] for old in codes]
    # Movers name customers: analysts see the distribution and the matrix only.
    movers = [] if principal.pseudonymous else _in_scope(uow, principal, result.movers)
    return _page(
        request,
        uow,
        principal,
        source,
        simulation=result,
        codes=codes,
        matrix=matrix,
        movers=movers,
        pairs=list(zip(result.current, result.proposed, strict=False)),
    )


@router.post("/policy/activate", response_model=None)
def activate(
    request: Request,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    source: Annotated[str, Form(max_length=200_000)],
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Apply the draft as the new active version, once the user has confirmed."""
    require(principal, Permission.TIERS_APPLY)
    if confirm != "yes":
        return _page(
            request,
            uow,
            principal,
            source,
            status=422,
            error=_("Tick the confirmation to activate the policy."),
        )
    try:
        row = service.apply_policy(uow, principal, source, _("console"))
    except (PolicyError, DocumentRefused) as exc:
        return _page(request, uow, principal, source, status=422, error=str(exc))
    uow.commit()
    message = _("Policy version {version} is active; it grades customers from the next recompute.")
    return redirect_with(request, "/policy", message.format(version=row.version))


@router.post("/customers/{code}/tier-override", response_model=None)
def override_tier(
    code: str,
    request: Request,
    app: AppDep,
    uow: UowDep,
    principal: PagePrincipal,
    tier: Annotated[str, Form(min_length=1, max_length=16)],
    reason: Annotated[str, Form(min_length=1, max_length=500)],
    until: Annotated[str, Form(max_length=10)] = "",
    floor: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Set the customer's tier by hand from the 360 page; it applies at once."""
    end = dt.date.fromisoformat(until) if until else None
    new = service.override(
        uow, principal, code, tier, reason, app.settings.today(), end, floor == "yes"
    )
    uow.commit()
    message = _("{code} is now in tier {tier}.").format(code=code, tier=new)
    return redirect_with(request, f"/customers/{code}", message)
