"""customers remember why they were lost

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 20:00:00

The churn type (deliberately dropped by us, dropped unintentionally, lured by a competitor,
bargain hunter, lost the condition to buy) is recorded on the customer when it is known, from the
owner's answer, a closed ticket or an import; customers recorded before have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "churn_type",
                sa.Enum(
                    "dropped_by_us",
                    "unintended",
                    "competitor",
                    "bargain_hunter",
                    "no_longer_able",
                    name="churntype",
                    native_enum=False,
                    create_constraint=True,
                    length=14,
                ),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_customers_churntype"), type_="check")
        batch_op.drop_column("churn_type")
