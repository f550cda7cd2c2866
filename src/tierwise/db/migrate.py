"""Schema migrations through Alembic, configured in code so no alembic.ini is needed."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine


def alembic_config(url: str, connection: Connection | None = None) -> Config:
    """An Alembic config pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", "tierwise.db:migrations")
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str, revision: str = "head", connection: Connection | None = None) -> None:
    """Bring the database schema up to `revision`."""
    command.upgrade(alembic_config(url, connection), revision)


def downgrade(url: str, revision: str, connection: Connection | None = None) -> None:
    """Step the schema back to `revision`."""
    command.downgrade(alembic_config(url, connection), revision)


def check(url: str, connection: Connection | None = None) -> None:
    """Raise if the models and the migrations disagree (drift)."""
    command.check(alembic_config(url, connection))


def current(url: str) -> str | None:
    """The revision the database is at, or None if never migrated."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def is_current(url: str) -> bool:
    """Whether the database has every migration the installed code ships."""
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    return current(url) == head
