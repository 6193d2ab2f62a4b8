"""Payment receipts: what a paid order bought, its USD price, and what was paid on-chain.

A receipt exists for a paid order only, from the payment that was credited: the crypto amount
and currency, the transaction hash (the claimed hash of a manual transfer, NOWPayments'
``payin_hash`` for a hosted payment) and the date the credits were granted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from caicaini.models.payments import Payment, PaymentOrder
from caicaini.payments.errors import NoReceipt


@dataclass(frozen=True)
class PaymentReceipt:
    order_id: str
    label: str
    kind: str
    credits: int
    price_usd: Decimal
    sheet_version: int
    ordered_at: datetime
    paid_at: datetime
    method: str
    payment_id: str
    amount: Decimal | None
    currency: str | None
    network: str | None
    tx_hash: str | None


def payment_receipt(order: PaymentOrder, payments: list[Payment]) -> PaymentReceipt:
    credited = [p for p in payments if p.granted_at is not None]
    if order.status != "paid" or not credited:
        raise NoReceipt(f"this order has no receipt: it is {order.status}, not paid")
    payment = credited[0]
    assert payment.granted_at is not None
    tx_hash = payment.tx_hash or (payment.provider_data or {}).get("payin_hash")
    return PaymentReceipt(
        order_id=order.id,
        label=order.label,
        kind=order.product_kind,
        credits=payment.granted_credits if payment.granted_credits is not None else order.credits,
        price_usd=order.price_usd,
        sheet_version=order.sheet_version,
        ordered_at=order.created_at,
        paid_at=order.paid_at or payment.granted_at,
        method=order.method,
        payment_id=payment.id,
        amount=payment.actually_paid or payment.pay_amount,
        currency=(payment.pay_currency or order.pay_currency or "").upper() or None,
        network=(order.pay_network or "").upper() or None,
        tx_hash=str(tx_hash) if tx_hash else None,
    )
