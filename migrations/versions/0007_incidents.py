"""incidents: provider incidents, their reconciliations and the credits each returned

Revision ID: incidents
Revises: devices
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import caicaini.models.base

revision = "incidents"
down_revision = "devices"
branch_labels = None
depends_on = None

UTC = caicaini.models.base.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("starts_at", UTC, nullable=False),
        sa.Column("ends_at", UTC, nullable=True),
        sa.Column("created_by", sa.String(40), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint(
            "ends_at IS NULL OR ends_at > starts_at", name=op.f("ck_incidents_window")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_incidents_starts_at"), ["starts_at"], unique=False)
    op.create_table(
        "incident_reconciliations",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("incident_id", sa.String(40), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(40), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint(
            "messages > 0 AND credits > 0 AND accounts > 0",
            name=op.f("ck_incident_reconciliations_not_empty"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_reconciliations_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_reconciliations")),
    )
    with op.batch_alter_table("incident_reconciliations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_reconciliations_incident_id"), ["incident_id"], unique=False
        )
    op.create_table(
        "incident_credits",
        sa.Column("request_id", sa.String(40), nullable=False),
        sa.Column("incident_id", sa.String(40), nullable=False),
        sa.Column("reconciliation_id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("credits", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint("credits > 0", name=op.f("ck_incident_credits_credits_positive")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_incident_credits_account_id_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_credits_incident_id_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["reconciliation_id"],
            ["incident_reconciliations.id"],
            name=op.f("fk_incident_credits_reconciliation_id_incident_reconciliations"),
        ),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_incident_credits")),
    )
    with op.batch_alter_table("incident_credits", schema=None) as batch_op:
        for column in ("account_id", "incident_id", "reconciliation_id"):
            batch_op.create_index(
                batch_op.f(f"ix_incident_credits_{column}"), [column], unique=False
            )


def downgrade() -> None:
    op.drop_table("incident_credits")
    op.drop_table("incident_reconciliations")
    op.drop_table("incidents")
