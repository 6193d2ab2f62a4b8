"""Dashboard notices and the versioned Terms of Service with per-account acceptance."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from caicaini.models.base import Base, UTCDateTime


class Notice(Base):
    __tablename__ = "notices"
    __table_args__ = (UniqueConstraint("account_id", "ref", name="uq_notices_account_ref"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    effective_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TermsVersion(Base):
    __tablename__ = "terms_versions"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_updated: Mapped[date] = mapped_column(Date)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    material: Mapped[bool] = mapped_column(Boolean)
    summary: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    # The published text (kept for the history; NULL for a version recorded before texts
    # were stored: the shipped file, whose hash it carries).
    text: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TermsAcceptance(Base):
    __tablename__ = "terms_acceptances"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    version: Mapped[int] = mapped_column(ForeignKey("terms_versions.version"), primary_key=True)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
