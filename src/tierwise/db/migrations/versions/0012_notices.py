"""notices to customers in an outbox

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 16:00:00

A tier raised or lowered, a downgrade coming and a new reward each draft a notice to the
customer; staff approve the drafts and the outbox sends them. One notice per event (`source`), so
the daily run can draft again without writing twice.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tierwise.db.base import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "event",
            sa.Enum(
                "tier_up",
                "tier_down",
                "downgrade_at_risk",
                "reward",
                name="noticeevent",
                native_enum=False,
                create_constraint=True,
                length=17,
            ),
            nullable=False,
        ),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "approved",
                "sent",
                "failed",
                name="noticestatus",
                native_enum=False,
                create_constraint=True,
                length=8,
            ),
            nullable=False,
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("approved_by", sa.String(length=100), nullable=True),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("channel", sa.String(length=40), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_notices_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
        sa.UniqueConstraint("source", name=op.f("uq_notices_source")),
    )
    op.create_index(op.f("ix_notices_customer_id"), "notices", ["customer_id"], unique=False)
    op.create_index(op.f("ix_notices_status"), "notices", ["status"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_notices_status"), table_name="notices")
    op.drop_index(op.f("ix_notices_customer_id"), table_name="notices")
    op.drop_table("notices")
