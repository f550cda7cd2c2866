"""customers and contacts keep their phone in one looked-up form

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 21:40:00

A caller is identified by the normal form of the number (customers.phones): "+86 138 1234 5678",
"138-1234-5678" and "013812345678" are one number. The key is added, indexed, and filled for the
rows already there.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tierwise.customers.phones import phone_key

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("customers", "contacts")
BATCH = 10_000


def upgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column("phone_key", sa.String(length=50), nullable=True))
            batch_op.create_index(batch_op.f(f"ix_{name}_phone_key"), ["phone_key"], unique=False)
        _fill(name)


def _fill(name: str) -> None:
    """Key every stored phone, a batch of rows at a time."""
    table = sa.table(name, sa.column("id", sa.Integer), sa.column("phone"), sa.column("phone_key"))
    conn = op.get_bind()
    after = 0
    while True:
        rows = conn.execute(
            sa.select(table.c.id, table.c.phone)
            .where(table.c.id > after, table.c.phone.is_not(None))
            .order_by(table.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        keyed = [{"row_id": i, "key": phone_key(p)} for i, p in rows if phone_key(p)]
        if keyed:
            conn.execute(
                table.update()
                .where(table.c.id == sa.bindparam("row_id"))
                .values(phone_key=sa.bindparam("key")),
                keyed,
            )
        after = rows[-1][0]


def downgrade() -> None:
    for name in TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{name}_phone_key"))
            batch_op.drop_column("phone_key")
