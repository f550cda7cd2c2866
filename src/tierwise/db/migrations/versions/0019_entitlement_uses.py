"""a ledger of service entitlements used

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 21:30:00

Each tier is entitled to so much service per calendar period (organisation rules); every use is a
row: how much, when, on which ticket or logged visit, by whom, and whether it went beyond what was
left (with the reason when someone chose to go beyond). One row per logged visit at most.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from tierwise.db.base import UTCDateTime

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "entitlement_uses",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "onsite_visit",
                "engineer_hours",
                "priority_repair",
                "training",
                name="entitlementkind",
                native_enum=False,
                create_constraint=True,
                length=15,
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("interaction_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=True),
        sa.Column("beyond_allowance", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_entitlement_uses_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["interaction_id"],
            ["interactions.id"],
            name=op.f("fk_entitlement_uses_interaction_id_interactions"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_entitlement_uses_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entitlement_uses")),
        sa.UniqueConstraint("interaction_id", name=op.f("uq_entitlement_uses_interaction_id")),
    )
    op.create_index(
        "ix_entitlement_uses_customer_kind_at",
        "entitlement_uses",
        ["customer_id", "kind", "at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_entitlement_uses_ticket_id"), "entitlement_uses", ["ticket_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_entitlement_uses_ticket_id"), table_name="entitlement_uses")
    op.drop_index("ix_entitlement_uses_customer_kind_at", table_name="entitlement_uses")
    op.drop_table("entitlement_uses")
