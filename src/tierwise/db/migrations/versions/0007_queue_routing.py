"""queued calls record who entered them; the telephony role routes calls

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 16:00:00

Only routed calls (identified by the telephony side or the system) serve a customer to the agent
who answers them. Calls already queued are kept as entered by hand: nobody can tell which of them
were fabricated, so none of them widens a scope any more.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tierwise.identity.roles import DEFAULT_ROLES, Permission

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROUTE = Permission.QUEUE_ROUTE.value
ROLES = sa.table(
    "roles",
    sa.column("code", sa.String),
    sa.column("permissions", sa.JSON),
    sa.column("row_scope", sa.String),
    sa.column("personal_fields", sa.JSON),
)


def _set_permissions(code: str, permissions: list[str]) -> None:
    op.execute(ROLES.update().where(ROLES.c.code == code).values(permissions=permissions))


def upgrade() -> None:
    with op.batch_alter_table("queue_contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("routed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("entered_by", sa.String(length=100), nullable=True))
    # 0006 seeds the roles as the code has them now, so a new database already has these.
    stored = dict(op.get_bind().execute(sa.select(ROLES.c.code, ROLES.c.permissions)).all())
    if "admin" in stored and ROUTE not in stored["admin"]:
        _set_permissions("admin", [*stored["admin"], ROUTE])
    if "telephony" not in stored:
        permissions, scope, fields = DEFAULT_ROLES["telephony"]
        op.bulk_insert(
            ROLES,
            [
                {
                    "code": "telephony",
                    "permissions": permissions,
                    "row_scope": scope.value,
                    "personal_fields": fields,
                }
            ],
        )


def downgrade() -> None:
    op.execute(ROLES.delete().where(ROLES.c.code == "telephony"))
    stored = op.get_bind().execute(sa.select(ROLES.c.code, ROLES.c.permissions)).all()
    for code, permissions in stored:
        if ROUTE in permissions:
            _set_permissions(code, [p for p in permissions if p != ROUTE])
    with op.batch_alter_table("queue_contacts", schema=None) as batch_op:
        batch_op.drop_column("entered_by")
        batch_op.drop_column("routed")
