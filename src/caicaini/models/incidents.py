"""Provider incidents and the credits returned for them.

An incident names a provider route and a time window (open while ``ends_at`` is NULL). A
reconciliation returns the credits of the messages charged in the window that failed or were
cut; each message is credited at most once, whatever incident or run finds it again
(``incident_credits.request_id`` is unique), so running a reconciliation twice returns nothing
the second time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from caicaini.models.base import Base, UTCDateTime


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (CheckConstraint("ends_at IS NULL OR ends_at > starts_at", name="window"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IncidentReconciliation(Base):
    """One run that returned credits (a run that found nothing leaves no row)."""

    __tablename__ = "incident_reconciliations"
    __table_args__ = (
        CheckConstraint("messages > 0 AND credits > 0 AND accounts > 0", name="not_empty"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    messages: Mapped[int] = mapped_column(Integer)
    credits: Mapped[int] = mapped_column(Integer)
    accounts: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IncidentCredit(Base):
    """The credits of one failed or cut message, returned by one reconciliation."""

    __tablename__ = "incident_credits"
    __table_args__ = (CheckConstraint("credits > 0", name="credits_positive"),)

    request_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    incident_id: Mapped[str] = mapped_column(ForeignKey("incidents.id"), index=True)
    reconciliation_id: Mapped[str] = mapped_column(
        ForeignKey("incident_reconciliations.id"), index=True
    )
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    credits: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
