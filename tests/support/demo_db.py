"""A database of the test's own holding committed demo data (ADBC reads need it committed)."""

from __future__ import annotations

import datetime as dt

from tierwise.analytics import service as analytics
from tierwise.analytics.params import AnalyticsParams
from tierwise.bootstrap import App, bootstrap
from tierwise.config import Settings
from tierwise.db import migrate
from tierwise.demo.generator import generate
from tierwise.identity.access import SYSTEM
from tierwise.tiering import service
from tierwise.tiering.policy import default_policy_text


def committed_demo(url: str, customers: int, seed: int, as_of: dt.date) -> App:
    """Migrate the database at `url`, fill it with demo data and commit."""
    migrate.upgrade(url)
    app = bootstrap(Settings(database_url=url))
    with app.uow() as uow:
        generate(uow.connection, customers=customers, seed=seed, as_of=as_of)
        uow.commit()
    return app


def graded_demo(url: str, customers: int, seed: int, as_of: dt.date) -> App:
    """Committed demo data graded by the shipped policy (its terms and reward rules included)."""
    app = committed_demo(url, customers=customers, seed=seed, as_of=as_of)
    with app.uow() as uow:
        service.apply_policy(uow, SYSTEM, default_policy_text(), "default", "test")
        uow.commit()
    with app.uow() as uow:
        analytics.recompute(uow, app.engine, as_of, AnalyticsParams(), steps=(service.TierStep(),))
        uow.commit()
    return app
