"""credits: plans, price sheets, grants, ledger entries, holds, subscriptions, notices

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import caicaini.models.base

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('price_sheets',
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('effective_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('published_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('classification', sa.String(length=16), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('published_by', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_price_sheets'))
    )
    with op.batch_alter_table('price_sheets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_price_sheets_effective_at'), ['effective_at'], unique=False)

    op.create_table('terms_versions',
    sa.Column('version', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_updated', sa.Date(), nullable=False),
    sa.Column('effective_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('material', sa.Boolean(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('published_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('version', name=op.f('pk_terms_versions'))
    )
    with op.batch_alter_table('terms_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_terms_versions_effective_at'), ['effective_at'], unique=False)

    op.create_table('catalogue_models',
    sa.Column('sheet_version', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=100), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('upstream_model', sa.String(length=100), nullable=False),
    sa.Column('max_output_tokens', sa.Integer(), nullable=False),
    sa.Column('included_input_tokens', sa.Integer(), nullable=False),
    sa.Column('included_output_tokens', sa.Integer(), nullable=False),
    sa.CheckConstraint('included_input_tokens > 0 AND included_output_tokens > 0', name=op.f('ck_catalogue_models_included_positive')),
    sa.CheckConstraint('max_output_tokens > 0', name=op.f('ck_catalogue_models_max_output_positive')),
    sa.ForeignKeyConstraint(['sheet_version'], ['price_sheets.version'], name=op.f('fk_catalogue_models_sheet_version_price_sheets')),
    sa.PrimaryKeyConstraint('sheet_version', 'model_id', name=op.f('pk_catalogue_models'))
    )
    op.create_table('free_allowances',
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('grant_id', sa.String(length=40), nullable=True),
    sa.Column('skipped_reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_free_allowances_account_id_accounts')),
    sa.PrimaryKeyConstraint('account_id', 'month', name=op.f('pk_free_allowances'))
    )
    op.create_table('grants',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('remaining', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('issued_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('source_ref', sa.String(length=120), nullable=True),
    sa.CheckConstraint("kind IN ('subscription', 'topup', 'promotional', 'adjustment')", name=op.f('ck_grants_kind')),
    sa.CheckConstraint("status IN ('active', 'expired', 'forfeited', 'reversed')", name=op.f('ck_grants_status')),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_grants_amount_not_negative')),
    sa.CheckConstraint('remaining <= amount', name=op.f('ck_grants_remaining_within_amount')),
    sa.CheckConstraint('remaining >= 0', name=op.f('ck_grants_remaining_not_negative')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_grants_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grants'))
    )
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.create_index('ix_grants_account_status', ['account_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_grants_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_grants_source_ref'), ['source_ref'], unique=False)

    op.create_table('holds',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('request_id', sa.String(length=80), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('key_id', sa.String(length=40), nullable=True),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('charged', sa.Integer(), nullable=False),
    sa.Column('unit_credits', sa.Integer(), nullable=True),
    sa.Column('created_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('resolution', sa.String(length=200), nullable=True),
    sa.CheckConstraint("status IN ('held', 'settled', 'released')", name=op.f('ck_holds_status')),
    sa.CheckConstraint('amount > 0', name=op.f('ck_holds_amount_positive')),
    sa.CheckConstraint('charged >= 0 AND charged <= amount', name=op.f('ck_holds_charged_within_amount')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_holds_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holds')),
    sa.UniqueConstraint('request_id', name=op.f('uq_holds_request_id'))
    )
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_holds_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_holds_status_expires_at', ['status', 'expires_at'], unique=False)

    op.create_table('notices',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('ref', sa.String(length=120), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('effective_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('read_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_notices_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices')),
    sa.UniqueConstraint('account_id', 'ref', name='uq_notices_account_ref')
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_account_id'), ['account_id'], unique=False)

    op.create_table('plans',
    sa.Column('sheet_version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('display_name', sa.String(length=64), nullable=False),
    sa.Column('price_usd', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('monthly_credits', sa.Integer(), nullable=False),
    sa.Column('api_keys', sa.Boolean(), nullable=False),
    sa.Column('rpm', sa.Integer(), nullable=False),
    sa.Column('concurrency', sa.Integer(), nullable=False),
    sa.Column('messages_per_day', sa.Integer(), nullable=False),
    sa.CheckConstraint('monthly_credits >= 0', name=op.f('ck_plans_credits_not_negative')),
    sa.CheckConstraint('price_usd >= 0', name=op.f('ck_plans_price_not_negative')),
    sa.CheckConstraint('rpm > 0 AND concurrency > 0 AND messages_per_day > 0', name=op.f('ck_plans_limits_positive')),
    sa.ForeignKeyConstraint(['sheet_version'], ['price_sheets.version'], name=op.f('fk_plans_sheet_version_price_sheets')),
    sa.PrimaryKeyConstraint('sheet_version', 'name', name=op.f('pk_plans'))
    )
    op.create_table('subscription_periods',
    sa.Column('id', sa.String(length=40), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('plan_name', sa.String(length=32), nullable=False),
    sa.Column('sheet_version', sa.Integer(), nullable=False),
    sa.Column('allowance', sa.Integer(), nullable=False),
    sa.Column('starts_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source_ref', sa.String(length=120), nullable=True),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('complimentary', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reminder_sent_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('scheduled', 'active', 'ended', 'cancelled')", name=op.f('ck_subscription_periods_status')),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_subscription_periods_ends_after_start')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_subscription_periods_account_id_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription_periods')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_subscription_periods_idempotency_key'))
    )
    with op.batch_alter_table('subscription_periods', schema=None) as batch_op:
        batch_op.create_index('ix_subscription_periods_account_ends', ['account_id', 'ends_at'], unique=False)

    op.create_table('terms_acceptances',
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('accepted_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_terms_acceptances_account_id_accounts')),
    sa.ForeignKeyConstraint(['version'], ['terms_versions.version'], name=op.f('fk_terms_acceptances_version_terms_versions')),
    sa.PrimaryKeyConstraint('account_id', 'version', name=op.f('pk_terms_acceptances'))
    )
    op.create_table('topup_packs',
    sa.Column('sheet_version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('price_usd', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('credits', sa.Integer(), nullable=False),
    sa.CheckConstraint('credits > 0', name=op.f('ck_topup_packs_credits_positive')),
    sa.CheckConstraint('price_usd > 0', name=op.f('ck_topup_packs_price_positive')),
    sa.ForeignKeyConstraint(['sheet_version'], ['price_sheets.version'], name=op.f('fk_topup_packs_sheet_version_price_sheets')),
    sa.PrimaryKeyConstraint('sheet_version', 'name', name=op.f('pk_topup_packs'))
    )
    op.create_table('allowance_parts',
    sa.Column('period_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('issue_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('grant_id', sa.String(length=40), nullable=True),
    sa.Column('skipped_reason', sa.String(length=200), nullable=True),
    sa.CheckConstraint('amount >= 0', name=op.f('ck_allowance_parts_amount_not_negative')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_allowance_parts_account_id_accounts')),
    sa.ForeignKeyConstraint(['period_id'], ['subscription_periods.id'], name=op.f('fk_allowance_parts_period_id_subscription_periods')),
    sa.PrimaryKeyConstraint('period_id', 'position', name=op.f('pk_allowance_parts'))
    )
    with op.batch_alter_table('allowance_parts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_allowance_parts_account_id'), ['account_id'], unique=False)
        batch_op.create_index('ix_allowance_parts_pending', ['grant_id', 'issue_at'], unique=False)

    op.create_table('hold_allocations',
    sa.Column('hold_id', sa.String(length=40), nullable=False),
    sa.Column('grant_id', sa.String(length=40), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('charged', sa.Integer(), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_hold_allocations_amount_positive')),
    sa.CheckConstraint('charged >= 0 AND charged <= amount', name=op.f('ck_hold_allocations_charged_within_amount')),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_hold_allocations_grant_id_grants')),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_hold_allocations_hold_id_holds')),
    sa.PrimaryKeyConstraint('hold_id', 'grant_id', name=op.f('pk_hold_allocations'))
    )
    op.create_table('ledger_entries',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=40), nullable=False),
    sa.Column('grant_id', sa.String(length=40), nullable=True),
    sa.Column('hold_id', sa.String(length=40), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('charged', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('operation_key', sa.String(length=200), nullable=False),
    sa.Column('request_id', sa.String(length=80), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', caicaini.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('grant', 'hold', 'settle', 'release', 'expire', 'forfeit', 'refund', 'reversal', 'adjustment')", name=op.f('ck_ledger_entries_kind')),
    sa.CheckConstraint('charged >= 0', name=op.f('ck_ledger_entries_charged_not_negative')),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_ledger_entries_account_id_accounts')),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_ledger_entries_grant_id_grants')),
    sa.ForeignKeyConstraint(['hold_id'], ['holds.id'], name=op.f('fk_ledger_entries_hold_id_holds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_ledger_entries_idempotency_key'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_entries_account_id_id', ['account_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_grant_id'), ['grant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_hold_id'), ['hold_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_operation_key'), ['operation_key'], unique=False)

    op.create_table('plan_model_rates',
    sa.Column('sheet_version', sa.Integer(), nullable=False),
    sa.Column('plan_name', sa.String(length=32), nullable=False),
    sa.Column('model_id', sa.String(length=64), nullable=False),
    sa.Column('credits_per_unit', sa.Integer(), nullable=False),
    sa.CheckConstraint('credits_per_unit > 0', name=op.f('ck_plan_model_rates_rate_positive')),
    sa.ForeignKeyConstraint(['sheet_version', 'model_id'], ['catalogue_models.sheet_version', 'catalogue_models.model_id'], name=op.f('fk_plan_model_rates_sheet_version_catalogue_models')),
    sa.ForeignKeyConstraint(['sheet_version', 'plan_name'], ['plans.sheet_version', 'plans.name'], name=op.f('fk_plan_model_rates_sheet_version_plans')),
    sa.PrimaryKeyConstraint('sheet_version', 'plan_name', 'model_id', name=op.f('pk_plan_model_rates'))
    )


    _append_only(*IMMUTABLE)


# Ledger entries are append-only and a published price sheet never changes: the database
# refuses to update these rows (PostgreSQL also refuses row deletes; SQLite keeps DELETE so
# test fixtures can empty tables between tests).
IMMUTABLE = (
    "ledger_entries",
    "price_sheets",
    "catalogue_models",
    "plans",
    "plan_model_rates",
    "topup_packs",
)


def _append_only(*tables: str) -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute(
            """
            CREATE FUNCTION caicaini_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '% rows cannot be changed', TG_TABLE_NAME;
            END;
            $$ LANGUAGE plpgsql
            """
        )
    for table in tables:
        if postgres:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION caicaini_append_only()"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows cannot be changed'); END"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in IMMUTABLE:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only" + (f" ON {table}" if postgres else ""))
    if postgres:
        op.execute("DROP FUNCTION IF EXISTS caicaini_append_only()")
    op.drop_table('plan_model_rates')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_operation_key'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_hold_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_grant_id'))
        batch_op.drop_index('ix_ledger_entries_account_id_id')

    op.drop_table('ledger_entries')
    op.drop_table('hold_allocations')
    with op.batch_alter_table('allowance_parts', schema=None) as batch_op:
        batch_op.drop_index('ix_allowance_parts_pending')
        batch_op.drop_index(batch_op.f('ix_allowance_parts_account_id'))

    op.drop_table('allowance_parts')
    op.drop_table('topup_packs')
    op.drop_table('terms_acceptances')
    with op.batch_alter_table('subscription_periods', schema=None) as batch_op:
        batch_op.drop_index('ix_subscription_periods_account_ends')

    op.drop_table('subscription_periods')
    op.drop_table('plans')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notices_account_id'))

    op.drop_table('notices')
    with op.batch_alter_table('holds', schema=None) as batch_op:
        batch_op.drop_index('ix_holds_status_expires_at')
        batch_op.drop_index(batch_op.f('ix_holds_account_id'))

    op.drop_table('holds')
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grants_source_ref'))
        batch_op.drop_index(batch_op.f('ix_grants_expires_at'))
        batch_op.drop_index('ix_grants_account_status')

    op.drop_table('grants')
    op.drop_table('free_allowances')
    op.drop_table('catalogue_models')
    with op.batch_alter_table('terms_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_terms_versions_effective_at'))

    op.drop_table('terms_versions')
    with op.batch_alter_table('price_sheets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_price_sheets_effective_at'))

    op.drop_table('price_sheets')
