"""Usage records and receipts of gateway messages. Metadata only: the gateway never stores
prompt or completion content (the Terms promise inputs are processed only to serve them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from caicaini.models.base import Base, UTCDateTime


class UsageRecord(Base):
    """One gateway message: what was asked for, what upstream reported, what it cost."""

    __tablename__ = "usage_records"
    __table_args__ = (
        Index("ix_usage_records_account_created", "account_id", "created_at"),
        Index("ix_usage_records_key_created", "key_id", "created_at"),
        CheckConstraint("credits_charged >= 0", name="credits_charged"),
        CheckConstraint("credits_held >= credits_charged", name="charged_within_hold"),
        CheckConstraint("units >= 0", name="units"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the request id
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    key_id: Mapped[str | None] = mapped_column(String(40))
    model: Mapped[str] = mapped_column(String(100))
    provider: Mapped[str] = mapped_column(String(40))
    endpoint: Mapped[str] = mapped_column(String(16))  # "anthropic" | "openai" | "responses"
    stream: Mapped[bool] = mapped_column()
    outcome: Mapped[str] = mapped_column(String(24))  # ok, client_disconnect, upstream_error
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_creation_input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cache_read_input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    units: Mapped[int] = mapped_column(Integer, default=0)
    rate: Mapped[int] = mapped_column(Integer)
    sheet_version: Mapped[int] = mapped_column(Integer)
    credits_held: Mapped[int] = mapped_column(Integer)
    credits_charged: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Receipt(Base):
    """The signed statement of one charged message (HMAC-SHA256 over ``payload``)."""

    __tablename__ = "receipts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    signature: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
