"""payments: orders, payments, IPN callbacks, manual transfer settings, refunds, debts

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import caicaini.models.base
import caicaini.models.payments

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UTC = caicaini.models.base.UTCDateTime()
USD = sa.Numeric(12, 2)
CRYPTO = caicaini.models.payments.ExactDecimal(36, 18)
PAYMENT_STATUSES = (
    "'waiting', 'confirming', 'confirmed', 'sending', 'partially_paid', 'finished', 'failed', "
    "'expired', 'refunded', 'claimed', 'approved', 'rejected'"
)


def upgrade() -> None:
    op.create_table(
        "payment_orders",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("product", sa.String(64), nullable=False),
        sa.Column("product_kind", sa.String(8), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("price_usd", USD, nullable=False),
        sa.Column("sheet_version", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("invoice_id", sa.String(64), nullable=True),
        sa.Column("invoice_url", sa.String(1000), nullable=True),
        sa.Column("pay_currency", sa.String(16), nullable=True),
        sa.Column("pay_network", sa.String(32), nullable=True),
        sa.Column("pay_address", sa.String(200), nullable=True),
        sa.Column("amount_due", CRYPTO, nullable=True),
        sa.Column("usd_rate", CRYPTO, nullable=True),
        sa.Column("status_reason", sa.String(500), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("paid_at", UTC, nullable=True),
        sa.CheckConstraint(
            "method IN ('nowpayments', 'manual')", name=op.f("ck_payment_orders_method")
        ),
        sa.CheckConstraint(
            "product_kind IN ('plan', 'topup')", name=op.f("ck_payment_orders_product_kind")
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'claimed', 'review', 'paid', 'closed', 'rejected', 'reversed')",
            name=op.f("ck_payment_orders_status"),
        ),
        sa.CheckConstraint("price_usd >= 0", name=op.f("ck_payment_orders_price_nonnegative")),
        sa.CheckConstraint("credits >= 0", name=op.f("ck_payment_orders_credits_nonnegative")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_payment_orders_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_orders")),
    )
    op.create_index(
        "ix_payment_orders_account_created", "payment_orders", ["account_id", "created_at"]
    )
    op.create_index(op.f("ix_payment_orders_invoice_id"), "payment_orders", ["invoice_id"])
    op.create_index(op.f("ix_payment_orders_status"), "payment_orders", ["status"])

    op.create_table(
        "payments",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("order_id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("provider_payment_id", sa.String(64), nullable=False),
        sa.Column("parent_payment_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_rank", sa.Integer(), nullable=False),
        sa.Column("is_open", sa.Boolean(), nullable=False),
        sa.Column("price_amount", CRYPTO, nullable=True),
        sa.Column("price_currency", sa.String(16), nullable=True),
        sa.Column("pay_currency", sa.String(16), nullable=True),
        sa.Column("pay_amount", CRYPTO, nullable=True),
        sa.Column("actually_paid", CRYPTO, nullable=True),
        sa.Column("payer_address", sa.String(200), nullable=True),
        sa.Column("tx_hash", sa.String(200), nullable=True),
        sa.Column("review", sa.String(8), nullable=False),
        sa.Column("review_reason", sa.String(300), nullable=True),
        sa.Column("suggested_credits", sa.Integer(), nullable=True),
        sa.Column("granted_credits", sa.Integer(), nullable=True),
        sa.Column("period_id", sa.String(40), nullable=True),
        sa.Column("granted_at", UTC, nullable=True),
        sa.Column("reversed_at", UTC, nullable=True),
        sa.Column("provider_data", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("checked_at", UTC, nullable=False),
        sa.CheckConstraint(
            "provider IN ('nowpayments', 'manual')", name=op.f("ck_payments_provider")
        ),
        sa.CheckConstraint(f"status IN ({PAYMENT_STATUSES})", name=op.f("ck_payments_status")),
        sa.CheckConstraint(
            "review IN ('none', 'open', 'resolved')", name=op.f("ck_payments_review")
        ),
        sa.CheckConstraint(
            "suggested_credits IS NULL OR suggested_credits >= 0",
            name=op.f("ck_payments_suggested"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_payments_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["payment_orders.id"], name=op.f("fk_payments_order_id_payment_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint(
            "provider", "provider_payment_id", name=op.f("uq_payments_provider_provider_payment_id")
        ),
        sa.UniqueConstraint("tx_hash", name=op.f("uq_payments_tx_hash")),
    )
    op.create_index(op.f("ix_payments_account_id"), "payments", ["account_id"])
    op.create_index(op.f("ix_payments_order_id"), "payments", ["order_id"])
    op.create_index("ix_payments_open", "payments", ["provider", "is_open", "checked_at"])

    op.create_table(
        "payment_callbacks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("provider_payment_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.Column("processed_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_callbacks")),
        sa.UniqueConstraint(
            "provider",
            "provider_payment_id",
            "status",
            name=op.f("uq_payment_callbacks_provider_provider_payment_id_status"),
        ),
    )
    op.create_index(
        op.f("ix_payment_callbacks_processed_at"), "payment_callbacks", ["processed_at"]
    )

    op.create_table(
        "manual_addresses",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("currency", sa.String(16), nullable=False),
        sa.Column("network", sa.String(32), nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_manual_addresses")),
        sa.UniqueConstraint(
            "currency", "network", name=op.f("uq_manual_addresses_currency_network")
        ),
    )
    op.create_table(
        "manual_rates",
        sa.Column("currency", sa.String(16), nullable=False),
        sa.Column("usd", CRYPTO, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint("CAST(usd AS NUMERIC) > 0", name=op.f("ck_manual_rates_usd_positive")),
        sa.PrimaryKeyConstraint("currency", name=op.f("pk_manual_rates")),
    )

    op.create_table(
        "payment_refunds",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("payment_id", sa.String(40), nullable=False),
        sa.Column("order_id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("reason_kind", sa.String(16), nullable=False),
        sa.Column("reason_ref", sa.String(1000), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("holds", sa.JSON(), nullable=False),
        sa.Column("currency", sa.String(16), nullable=False),
        sa.Column("destination", sa.String(200), nullable=False),
        sa.Column("gross_amount", CRYPTO, nullable=False),
        sa.Column("network_fee", CRYPTO, nullable=False),
        sa.Column("amount", CRYPTO, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("tx_hash", sa.String(200), nullable=True),
        sa.Column("created_by", sa.String(40), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("paid_at", UTC, nullable=True),
        sa.CheckConstraint(
            "status IN ('frozen', 'paid', 'cancelled')", name=op.f("ck_payment_refunds_status")
        ),
        sa.CheckConstraint(
            "reason_kind IN ('incident', 'failed_requests')",
            name=op.f("ck_payment_refunds_reason_kind"),
        ),
        sa.CheckConstraint("credits > 0", name=op.f("ck_payment_refunds_credits_positive")),
        sa.CheckConstraint(
            "CAST(network_fee AS NUMERIC) >= 0 AND CAST(amount AS NUMERIC) > 0",
            name=op.f("ck_payment_refunds_amounts"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_payment_refunds_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["payment_orders.id"],
            name=op.f("fk_payment_refunds_order_id_payment_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_refunds_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_refunds")),
        sa.UniqueConstraint("tx_hash", name=op.f("uq_payment_refunds_tx_hash")),
    )
    op.create_index(op.f("ix_payment_refunds_account_id"), "payment_refunds", ["account_id"])
    op.create_index(op.f("ix_payment_refunds_payment_id"), "payment_refunds", ["payment_id"])

    op.create_table(
        "payment_debts",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("payment_id", sa.String(40), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("usd", USD, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint("credits > 0", name=op.f("ck_payment_debts_credits_positive")),
        sa.CheckConstraint(
            "status IN ('open', 'settled', 'written_off')", name=op.f("ck_payment_debts_status")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_payment_debts_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"], ["payments.id"], name=op.f("fk_payment_debts_payment_id_payments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_debts")),
        sa.UniqueConstraint("payment_id", name=op.f("uq_payment_debts_payment_id")),
    )
    op.create_index(op.f("ix_payment_debts_account_id"), "payment_debts", ["account_id"])


def downgrade() -> None:
    for table in (
        "payment_debts",
        "payment_refunds",
        "manual_rates",
        "manual_addresses",
        "payment_callbacks",
        "payments",
        "payment_orders",
    ):
        op.drop_table(table)
