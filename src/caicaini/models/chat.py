"""The web chat: conversations and their messages, kept as a tree.

Every message but a conversation's first has a ``parent_id``. Regenerating a reply adds a
sibling assistant message under the same user message; editing a user message and sending
it again adds a sibling user message under the same parent: a branch. The conversation
remembers the leaf it shows (``current_leaf_id``), so a reload comes back to the same branch.

An assistant message is written when its stream starts (``status`` "streaming") and
completed once: "complete", "stopped" (the customer stopped it), or "failed" (upstream
failed mid-reply), with its sanitised HTML (``content_html``). Its charge, tokens and
receipt come from the gateway's settlement.

Search uses the database's own full-text index, created by the migration: an FTS5 table
``chat_search`` kept by triggers on SQLite, ``to_tsvector`` expression indexes on
PostgreSQL. Neither is part of this metadata (Alembic's check skips them by name).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from caicaini.models.base import Base, UTCDateTime

MESSAGE_ROLES = ("user", "assistant")
MESSAGE_STATUSES = ("complete", "streaming", "stopped", "failed")


class Conversation(Base):
    __tablename__ = "chat_conversations"
    __table_args__ = (Index("ix_chat_conversations_account_updated", "account_id", "updated_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    title: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(100))
    system_prompt: Mapped[str | None] = mapped_column(Text)
    current_leaf_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (
        CheckConstraint("role IN ('user', 'assistant')", name="role"),
        CheckConstraint("status IN ('complete', 'streaming', 'stopped', 'failed')", name="status"),
        CheckConstraint("credits_charged IS NULL OR credits_charged >= 0", name="credits"),
        Index("ix_chat_messages_conversation_created", "conversation_id", "created_at"),
        Index("ix_chat_messages_parent", "parent_id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("chat_conversations.id", ondelete="CASCADE")
    )
    account_id: Mapped[str] = mapped_column(String(40))
    parent_id: Mapped[str | None] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text)
    # A reply's markdown rendered and sanitised once, when it is written (None: render it).
    content_html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="complete")
    model: Mapped[str | None] = mapped_column(String(100))
    request_id: Mapped[str | None] = mapped_column(String(64))
    receipt_id: Mapped[str | None] = mapped_column(String(40))
    credits_charged: Mapped[int | None] = mapped_column(Integer)
    input_tokens: Mapped[int | None] = mapped_column(Integer)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
