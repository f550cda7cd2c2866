"""Demo sign-ins: an administrator with a one-time password and one user per role on real staff."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from tierwise.customers.models import Customer
from tierwise.i18n import _
from tierwise.identity import accounts
from tierwise.identity.access import SYSTEM
from tierwise.identity.audit import record
from tierwise.identity.models import User
from tierwise.organisation.models import Staff, StaffRole
from tierwise.runtime import App

DEMO_PASSWORD = "tierwise-demo"
"""Shared by the demo's role users so anyone can try each role; the demo database only."""


def _busiest(
    session: Session, role: StaffRole, column: InstrumentedAttribute[int | None]
) -> str | None:
    """The staff member of `role` with the most customers, so the demo user sees real rows."""
    query = (
        select(Staff.code)
        .join(Customer, column == Staff.id)
        .where(Staff.role == role)
        .group_by(Staff.code)
        .order_by(func.count().desc(), Staff.code)
        .limit(1)
    )
    return session.scalar(query)


def create_demo_users(app: App) -> str | None:
    """Add the demo users unless present; the admin's one-time password, if it was just made."""
    with app.uow() as uow:
        session = uow.session
        if session.scalar(select(func.count()).select_from(User)):
            return None
        admin_password = accounts.one_time_password()
        accounts.add_user(session, "admin", "管理员", "admin", admin_password)
        owner = _busiest(session, StaffRole.ACCOUNT_MANAGER, Customer.owner_id)
        boss = aliased(Staff)
        manager = session.scalar(
            select(boss.code).join(Staff, Staff.manager_id == boss.id).where(Staff.code == owner)
        )
        people = [
            ("manager", "经理", "manager", manager),
            ("am", "客户经理", "account_manager", owner),
            ("csr", "客服代表", "csr", _busiest(session, StaffRole.CSR, Customer.csr_id)),
            ("analyst", "分析师", "analyst", None),
        ]
        for username, name, role, staff in people:
            user = accounts.add_user(session, username, name, role, DEMO_PASSWORD, staff)
            user.must_change_password = False
        record(session, SYSTEM, "create_user", "user", None, note="demo users")
        uow.commit()
    return admin_password


def sign_ins(app: App) -> list[tuple[str, str, str, str | None]]:
    """(user, role, password, staff code) of every demo user, for the closing banner."""
    with app.uow() as uow:
        rows = uow.session.execute(
            select(User.username, User.role, Staff.code)
            .outerjoin(Staff, Staff.id == User.staff_id)
            .order_by(User.id)
        ).all()
    one_time = _("one-time, printed when the demo was built")
    return [(u, r, one_time if r == "admin" else DEMO_PASSWORD, s) for u, r, s in rows]
