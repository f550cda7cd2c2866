"""an answered call keeps its log entry and its wrap-up

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 21:30:00

The agent's desk holds the call in hand until its wrap-up (outcome, memo, follow-up) completes the
customer's log entry written when the call was answered.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tierwise.db.base

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("queue_contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("interaction_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("wrapped_at", tierwise.db.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_queue_contacts_interaction_id_interactions"),
            "interactions",
            ["interaction_id"],
            ["id"],
        )
    # Calls answered before the desk held them are finished.
    op.execute("UPDATE queue_contacts SET wrapped_at = taken_at WHERE taken_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("queue_contacts", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_queue_contacts_interaction_id_interactions"), type_="foreignkey"
        )
        batch_op.drop_column("wrapped_at")
        batch_op.drop_column("interaction_id")
