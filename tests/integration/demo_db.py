"""A database of the test's own holding committed demo data (ADBC reads need it committed)."""

from __future__ import annotations

import datetime as dt

from tierwise.bootstrap import App, bootstrap
from tierwise.config import Settings
from tierwise.db import migrate
from tierwise.demo.generator import generate


def committed_demo(url: str, customers: int, seed: int, as_of: dt.date) -> App:
    """Migrate the database at `url`, fill it with demo data and commit."""
    migrate.upgrade(url)
    app = bootstrap(Settings(database_url=url))
    with app.uow() as uow:
        generate(uow.connection, customers=customers, seed=seed, as_of=as_of)
        uow.commit()
    return app
