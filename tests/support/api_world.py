"""A committed demo world for the API tests: graded, owned, one user and token per role."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, or_, select
from sqlalchemy.orm import sessionmaker

from tierwise.bootstrap import App, bootstrap
from tierwise.config import Settings
from tierwise.customers.models import Customer, ProfileEntry
from tierwise.customers.phones import phone_key
from tierwise.customers.profile import ProfileSection
from tierwise.db.base import utcnow
from tierwise.demo.scenario import play
from tierwise.demo.users import DEMO_PASSWORD, create_demo_users
from tierwise.desk.models import QueueContact
from tierwise.identity import accounts
from tierwise.identity.models import User
from tierwise.organisation.models import Staff
from tierwise.server import create_app

from .demo_db import committed_demo

AS_OF = dt.date(2026, 11, 1)
ROLES = ("admin", "manager", "am", "csr", "analyst")
ADMIN_PASSWORD = "admin-password-for-tests"
OWN_FILE = {
    "phone": "13912345678",
    "email": "own@example.com",
    "address": "上海市浦东新区测试路1号",
}


@dataclass(frozen=True)
class World:
    """The committed database and the customers each role may or may not see."""

    app: App
    tokens: dict[str, str]
    own: str  # owned by "am" (so in the manager's team too), served by "csr"
    other: str  # outside every scope but the admin's
    am_staff: str  # the staff code of the "am" user
    customer_file: dict[str, str]  # the own customer's personal fields as stored
    api: FastAPI  # built once; each client points it at its own unit of work


def build_world(url: str, customers: int = 300) -> World:
    """Demo data played for two months, the demo users, a token per user, and their customers."""
    settings = Settings(database_url=url, demo=True, failed_sign_in_delay=0.0)
    committed_demo(url, customers=customers, seed=5, as_of=AS_OF)
    app = bootstrap(settings)
    play(app, AS_OF, 5, lambda _stage: None)
    create_demo_users(app)
    with app.uow() as uow:
        session = uow.session
        accounts.set_password(session, "admin", ADMIN_PASSWORD, temporary=False)
        users = {u.username: u for u in session.scalars(select(User))}
        am, csr = users["am"].staff_id, users["csr"].staff_id
        manager_team = session.get(Staff, users["manager"].staff_id).team  # type: ignore[union-attr]
        own = session.scalar(
            select(Customer.code).where(Customer.owner_id == am).order_by(Customer.code).limit(1)
        )
        session.execute(
            Customer.__table__.update()
            .where(Customer.code == own)
            .values(csr_id=csr, phone_key=phone_key(OWN_FILE["phone"]), **OWN_FILE)
        )
        own_id = session.scalar(select(Customer.id).where(Customer.code == own))
        session.execute(delete(ProfileEntry).where(ProfileEntry.customer_id == own_id))
        session.add(
            ProfileEntry(
                customer_id=own_id, section=ProfileSection.BASIC, data={"character": "爽快"}
            )
        )
        am_staff = session.get(Staff, am).code  # type: ignore[union-attr]
        team = select(Staff.id).where(Staff.team == manager_team)
        answered = select(QueueContact.customer_id).where(
            or_(QueueContact.taken_by == csr, QueueContact.callback_by == csr),
            QueueContact.customer_id.is_not(None),
        )
        other = session.scalar(
            select(Customer.code)
            .where(
                Customer.owner_id.not_in(team),
                or_(Customer.csr_id.is_(None), Customer.csr_id != csr),
                Customer.id.not_in(answered),
            )
            .order_by(Customer.code)
            .limit(1)
        )
        tokens = {
            name: accounts.issue_token(session, users[name], "tests", [], 30, utcnow())[1]
            for name in ROLES
        }
        uow.commit()
    assert own and other
    return World(app, tokens, own, other, am_staff, OWN_FILE, create_app(app))


@contextmanager
def rolled_back_client(world: World) -> Iterator[TestClient]:
    """A client whose every write is undone after the test (the app on one open transaction)."""
    with world.app.engine.connect() as conn:
        transaction = conn.begin()
        app = App(settings=world.app.settings, engine=world.app.engine)
        app.sessions = sessionmaker(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        world.api.state.tierwise = app
        try:
            with TestClient(world.api) as client:
                yield client
        finally:
            world.api.state.tierwise = world.app
            transaction.rollback()


def password_for(username: str) -> str:
    """The password each world user signs in with."""
    return ADMIN_PASSWORD if username == "admin" else DEMO_PASSWORD
