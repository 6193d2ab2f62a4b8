"""An account's credit guardrails: its own spend caps and its low-balance alert.

No row means the defaults: no account caps, alerts on at the default threshold. (A key's caps
live on the key, ``api_keys.daily_credit_cap`` / ``monthly_credit_cap``.)
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from caicaini.models.base import Base, UTCDateTime


class AccountGuardrails(Base):
    __tablename__ = "account_guardrails"
    __table_args__ = (
        CheckConstraint("daily_credit_cap IS NULL OR daily_credit_cap >= 0", name="daily_cap"),
        CheckConstraint(
            "monthly_credit_cap IS NULL OR monthly_credit_cap >= 0", name="monthly_cap"
        ),
        CheckConstraint(
            "low_balance_threshold IS NULL OR low_balance_threshold >= 0", name="threshold"
        ),
    )

    account_id: Mapped[str] = mapped_column(String(40), ForeignKey("accounts.id"), primary_key=True)
    daily_credit_cap: Mapped[int | None] = mapped_column(Integer)
    monthly_credit_cap: Mapped[int | None] = mapped_column(Integer)
    # None: the default (a tenth of the plan's monthly credits).
    low_balance_threshold: Mapped[int | None] = mapped_column(Integer)
    low_balance_alerts: Mapped[bool] = mapped_column(Boolean, default=True)
    # When the alert for the current crossing went out; cleared once the balance is above the
    # threshold again, so the next crossing alerts once more.
    low_balance_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
