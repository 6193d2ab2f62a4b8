"""chat: the web chat's conversations and messages, with full-text search

Revision ID: chat
Revises: incidents

Search: on SQLite an FTS5 table ``chat_search`` (one row per message and one per title; the
conversation and account ids are indexed columns so a conversation's rows are found through
the index); on PostgreSQL ``to_tsvector('simple', ...)`` GIN expression indexes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import caicaini.models.base

revision = "chat"
down_revision = "incidents"
branch_labels = None
depends_on = None

UTC = caicaini.models.base.UTCDateTime()


def upgrade() -> None:
    op.create_table(
        "chat_conversations",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("system_prompt", sa.Text(), nullable=True),
        sa.Column("current_leaf_id", sa.String(40), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_chat_conversations_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_conversations")),
    )
    with op.batch_alter_table("chat_conversations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_chat_conversations_account_updated", ["account_id", "updated_at"], unique=False
        )
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("conversation_id", sa.String(40), nullable=False),
        sa.Column("account_id", sa.String(40), nullable=False),
        sa.Column("parent_id", sa.String(40), nullable=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("model", sa.String(100), nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.Column("receipt_id", sa.String(40), nullable=True),
        sa.Column("credits_charged", sa.Integer(), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint("role IN ('user', 'assistant')", name=op.f("ck_chat_messages_role")),
        sa.CheckConstraint(
            "status IN ('complete', 'streaming', 'stopped', 'failed')",
            name=op.f("ck_chat_messages_status"),
        ),
        sa.CheckConstraint(
            "credits_charged IS NULL OR credits_charged >= 0", name=op.f("ck_chat_messages_credits")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["chat_conversations.id"],
            name=op.f("fk_chat_messages_conversation_id_chat_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
    )
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_chat_messages_conversation_created",
            ["conversation_id", "created_at"],
            unique=False,
        )
        batch_op.create_index("ix_chat_messages_parent", ["parent_id"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE chat_search USING fts5("
            "body, conversation_id, account_id, message_id UNINDEXED, "
            "tokenize = 'unicode61 remove_diacritics 2')"
        )
    else:
        op.execute(
            "CREATE INDEX ix_chat_messages_search ON chat_messages "
            "USING gin (to_tsvector('simple', content))"
        )
        op.execute(
            "CREATE INDEX ix_chat_conversations_search ON chat_conversations "
            "USING gin (to_tsvector('simple', title))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS chat_search")
    else:
        op.execute("DROP INDEX IF EXISTS ix_chat_messages_search")
        op.execute("DROP INDEX IF EXISTS ix_chat_conversations_search")
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_messages_parent")
        batch_op.drop_index("ix_chat_messages_conversation_created")
    op.drop_table("chat_messages")
    with op.batch_alter_table("chat_conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_conversations_account_updated")
    op.drop_table("chat_conversations")
