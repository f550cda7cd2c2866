"""orders remember the tier terms they were priced and paid on

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 14:00:00

Each tier now gives commercial terms (discount, payment, credit). An order records how it is
paid, which tier's terms and which policy version applied, when an order on credit falls due,
and each line its list amount and the discount given, so history says which terms applied
when. Orders recorded before have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "payment",
                sa.Enum(
                    "prepaid",
                    "on_delivery",
                    "net",
                    name="payment",
                    native_enum=False,
                    create_constraint=True,
                    length=11,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("terms_tier", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("terms_version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("due_on", sa.Date(), nullable=True))
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("list_amount", sa.Numeric(18, 2), nullable=True))
        batch_op.add_column(sa.Column("discount_percent", sa.Numeric(5, 2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("order_lines", schema=None) as batch_op:
        batch_op.drop_column("discount_percent")
        batch_op.drop_column("list_amount")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_orders_payment"), type_="check")
        batch_op.drop_column("due_on")
        batch_op.drop_column("terms_version")
        batch_op.drop_column("terms_tier")
        batch_op.drop_column("payment")
