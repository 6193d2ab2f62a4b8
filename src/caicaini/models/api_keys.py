"""API keys. Only the SHA-256 of a key is stored; the key itself is shown once at creation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from caicaini.models.base import Base, UTCDateTime


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint("daily_credit_cap IS NULL OR daily_credit_cap >= 0", name="daily_cap"),
        CheckConstraint(
            "monthly_credit_cap IS NULL OR monthly_credit_cap >= 0", name="monthly_cap"
        ),
        CheckConstraint("rpm_override IS NULL OR rpm_override > 0", name="rpm_override"),
        CheckConstraint(
            "concurrency_override IS NULL OR concurrency_override > 0", name="concurrency_override"
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Recognisable, non-secret fragment for lists: "sk-cai-AbCd…wxyz".
    hint: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    # Set while the owning account is suspended; cleared when it is reinstated.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    allowed_models: Mapped[list[Any] | None] = mapped_column(JSON)
    daily_credit_cap: Mapped[int | None] = mapped_column(Integer)
    monthly_credit_cap: Mapped[int | None] = mapped_column(Integer)
    rpm_override: Mapped[int | None] = mapped_column(Integer)
    concurrency_override: Mapped[int | None] = mapped_column(Integer)
    rotation_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
