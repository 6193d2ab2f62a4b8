"""drafts: price-sheet drafts edited in the console before they are scheduled

Revision ID: drafts
Revises: chat_html
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import caicaini.models.base

revision = "drafts"
down_revision = "chat_html"
branch_labels = None
depends_on = None

UTC = caicaini.models.base.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "price_sheet_drafts",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("published_version", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(40), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'scheduled', 'discarded')",
            name=op.f("ck_price_sheet_drafts_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_sheet_drafts")),
    )


def downgrade() -> None:
    op.drop_table("price_sheet_drafts")
