"""sums of amounts widened to Numeric(28, 2)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 15:50:00

Indicators, category profits and accountability values hold sums of order lines; at
Numeric(18, 2) a thousand lines of the largest accepted amount overflowed PostgreSQL's column
and every later recompute failed. SQLite ignores the precision but keeps the declared type.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUMS = {
    "customer_indicators": (
        "sales",
        "cost",
        "gross_profit",
        "sales_12m",
        "sales_prev_12m",
        "avg_monthly_sales",
        "avg_quarterly_sales",
        "avg_annual_sales",
        "expected_spend",
        "clv",
    ),
    "category_profits": ("profit",),
    "accountability_items": ("value_at_stake",),
}


def _retype(old: sa.Numeric, new: sa.Numeric) -> None:
    for table, columns in SUMS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.alter_column(column, existing_type=old, type_=new)


def upgrade() -> None:
    _retype(sa.Numeric(precision=18, scale=2), sa.Numeric(precision=28, scale=2))


def downgrade() -> None:
    _retype(sa.Numeric(precision=28, scale=2), sa.Numeric(precision=18, scale=2))
