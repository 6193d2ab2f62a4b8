"""signup_rules: the configurable one-person-one-account rules

Revision ID: signup_rules
Revises: drafts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import caicaini.models.base

revision = "signup_rules"
down_revision = "drafts"
branch_labels = None
depends_on = None

UTC = caicaini.models.base.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "signup_rules",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("block_linked_devices", sa.Boolean(), nullable=False),
        sa.Column("block_linked_ips", sa.Boolean(), nullable=False),
        sa.Column("second_free_by_device", sa.Boolean(), nullable=False),
        sa.Column("updated_by", sa.String(40), nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signup_rules")),
    )


def downgrade() -> None:
    op.drop_table("signup_rules")
