"""Accounts, their single-use tokens, web sessions, sign-up/login signals and login failures."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from caicaini.models.base import Base, UTCDateTime

ACCOUNT_STATUSES = ("active", "suspended", "banned", "closed")


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        CheckConstraint("status IN ('active', 'suspended', 'banned', 'closed')", name="status"),
        CheckConstraint("length(country) = 2", name="country"),
        CheckConstraint(
            "operator_role IS NULL OR operator_role IN ('support', 'admin')", name="operator_role"
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    date_of_birth: Mapped[date] = mapped_column(Date)
    country: Mapped[str] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_reason: Mapped[str | None] = mapped_column(String(500))
    is_operator: Mapped[bool] = mapped_column(Boolean, default=False)
    # An operator's console role (caicaini.accounts.roles); None on an operator means admin.
    operator_role: Mapped[str | None] = mapped_column(String(16))
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closure_reason: Mapped[str | None] = mapped_column(String(500))


class AccountToken(Base):
    """Single-use, expiring tokens sent by e-mail. Only the SHA-256 of the token is stored."""

    __tablename__ = "account_tokens"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    new_email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WebSession(Base):
    """A browser login. The cookie carries a random token; only its hash is stored."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    session_version: Mapped[int] = mapped_column(Integer)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AccountSignal(Base):
    """IP address and device fingerprint seen at sign-up or login (one person, one account)."""

    __tablename__ = "account_signals"
    __table_args__ = (Index("ix_account_signals_kind_value", "kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(128))
    event: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LoginFailure(Base):
    """One failed login, counted per address and per account to throttle guessing."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SignupRules(Base):
    """The one-person-one-account rules in force (one row, id 1; absent: every rule on).
    Operators change them in the console; each change is audited."""

    __tablename__ = "signup_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    block_linked_devices: Mapped[bool] = mapped_column(Boolean)
    block_linked_ips: Mapped[bool] = mapped_column(Boolean)
    second_free_by_device: Mapped[bool] = mapped_column(Boolean)
    updated_by: Mapped[str | None] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
