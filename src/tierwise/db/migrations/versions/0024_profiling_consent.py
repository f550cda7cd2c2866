"""a customer who withdrew analytics consent is not profiled

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 22:20:00

Each snapshot row says whether the customer's profiling values were withheld for want of
analytics consent; rows of earlier runs say nothing (null).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customer_indicators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profiling_withheld", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customer_indicators", schema=None) as batch_op:
        batch_op.drop_column("profiling_withheld")
