"""terms_text: each published Terms of Service version keeps its text

Revision ID: terms_text
Revises: signup_rules
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "terms_text"
down_revision = "signup_rules"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("terms_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("text", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("terms_versions", schema=None) as batch_op:
        batch_op.drop_column("text")
