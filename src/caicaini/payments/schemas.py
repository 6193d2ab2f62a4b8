"""Request and response bodies of the customer payments API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, Field

from caicaini.models.payments import Payment, PaymentOrder


class CreateOrder(BaseModel):
    product: str = Field(min_length=3, max_length=64, examples=["topup:small", "plan:pro"])
    method: Literal["nowpayments", "manual"] = "nowpayments"
    currency: str | None = Field(default=None, max_length=16)
    network: str | None = Field(default=None, max_length=32)


class ManualClaim(BaseModel):
    tx_hash: str = Field(min_length=8, max_length=200)
    from_address: str = Field(min_length=10, max_length=200)


class OrderOut(BaseModel):
    id: str
    product: str
    label: str  # the product in words: "Top-up, 2,000 credits"
    product_kind: str
    credits: int
    price_usd: Decimal
    sheet_version: int
    method: str
    status: str
    status_reason: str | None
    invoice_url: str | None
    pay_currency: str | None
    pay_network: str | None
    pay_address: str | None
    amount_due: Decimal | None
    created_at: datetime
    paid_at: datetime | None

    @classmethod
    def of(cls, order: PaymentOrder) -> OrderOut:
        return cls.model_validate(order, from_attributes=True)


class PaymentOut(BaseModel):
    id: str
    order_id: str
    provider: str
    status: str
    pay_currency: str | None
    pay_amount: Decimal | None
    actually_paid: Decimal | None
    tx_hash: str | None
    in_review: bool
    credits_granted: int | None
    granted_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, payment: Payment) -> PaymentOut:
        return cls(
            id=payment.id,
            order_id=payment.order_id,
            provider=payment.provider,
            status=payment.status,
            pay_currency=payment.pay_currency,
            pay_amount=payment.pay_amount,
            actually_paid=payment.actually_paid,
            tx_hash=payment.tx_hash,
            in_review=payment.review == "open",
            credits_granted=payment.granted_credits,
            granted_at=payment.granted_at,
            created_at=payment.created_at,
        )
