"""money: account guardrails (spend caps, low-balance alert), orders' product names in words
and the customer's own cancellation of a pending order

Revision ID: money
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import caicaini.models.base

revision = "money"
down_revision = "0004"
branch_labels = None
depends_on = None

UTC = caicaini.models.base.UTCDateTime()
OLD_STATUSES = "'pending', 'claimed', 'review', 'paid', 'closed', 'rejected', 'reversed'"
NEW_STATUSES = (
    "'pending', 'claimed', 'review', 'paid', 'closed', 'cancelled', 'rejected', 'reversed'"
)


def upgrade() -> None:
    op.create_table(
        "account_guardrails",
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("daily_credit_cap", sa.Integer(), nullable=True),
        sa.Column("monthly_credit_cap", sa.Integer(), nullable=True),
        sa.Column("low_balance_threshold", sa.Integer(), nullable=True),
        sa.Column("low_balance_alerts", sa.Boolean(), nullable=False),
        sa.Column("low_balance_alerted_at", UTC, nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint(
            "daily_credit_cap IS NULL OR daily_credit_cap >= 0",
            name=op.f("ck_account_guardrails_daily_cap"),
        ),
        sa.CheckConstraint(
            "monthly_credit_cap IS NULL OR monthly_credit_cap >= 0",
            name=op.f("ck_account_guardrails_monthly_cap"),
        ),
        sa.CheckConstraint(
            "low_balance_threshold IS NULL OR low_balance_threshold >= 0",
            name=op.f("ck_account_guardrails_threshold"),
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_account_guardrails_account_id_accounts"),
        ),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_account_guardrails")),
    )
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("product_label", sa.String(120), nullable=False, server_default="")
        )
        batch_op.drop_constraint(op.f("ck_payment_orders_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_payment_orders_status"), sa.text(f"status IN ({NEW_STATUSES})")
        )
    _name_existing_orders()


def _name_existing_orders() -> None:
    """Orders opened before names were kept get the catalogue's wording."""
    conn = op.get_bind()
    orders = sa.table(
        "payment_orders",
        sa.column("id", sa.String),
        sa.column("product", sa.String),
        sa.column("credits", sa.Integer),
        sa.column("product_label", sa.String),
    )
    for order_id, product, credits in conn.execute(
        sa.select(orders.c.id, orders.c.product, orders.c.credits)
    ):
        kind, _, name = product.partition(":")
        label = (
            f"{name.replace('-', ' ').title()} plan, one month"
            if kind == "plan"
            else f"Top-up, {credits:,} credits"
        )
        conn.execute(orders.update().where(orders.c.id == order_id).values(product_label=label))


def downgrade() -> None:
    with op.batch_alter_table("payment_orders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_payment_orders_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_payment_orders_status"), sa.text(f"status IN ({OLD_STATUSES})")
        )
        batch_op.drop_column("product_label")
    op.drop_table("account_guardrails")
