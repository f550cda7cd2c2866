"""rewards granted to customers by the tier policy's rules

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 15:00:00

Long-standing and referring customers are rewarded by rules of the tier policy ([[rewards]]):
the daily run grants them, a referred customer's first order credits its referrer. One row per
customer, rule and period, so a grant is never given twice.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tierwise.db.base import UTCDateTime

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rewards",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("name_zh", sa.String(length=100), nullable=False),
        sa.Column("name_en", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Numeric(precision=18, scale=2), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("used_on", sa.Date(), nullable=True),
        sa.Column("granted_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_rewards_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rewards")),
        sa.UniqueConstraint(
            "customer_id", "rule", "period", name=op.f("uq_rewards_customer_id_rule_period")
        ),
    )
    op.create_index(op.f("ix_rewards_customer_id"), "rewards", ["customer_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_rewards_customer_id"), table_name="rewards")
    op.drop_table("rewards")
