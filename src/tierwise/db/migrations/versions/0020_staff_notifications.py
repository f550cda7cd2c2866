"""staff notifications

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 21:30:00

Each staff member's inbox: a kind with its parameters (worded in the reader's language when
shown), a link, and a key so the same warning is raised once per recipient.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tierwise.db.base

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_notifications",
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=True),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("created_at", tierwise.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("read_at", tierwise.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["staff.id"],
            name=op.f("fk_staff_notifications_recipient_id_staff"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_notifications")),
        sa.UniqueConstraint(
            "recipient_id", "key", name=op.f("uq_staff_notifications_recipient_id_key")
        ),
    )
    with op.batch_alter_table("staff_notifications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_staff_notifications_recipient_id"), ["recipient_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("staff_notifications")
