"""Device authorizations: the terminal client's sign-in by a code the user approves in the
browser (OAuth 2.0 device authorization grant, RFC 8628, without OAuth's client registry).

Only the SHA-256 of the device code is stored (the client keeps the code itself); the user
code is short, typed by a person, and useful only to a logged-in account before it expires.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from caicaini.models.base import Base, UTCDateTime

DEVICE_STATUSES = ("pending", "approved", "denied", "issued")


class DeviceAuthorization(Base):
    __tablename__ = "device_authorizations"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'denied', 'issued')", name="status"),
        Index("ix_device_authorizations_ip_created", "client_ip", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    device_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_code: Mapped[str] = mapped_column(String(16), unique=True)
    device_name: Mapped[str] = mapped_column(String(64))
    # SHA-256 of the client's machine id, as sign-up and login record a browser's.
    fingerprint: Mapped[str | None] = mapped_column(String(128))
    client_ip: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    # Why a denied request was denied: "user" (the account owner said no) or "no_api_access".
    refusal: Mapped[str | None] = mapped_column(String(32))
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    key_id: Mapped[str | None] = mapped_column(String(40))
    interval_seconds: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
