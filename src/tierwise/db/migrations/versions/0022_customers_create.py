"""staff who win or answer customers may add one

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 21:30:00

Adding a single customer or prospect (the console, the API, the command line, a caller the desk
does not know) asks for its own permission. 0006 seeds the roles as the code has them now, so a
new database already has it; a database made before gets it for the roles the code gives it to.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CREATE = "customers.create"
GIVEN_TO = ("admin", "manager", "account_manager", "csr")
ROLES = sa.table("roles", sa.column("code", sa.String), sa.column("permissions", sa.JSON))


def _set_permissions(code: str, permissions: list[str]) -> None:
    op.execute(ROLES.update().where(ROLES.c.code == code).values(permissions=permissions))


def upgrade() -> None:
    stored = op.get_bind().execute(sa.select(ROLES.c.code, ROLES.c.permissions)).all()
    for code, permissions in stored:
        if code in GIVEN_TO and CREATE not in permissions:
            _set_permissions(code, [*permissions, CREATE])


def downgrade() -> None:
    stored = op.get_bind().execute(sa.select(ROLES.c.code, ROLES.c.permissions)).all()
    for code, permissions in stored:
        if CREATE in permissions:
            _set_permissions(code, [p for p in permissions if p != CREATE])
