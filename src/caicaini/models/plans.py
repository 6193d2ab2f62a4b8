"""The published catalogue, versioned: price sheets and everything they price.

A price sheet is written once, with all its plans, rates, models and top-up packs, and never
changed afterwards: a change is a new sheet with a higher ``version`` and its own
``effective_at``. The sheet in effect at time *t* is the highest version whose
``effective_at <= t``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from caicaini.models.base import Base, UTCDateTime


class PriceSheet(Base):
    __tablename__ = "price_sheets"

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # "initial", "non_reducing" or "reducing" compared with the sheet in effect at publication.
    classification: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str] = mapped_column(Text, default="")
    published_by: Mapped[str | None] = mapped_column(String(40))


class CatalogueModel(Base):
    """A model as priced by one sheet (its limits and included tokens are part of the price)."""

    __tablename__ = "catalogue_models"
    __table_args__ = (
        CheckConstraint("max_output_tokens > 0", name="max_output_positive"),
        CheckConstraint(
            "included_input_tokens > 0 AND included_output_tokens > 0", name="included_positive"
        ),
    )

    sheet_version: Mapped[int] = mapped_column(ForeignKey("price_sheets.version"), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100))
    provider: Mapped[str] = mapped_column(String(32))
    upstream_model: Mapped[str] = mapped_column(String(100))
    max_output_tokens: Mapped[int] = mapped_column(Integer)
    included_input_tokens: Mapped[int] = mapped_column(Integer)
    included_output_tokens: Mapped[int] = mapped_column(Integer)


class Plan(Base):
    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint("price_usd >= 0", name="price_not_negative"),
        CheckConstraint("monthly_credits >= 0", name="credits_not_negative"),
        CheckConstraint(
            "rpm > 0 AND concurrency > 0 AND messages_per_day > 0", name="limits_positive"
        ),
    )

    sheet_version: Mapped[int] = mapped_column(ForeignKey("price_sheets.version"), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(64))
    price_usd: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    monthly_credits: Mapped[int] = mapped_column(Integer)
    api_keys: Mapped[bool] = mapped_column(Boolean)
    rpm: Mapped[int] = mapped_column(Integer)
    concurrency: Mapped[int] = mapped_column(Integer)
    messages_per_day: Mapped[int] = mapped_column(Integer)


class PlanModelRate(Base):
    """Credits per message unit for one model on one plan (absent = model not in the plan)."""

    __tablename__ = "plan_model_rates"
    __table_args__ = (
        CheckConstraint("credits_per_unit > 0", name="rate_positive"),
        ForeignKeyConstraint(["sheet_version", "plan_name"], ["plans.sheet_version", "plans.name"]),
        ForeignKeyConstraint(
            ["sheet_version", "model_id"],
            ["catalogue_models.sheet_version", "catalogue_models.model_id"],
        ),
    )

    sheet_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_name: Mapped[str] = mapped_column(String(32), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    credits_per_unit: Mapped[int] = mapped_column(Integer)


class TopupPack(Base):
    __tablename__ = "topup_packs"
    __table_args__ = (
        CheckConstraint("price_usd > 0", name="price_positive"),
        CheckConstraint("credits > 0", name="credits_positive"),
    )

    sheet_version: Mapped[int] = mapped_column(ForeignKey("price_sheets.version"), primary_key=True)
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    price_usd: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    credits: Mapped[int] = mapped_column(Integer)


class PriceSheetDraft(Base):
    """An operator's work on the next price sheet, as TOML in ``catalogue.toml``'s format.
    Scheduling publishes it as a new, immutable ``PriceSheet`` and the draft is kept, marked
    with the version it became."""

    __tablename__ = "price_sheet_drafts"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'scheduled', 'discarded')", name="status"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    base_version: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    published_version: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
