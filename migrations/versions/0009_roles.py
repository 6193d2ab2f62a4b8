"""roles: an operator's console role (support reads and adds notes; admin does every action)

Revision ID: roles
Revises: chat
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "roles"
down_revision = "chat"
branch_labels = None
depends_on = None

CHECK = "operator_role IS NULL OR operator_role IN ('support', 'admin')"


def upgrade() -> None:
    # Existing operators keep every power they had: an operator without a role is an admin
    # (caicaini.accounts.roles). SQLite takes a CHECK in ADD COLUMN, so the accounts table is
    # not rebuilt (other tables' foreign keys point at it).
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE accounts ADD COLUMN operator_role VARCHAR(16) CHECK ({CHECK})")
        return
    op.add_column("accounts", sa.Column("operator_role", sa.String(16), nullable=True))
    op.create_check_constraint(op.f("ck_accounts_operator_role"), "accounts", CHECK)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_accounts_operator_role"), "accounts", type_="check")
    op.drop_column("accounts", "operator_role")
