"""Subscription periods and the monthly parts of their allowance.

A period runs from payment confirmation to the same day next month. Its allowance is split
over the calendar months it touches; each part is a row here, issued as a ledger grant at
its ``issue_at`` (the first at once, later ones at 00:00 UTC on the 1st).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from caicaini.models.base import Base, UTCDateTime


class SubscriptionPeriod(Base):
    __tablename__ = "subscription_periods"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("status IN ('scheduled', 'active', 'ended', 'cancelled')", name="status"),
        Index("ix_subscription_periods_account_ends", "account_id", "ends_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    plan_name: Mapped[str] = mapped_column(String(32))
    sheet_version: Mapped[int] = mapped_column(Integer)
    allowance: Mapped[int] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source_ref: Mapped[str | None] = mapped_column(String(120))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    complimentary: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="scheduled")
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AllowancePart(Base):
    __tablename__ = "allowance_parts"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        Index("ix_allowance_parts_pending", "grant_id", "issue_at"),
    )

    period_id: Mapped[str] = mapped_column(ForeignKey("subscription_periods.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    days: Mapped[int] = mapped_column(Integer)
    issue_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    grant_id: Mapped[str | None] = mapped_column(String(40))
    skipped_reason: Mapped[str | None] = mapped_column(String(200))


class FreeAllowance(Base):
    """The free plan's monthly allowance, granted at most once per account and month."""

    __tablename__ = "free_allowances"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    grant_id: Mapped[str | None] = mapped_column(String(40))
    skipped_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
