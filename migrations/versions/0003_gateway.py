"""gateway: API keys, usage records, receipts

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import caicaini.models.base

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("hint", sa.String(length=32), nullable=False),
        sa.Column("created_at", caicaini.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", caicaini.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", caicaini.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", caicaini.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=32), nullable=True),
        sa.Column("disabled_at", caicaini.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("allowed_models", sa.JSON(), nullable=True),
        sa.Column("daily_credit_cap", sa.Integer(), nullable=True),
        sa.Column("monthly_credit_cap", sa.Integer(), nullable=True),
        sa.Column("rpm_override", sa.Integer(), nullable=True),
        sa.Column("concurrency_override", sa.Integer(), nullable=True),
        sa.Column(
            "rotation_reminded_at", caicaini.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.CheckConstraint(
            "concurrency_override IS NULL OR concurrency_override > 0",
            name=op.f("ck_api_keys_concurrency_override"),
        ),
        sa.CheckConstraint(
            "daily_credit_cap IS NULL OR daily_credit_cap >= 0", name=op.f("ck_api_keys_daily_cap")
        ),
        sa.CheckConstraint(
            "monthly_credit_cap IS NULL OR monthly_credit_cap >= 0",
            name=op.f("ck_api_keys_monthly_cap"),
        ),
        sa.CheckConstraint(
            "rpm_override IS NULL OR rpm_override > 0", name=op.f("ck_api_keys_rpm_override")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_api_keys_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_account_id"), ["account_id"], unique=False)

    op.create_table(
        "receipts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("signature", sa.String(length=64), nullable=False),
        sa.Column("created_at", caicaini.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_receipts_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
        sa.UniqueConstraint("request_id", name=op.f("uq_receipts_request_id")),
    )
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_receipts_account_id"), ["account_id"], unique=False)

    op.create_table(
        "usage_records",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("account_id", sa.String(length=40), nullable=False),
        sa.Column("key_id", sa.String(length=40), nullable=True),
        sa.Column("model", sa.String(length=100), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("endpoint", sa.String(length=16), nullable=False),
        sa.Column("stream", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_creation_input_tokens", sa.Integer(), nullable=False),
        sa.Column("cache_read_input_tokens", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("rate", sa.Integer(), nullable=False),
        sa.Column("sheet_version", sa.Integer(), nullable=False),
        sa.Column("credits_held", sa.Integer(), nullable=False),
        sa.Column("credits_charged", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", caicaini.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("credits_charged >= 0", name=op.f("ck_usage_records_credits_charged")),
        sa.CheckConstraint(
            "credits_held >= credits_charged", name=op.f("ck_usage_records_charged_within_hold")
        ),
        sa.CheckConstraint("units >= 0", name=op.f("ck_usage_records_units")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_usage_records_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_usage_records")),
    )
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_usage_records_account_created", ["account_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_usage_records_key_created", ["key_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("usage_records", schema=None) as batch_op:
        batch_op.drop_index("ix_usage_records_key_created")
        batch_op.drop_index("ix_usage_records_account_created")

    op.drop_table("usage_records")
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipts_account_id"))

    op.drop_table("receipts")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_account_id"))

    op.drop_table("api_keys")
