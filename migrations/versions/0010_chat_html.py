"""chat_html: a reply's sanitised HTML, rendered once when it is written

Revision ID: chat_html
Revises: roles
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "chat_html"
down_revision = "roles"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_html", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.drop_column("content_html")
