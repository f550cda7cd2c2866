"""A customer added by hand is graded at once and its tier's owner rules apply, on SQLite and
PostgreSQL (the demo world holds a tier policy and organisation rules)."""

from __future__ import annotations

from sqlalchemy import select

from tierwise.accountability.models import Assignment, AssignmentReason, AssignmentRole
from tierwise.customers import usecases
from tierwise.customers.choices import CustomerStatus
from tierwise.customers.models import Customer
from tierwise.identity.access import SYSTEM
from tierwise.tiering.models import CustomerTier

from ..support.api_world import AS_OF, World


def test_a_new_prospect_is_graded_at_once_and_given_an_owner_by_its_tier(world: World) -> None:
    with world.app.uow() as uow:  # never committed: the world stays as it was
        code = usecases.create_prospect(uow, SYSTEM, "来电的新客户", "13511112222", AS_OF)
        customer = uow.session.scalars(select(Customer).where(Customer.code == code)).one()
        tier = uow.session.get(CustomerTier, customer.id)
        owners = uow.session.execute(
            select(Assignment.staff_id, Assignment.reason, Assignment.starts_on).where(
                Assignment.customer_id == customer.id, Assignment.role == AssignmentRole.OWNER
            )
        ).all()
    assert customer.status == CustomerStatus.PROSPECT
    assert tier is not None and tier.tier
    assert customer.owner_id is not None
    assert owners == [(customer.owner_id, AssignmentReason.RULE, AS_OF)]
