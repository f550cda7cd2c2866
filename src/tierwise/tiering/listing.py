"""What the tier engine adds to the customer list and file: each row's tier, the list filtered
by tier, and on the 360 why the customer holds its tier and the tiers it held."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tierwise.customers.models import Customer
from tierwise.customers.service import CustomerFileRead, CustomersFiltered, CustomersListed
from tierwise.db.session import UnitOfWork
from tierwise.tiering.models import CustomerTier
from tierwise.tiering.service import explanation_view, history

HISTORY_SHOWN = 10


def tiers_of_rows(uow: UnitOfWork, fact: CustomersListed) -> dict[str, Any]:
    """Each listed customer's tier, in one query."""
    rows = uow.session.execute(
        select(CustomerTier.customer_id, CustomerTier.tier).where(
            CustomerTier.customer_id.in_(fact.customer_ids)
        )
    )
    return {"tiers": dict(rows.all())}


def tier_condition(uow: UnitOfWork, fact: CustomersFiltered) -> dict[str, Any]:
    """The customers holding the tier asked for."""
    if fact.tier is None:
        return {}
    holding = select(CustomerTier.customer_id).where(CustomerTier.tier == fact.tier)
    return {"tier": Customer.id.in_(holding)}


def tier_of_file(uow: UnitOfWork, fact: CustomerFileRead) -> dict[str, Any]:
    """On the 360: the tier with its checks and gaps (None before the first grading) and the
    latest tiers held."""
    customer = uow.session.get(Customer, fact.customer_id)
    if not fact.whole or customer is None:
        return {}
    try:
        explained: dict[str, Any] | None = explanation_view(uow.session, customer.code)
    except LookupError:
        explained = None
    return {"tier": explained, "history": history(uow.session, customer.code)[:HISTORY_SHOWN]}
