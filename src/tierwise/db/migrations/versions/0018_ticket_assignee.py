"""tickets have an assignee

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 21:10:00

A ticket is worked by a person: the customer's CSR or owner when it is opened, or nobody (the
desk's queue). Open tickets recorded before get their customer's CSR or owner.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_tickets_assignee_id"), ["assignee_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_tickets_assignee_id_staff"), "staff", ["assignee_id"], ["id"]
        )
    op.execute(
        "UPDATE tickets SET assignee_id = (SELECT COALESCE(c.csr_id, c.owner_id) FROM customers c"
        " WHERE c.id = tickets.customer_id) WHERE status <> 'closed'"
    )


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_tickets_assignee_id_staff"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_tickets_assignee_id"))
        batch_op.drop_column("assignee_id")
