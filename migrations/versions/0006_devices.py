"""devices: device authorizations (the terminal client's sign-in by an approved code)

Revision ID: devices
Revises: money
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import caicaini.models.base

revision = "devices"
down_revision = "money"
branch_labels = None
depends_on = None

UTC = caicaini.models.base.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "device_authorizations",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("device_code_hash", sa.String(64), nullable=False),
        sa.Column("user_code", sa.String(16), nullable=False),
        sa.Column("device_name", sa.String(64), nullable=False),
        sa.Column("fingerprint", sa.String(128), nullable=True),
        sa.Column("client_ip", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("refusal", sa.String(32), nullable=True),
        sa.Column("account_id", sa.String(40), nullable=True),
        sa.Column("key_id", sa.String(40), nullable=True),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("decided_at", UTC, nullable=True),
        sa.Column("last_polled_at", UTC, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'denied', 'issued')",
            name=op.f("ck_device_authorizations_status"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_device_authorizations_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_authorizations")),
        sa.UniqueConstraint(
            "device_code_hash", name=op.f("uq_device_authorizations_device_code_hash")
        ),
        sa.UniqueConstraint("user_code", name=op.f("uq_device_authorizations_user_code")),
    )
    with op.batch_alter_table("device_authorizations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_device_authorizations_ip_created", ["client_ip", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("device_authorizations", schema=None) as batch_op:
        batch_op.drop_index("ix_device_authorizations_ip_created")
    op.drop_table("device_authorizations")
