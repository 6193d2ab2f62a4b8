"""Payments: orders, provider payments, IPN callbacks, manual transfer settings, refunds, debts.

Money is ``Numeric`` (Decimal) end to end; credits are integers. The database enforces what it
can: one stored callback per (provider, payment id, status), one payment per provider id, a
transaction hash claimed once, statuses from a closed list, non-negative amounts.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from caicaini.models.base import Base, UTCDateTime
from caicaini.plans.products import product_label


class ExactDecimal(TypeDecorator[Decimal]):
    """``NUMERIC(p, s)`` on PostgreSQL; on SQLite (which would store a float) the exact decimal
    text. CHECK constraints on these columns compare ``CAST(column AS NUMERIC)``."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 36, scale: int = 18) -> None:
        super().__init__(precision, scale)
        self.precision = precision
        self.scale = scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(self.precision + 2))
        return dialect.type_descriptor(Numeric(self.precision, self.scale))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        exact = Decimal(str(value))
        if not exact.is_finite():
            raise ValueError("amounts must be finite")
        return format(exact.normalize(), "f") if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value))


USD = Numeric(12, 2)
CRYPTO = ExactDecimal(36, 18)

ORDER_STATUSES = (
    "pending",
    "claimed",
    "review",
    "paid",
    "closed",
    "cancelled",
    "rejected",
    "reversed",
)
PAYMENT_STATUSES = (
    "waiting",
    "confirming",
    "confirmed",
    "sending",
    "partially_paid",
    "finished",
    "failed",
    "expired",
    "refunded",
    "claimed",
    "approved",
    "rejected",
)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class PaymentOrder(Base):
    """What the customer buys: a product at the USD price of the price sheet in force then."""

    __tablename__ = "payment_orders"
    __table_args__ = (
        CheckConstraint(_in("method", ("nowpayments", "manual")), name="method"),
        CheckConstraint(_in("product_kind", ("plan", "topup")), name="product_kind"),
        CheckConstraint(_in("status", ORDER_STATUSES), name="status"),
        CheckConstraint("price_usd >= 0", name="price_nonnegative"),
        CheckConstraint("credits >= 0", name="credits_nonnegative"),
        Index("ix_payment_orders_account_created", "account_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    product: Mapped[str] = mapped_column(String(64))
    # What the customer bought, in words, frozen like the price ("Plus plan, one month").
    product_label: Mapped[str] = mapped_column(String(120), default="")
    product_kind: Mapped[str] = mapped_column(String(8))
    credits: Mapped[int] = mapped_column(Integer)
    price_usd: Mapped[Decimal] = mapped_column(USD)
    sheet_version: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), index=True)
    invoice_id: Mapped[str | None] = mapped_column(String(64), index=True)
    invoice_url: Mapped[str | None] = mapped_column(String(1000))
    pay_currency: Mapped[str | None] = mapped_column(String(16))
    pay_network: Mapped[str | None] = mapped_column(String(32))
    pay_address: Mapped[str | None] = mapped_column(String(200))
    amount_due: Mapped[Decimal | None] = mapped_column(CRYPTO)
    usd_rate: Mapped[Decimal | None] = mapped_column(CRYPTO)
    status_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def label(self) -> str:
        """What was bought, in words (the wording frozen at opening, else the standard one)."""
        return self.product_label or product_label(self.product, self.credits)


class Payment(Base):
    """One incoming payment for an order: a NOWPayments payment or a manual transfer claim.

    ``status_rank`` only grows (see ``caicaini.payments.status``). ``granted_at`` is set once,
    in the transaction that granted the credits (whose ledger key is per payment as well).
    """

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("provider", "provider_payment_id"),
        UniqueConstraint("tx_hash"),
        CheckConstraint(_in("provider", ("nowpayments", "manual")), name="provider"),
        CheckConstraint(_in("status", PAYMENT_STATUSES), name="status"),
        CheckConstraint(_in("review", ("none", "open", "resolved")), name="review"),
        CheckConstraint("suggested_credits IS NULL OR suggested_credits >= 0", name="suggested"),
        Index("ix_payments_open", "provider", "is_open", "checked_at"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("payment_orders.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    provider: Mapped[str] = mapped_column(String(16))
    provider_payment_id: Mapped[str] = mapped_column(String(64))
    parent_payment_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    status_rank: Mapped[int] = mapped_column(Integer)
    is_open: Mapped[bool] = mapped_column(default=True)
    price_amount: Mapped[Decimal | None] = mapped_column(CRYPTO)
    price_currency: Mapped[str | None] = mapped_column(String(16))
    pay_currency: Mapped[str | None] = mapped_column(String(16))
    pay_amount: Mapped[Decimal | None] = mapped_column(CRYPTO)
    actually_paid: Mapped[Decimal | None] = mapped_column(CRYPTO)
    payer_address: Mapped[str | None] = mapped_column(String(200))
    tx_hash: Mapped[str | None] = mapped_column(String(200))
    review: Mapped[str] = mapped_column(String(8), default="none")
    review_reason: Mapped[str | None] = mapped_column(String(300))
    suggested_credits: Mapped[int | None] = mapped_column(Integer)
    granted_credits: Mapped[int | None] = mapped_column(Integer)
    period_id: Mapped[str | None] = mapped_column(String(40))
    granted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PaymentCallback(Base):
    """An authenticated provider callback, stored once; its body is never trusted for amounts."""

    __tablename__ = "payment_callbacks"
    __table_args__ = (UniqueConstraint("provider", "provider_payment_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    provider: Mapped[str] = mapped_column(String(16))
    provider_payment_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class ManualAddress(Base):
    """A receiving address the operator publishes for one currency on one network."""

    __tablename__ = "manual_addresses"
    __table_args__ = (UniqueConstraint("currency", "network"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    currency: Mapped[str] = mapped_column(String(16))
    network: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ManualRate(Base):
    """The operator's USD price of one unit of a currency, used to quote manual orders."""

    __tablename__ = "manual_rates"
    __table_args__ = (CheckConstraint("CAST(usd AS NUMERIC) > 0", name="usd_positive"),)

    currency: Mapped[str] = mapped_column(String(16), primary_key=True)
    usd: Mapped[Decimal] = mapped_column(CRYPTO)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PaymentRefund(Base):
    """A refund for a documented service failure: credits frozen, then paid out and removed."""

    __tablename__ = "payment_refunds"
    __table_args__ = (
        UniqueConstraint("tx_hash"),
        CheckConstraint(_in("status", ("frozen", "paid", "cancelled")), name="status"),
        CheckConstraint(_in("reason_kind", ("incident", "failed_requests")), name="reason_kind"),
        CheckConstraint("credits > 0", name="credits_positive"),
        CheckConstraint(
            "CAST(network_fee AS NUMERIC) >= 0 AND CAST(amount AS NUMERIC) > 0", name="amounts"
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    order_id: Mapped[str] = mapped_column(ForeignKey("payment_orders.id"))
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    reason_kind: Mapped[str] = mapped_column(String(16))
    reason_ref: Mapped[str] = mapped_column(String(1000))
    credits: Mapped[int] = mapped_column(Integer)
    holds: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    currency: Mapped[str] = mapped_column(String(16))
    destination: Mapped[str] = mapped_column(String(200))
    gross_amount: Mapped[Decimal] = mapped_column(CRYPTO)
    network_fee: Mapped[Decimal] = mapped_column(CRYPTO)
    amount: Mapped[Decimal] = mapped_column(CRYPTO)
    status: Mapped[str] = mapped_column(String(16))
    tx_hash: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PaymentDebt(Base):
    """Credits spent from a payment that was later reversed: what the customer owes."""

    __tablename__ = "payment_debts"
    __table_args__ = (
        UniqueConstraint("payment_id"),
        CheckConstraint("credits > 0", name="credits_positive"),
        CheckConstraint(_in("status", ("open", "settled", "written_off")), name="status"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"))
    credits: Mapped[int] = mapped_column(Integer)
    usd: Mapped[Decimal] = mapped_column(USD)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
