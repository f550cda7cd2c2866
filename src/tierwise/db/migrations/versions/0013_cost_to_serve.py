"""cost-to-serve and net profit in the snapshot; minutes on logged contacts; callbacks offered

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 20:30:00

Each customer's cost of being served (contacts and visits by the minute, tickets, complaints,
returns handled, credit, rewards) and the net profit after it are stored with the other
indicators; a logged contact may say how long it took. A queued call the system took out for a
callback is marked so, apart from callers who hung up (Erlang A's patience counts only those).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    "cost_contacts",
    "cost_visits",
    "cost_tickets",
    "cost_complaints",
    "cost_returns",
    "cost_credit",
    "cost_rewards",
    "cost_to_serve",
    "net_profit",
)


def upgrade() -> None:
    with op.batch_alter_table("customer_indicators") as batch:
        for name in COLUMNS:
            batch.add_column(sa.Column(name, sa.Numeric(precision=28, scale=2), nullable=True))
    with op.batch_alter_table("interactions") as batch:
        batch.add_column(sa.Column("minutes", sa.Float(), nullable=True))
    with op.batch_alter_table("queue_contacts") as batch:
        batch.add_column(
            sa.Column("offered_callback", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    # Before the mark, a callback offered by the system is known by the memo it wrote.
    op.execute(
        "UPDATE queue_contacts SET offered_callback = true WHERE status = 'abandoned' "
        "AND memo IN ('waited past the threshold: called back instead', '等待超过时限：改为回电')"
    )


def downgrade() -> None:
    with op.batch_alter_table("queue_contacts") as batch:
        batch.drop_column("offered_callback")
    with op.batch_alter_table("interactions") as batch:
        batch.drop_column("minutes")
    with op.batch_alter_table("customer_indicators") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
