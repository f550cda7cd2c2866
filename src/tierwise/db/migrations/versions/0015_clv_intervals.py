"""standard errors of the fitted models and 90% intervals of expected purchases and CLV

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 20:00:00

Each fitted model keeps the standard errors of its parameters (from the observed information);
each customer's indicators gain the low and high ends of the interval of expected purchases and
of CLV. Runs stored before have none of them (NULL), and are shown without an interval.
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INTERVALS: dict[str, Any] = {
    "expected_purchases_low": sa.Float(),
    "expected_purchases_high": sa.Float(),
    "clv_low": sa.Numeric(precision=28, scale=2),
    "clv_high": sa.Numeric(precision=28, scale=2),
}


def upgrade() -> None:
    with op.batch_alter_table("fitted_models", schema=None) as batch_op:
        batch_op.add_column(sa.Column("standard_errors", sa.JSON(), nullable=True))
    with op.batch_alter_table("customer_indicators", schema=None) as batch_op:
        for name, kind in INTERVALS.items():
            batch_op.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customer_indicators", schema=None) as batch_op:
        for name in reversed(INTERVALS):
            batch_op.drop_column(name)
    with op.batch_alter_table("fitted_models", schema=None) as batch_op:
        batch_op.drop_column("standard_errors")
