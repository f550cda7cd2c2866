"""development stages before the first purchase, and share of wallet

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 20:15:00

A prospect judged not worth pursuing (不合格者) is recorded as the customer status
`disqualified`, so the status column is one character wider and its check names the new value.
Customers carry an estimate of their yearly spend in our category (`wallet_estimate`), and each
snapshot the share of it we won (`share_of_wallet`) and whether our sales went past it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ("prospect", "active", "dormant", "churned", "blacklisted")
CHECK = "ck_customers_customerstatus"


def _status(values: Sequence[str]) -> sa.Enum:
    return sa.Enum(
        *values,
        name="customerstatus",
        native_enum=False,
        create_constraint=False,
        length=max(len(v) for v in values),
    )


def _restatus(old: Sequence[str], new: Sequence[str]) -> None:
    """Widen or narrow the status column and replace its check with one naming `new`."""
    allowed = ", ".join(f"'{v}'" for v in new)
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CHECK), type_="check")
        batch_op.alter_column(
            "status", existing_type=_status(old), type_=_status(new), existing_nullable=False
        )
        batch_op.create_check_constraint("customerstatus", sa.text(f"status IN ({allowed})"))


def upgrade() -> None:
    _restatus(STATUSES, ("prospect", "disqualified", *STATUSES[1:]))
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("wallet_estimate", sa.Numeric(precision=18, scale=2), nullable=True)
        )
    with op.batch_alter_table("customer_indicators", schema=None) as batch_op:
        batch_op.add_column(sa.Column("share_of_wallet", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("wallet_exceeded", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("customer_indicators", schema=None) as batch_op:
        batch_op.drop_column("wallet_exceeded")
        batch_op.drop_column("share_of_wallet")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("wallet_estimate")
    op.execute("UPDATE customers SET status = 'prospect' WHERE status = 'disqualified'")
    _restatus(("prospect", "disqualified", *STATUSES[1:]), STATUSES)
