"""The credit ledger: grants (buckets), append-only entries, holds and their allocations.

Sign convention (what ``caicaini ledger verify`` checks): every entry's ``amount`` is its
signed effect on its grant's ``remaining``. The ``grant`` entry brings ``+amount``; a hold
moves credits out (negative), a release or the unused part of a settlement brings them back
(positive), expiry, forfeiture, reversal and negative adjustments take them out for good. So
for every grant: ``Σ entries = remaining`` and its ``grant`` entry equals ``amount``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from caicaini.models.base import Base, UTCDateTime

GRANT_KINDS = ("subscription", "topup", "promotional", "adjustment")
ENTRY_KINDS = (
    "grant",
    "hold",
    "settle",
    "release",
    "expire",
    "forfeit",
    "refund",
    "reversal",
    "adjustment",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class Grant(Base):
    __tablename__ = "grants"
    __table_args__ = (
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("remaining >= 0", name="remaining_not_negative"),
        CheckConstraint("remaining <= amount", name="remaining_within_amount"),
        CheckConstraint(_in("kind", GRANT_KINDS), name="kind"),
        CheckConstraint(
            _in("status", ("active", "expired", "forfeited", "reversed")), name="status"
        ),
        Index("ix_grants_account_status", "account_id", "status"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="active")
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    source_ref: Mapped[str | None] = mapped_column(String(120), index=True)


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint(_in("kind", ENTRY_KINDS), name="kind"),
        CheckConstraint("charged >= 0", name="charged_not_negative"),
        Index("ix_ledger_entries_account_id_id", "account_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    grant_id: Mapped[str | None] = mapped_column(ForeignKey("grants.id"), index=True)
    hold_id: Mapped[str | None] = mapped_column(ForeignKey("holds.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[int] = mapped_column(Integer)
    # For settle/refund entries: credits consumed from this grant (already moved out by the hold).
    charged: Mapped[int] = mapped_column(Integer, default=0)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    operation_key: Mapped[str] = mapped_column(String(200), index=True)
    request_id: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Hold(Base):
    __tablename__ = "holds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("charged >= 0 AND charged <= amount", name="charged_within_amount"),
        CheckConstraint(_in("status", ("held", "settled", "released")), name="status"),
        Index("ix_holds_status_expires_at", "status", "expires_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(80), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    key_id: Mapped[str | None] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(16), default="request")
    status: Mapped[str] = mapped_column(String(16), default="held")
    amount: Mapped[int] = mapped_column(Integer)
    charged: Mapped[int] = mapped_column(Integer, default=0)
    # Price of one message unit for this request: what the sweeper charges for a call that
    # started and was never settled (1 credit, the cheapest unit, when the caller did not say).
    unit_credits: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(String(200))


class HoldAllocation(Base):
    """How much of a hold came from each grant, in the order taken."""

    __tablename__ = "hold_allocations"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("charged >= 0 AND charged <= amount", name="charged_within_amount"),
    )

    hold_id: Mapped[str] = mapped_column(ForeignKey("holds.id"), primary_key=True)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(Integer)
    charged: Mapped[int] = mapped_column(Integer, default=0)
